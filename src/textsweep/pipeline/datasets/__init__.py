"""Dataset sources: each reads one kind of input and returns a Corpus (raw texts or ids, labels, class names).

A source is a `DatasetSource` subclass named by `_target_` in its conf/dataset/NAME.yaml. A new kind of
input (in textsweep, or in a project's own package with its own conf/dataset/) is a subclass plus that YAML
file: validation, caching and loading find it through `_target_`. Splitting, vectorisation and caching
are done once for all of them in `textsweep.pipeline.data`.
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


class DatasetSource:
    """One kind of input. `d` is the run's `dataset` config node: the source's settings."""

    def check(self, d) -> None:
        """Checks of this source's own keys before any data is read: a one-line ConfigError naming the key."""

    def digest(self, d) -> str:
        """What the source holds, cheaply (a part of the cache key): by default the file or folder at dataset.path."""
        return path_digest(Path(d.path).expanduser())

    def read(self, d, seed: int) -> Corpus:
        raise NotImplementedError


def source_of(d) -> DatasetSource:
    """The DatasetSource that dataset._target_ names."""
    from textsweep.config.targets import target_class
    from textsweep.config.validate import DATASET_EXAMPLE, DATASET_SOURCE

    return target_class(d, "dataset", DATASET_SOURCE, DATASET_EXAMPLE)()


def check_path(d, kind: str, what: str, example: str) -> Path:
    """dataset.path is set and is an existing file (kind="file") or folder (kind="folder")."""
    from textsweep.errors import ConfigError

    if not d.path:
        raise ConfigError(f"dataset.path is not set: point it at {what}, e.g. dataset.path={example}")
    path = Path(d.path).expanduser()
    if not path.exists():
        raise ConfigError(f"dataset.path={d.path} does not exist: check the path (relative paths start at {Path.cwd()})")
    if kind == "file" and not path.is_file():
        raise ConfigError(f"dataset.path={d.path} is not a file: dataset={d.name} reads {what}")
    if kind == "folder" and not path.is_dir():
        raise ConfigError(f"dataset.path={d.path} is not a folder: dataset={d.name} reads {what}")
    return path


def path_digest(path: Path) -> str:
    """What a file or folder holds, cheaply: size and mtime for a file, the listing's stats for a folder."""
    if not path.exists():
        return "absent"
    if path.is_file():
        st = path.stat()
        return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
    entries = sorted((str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*") if p.is_file())
    return hashlib.sha256(repr(entries).encode()).hexdigest()
