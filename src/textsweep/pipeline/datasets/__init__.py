"""Dataset sources: each reads one kind of input and returns a Corpus (raw texts or ids, labels, class names).

Splitting, vectorisation and caching are done once for all of them in `textsweep.pipeline.data`.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textsweep.errors import DataError
from textsweep.pipeline.vectorize import Vectorizer


@dataclass
class Corpus:
    train: list  # raw texts, or id sequences when `vectorizer` is set (pre-tokenised sources: imdb)
    train_labels: np.ndarray
    test: list | None  # None: the source has no test split; textsweep holds one out
    test_labels: np.ndarray | None
    class_names: list[str]
    vectorizer: Vectorizer | None = None


def sha256_of(path: Path) -> str:
    """A file's SHA-256, read in 4 MiB chunks: source files are checked against dataset.sha256, cache entries on load."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def encode_labels(train_raw: list, test_raw: list | None, where: str):
    """Class names (numeric order for integer-like labels, else alphabetical) and int labels.

    A label seen in test but never in training is an error: the model could never predict it.
    """
    names = sorted({str(v) for v in train_raw}, key=lambda s: (0, int(s), s) if s.lstrip("-").isdigit() else (1, 0, s))
    index = {name: i for i, name in enumerate(names)}
    y_train = np.array([index[str(v)] for v in train_raw], dtype=np.int32)
    y_test = None
    if test_raw is not None:
        unseen = sorted({str(v) for v in test_raw} - set(index))
        if unseen:
            raise DataError(
                f"{where}: label(s) {', '.join(map(repr, unseen[:5]))} appear in the test split but never in training: "
                "fix the labels or the split so every test class has training examples"
            )
        y_test = np.array([index[str(v)] for v in test_raw], dtype=np.int32)
    return names, y_train, y_test


def check_classes(class_names: list[str], labels: np.ndarray, where: str) -> None:
    if len(labels) == 0:
        raise DataError(f"{where} has no labelled examples: check the file and the column names")
    if len(class_names) < 2:
        raise DataError(f"{where} has only one class ({class_names[0]!r}): a classifier needs at least 2 classes")
