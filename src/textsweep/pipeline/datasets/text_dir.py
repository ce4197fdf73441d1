"""dataset=text_dir: the aclImdb layout, one text file per example, labels from the class folder names.

    path/train/<class>/*.txt   path/test/<class>/*.txt

Folders present only under train/ (aclImdb's unlabelled `unsup`) are ignored unless named in dataset.classes.
"""

from pathlib import Path

from textsweep.pipeline.datasets import Corpus, DatasetSource, check_classes, check_path, encode_labels
from textsweep.errors import DataError


def _read_split(root: Path, classes: list[str]) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for name in classes:
        folder = root / name
        if not folder.is_dir():
            raise DataError(f"dataset.path: class folder {folder} is missing: add it or set dataset.classes")
        for file in sorted(folder.glob("*.txt")):
            try:
                texts.append(file.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                raise DataError(f"dataset.path: {file} is not UTF-8: re-save it as UTF-8") from None
            labels.append(name)
    return texts, labels


def load_text_dir(d) -> Corpus:
    root = Path(d.path).expanduser()
    for split in ("train", "test"):
        if not (root / split).is_dir():
            raise DataError(f"dataset.path={root} has no {split}/ folder: text_dir expects train/<class>/*.txt and test/<class>/*.txt")
    if d.classes:
        classes = list(d.classes)
    else:
        found = [{p.name for p in (root / s).iterdir() if p.is_dir()} for s in ("train", "test")]
        classes = sorted(found[0] & found[1])
    if len(classes) < 2:
        raise DataError(f"dataset.path={root}: found class folder(s) {classes} under both train/ and test/: a classifier needs at least 2")
    train_texts, train_raw = _read_split(root / "train", classes)
    test_texts, test_raw = _read_split(root / "test", classes)
    names, y_train, y_test = encode_labels(train_raw, test_raw, f"dataset.path={root}")
    check_classes(names, y_train, f"dataset.path={root}/train")
    if not test_texts:
        raise DataError(f"dataset.path={root}/test has no .txt files: add the test examples")
    return Corpus(train_texts, y_train, test_texts, y_test, names)


class TextDir(DatasetSource):
    """dataset=text_dir: one text file per example, in class folders under train/ and test/."""

    def check(self, d) -> None:
        check_path(d, "folder", "a folder with train/ and test/ (the aclImdb layout)", "data/aclImdb")

    def read(self, d, seed: int) -> Corpus:
        return load_text_dir(d)
