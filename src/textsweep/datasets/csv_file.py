"""dataset=csv: any CSV with a text column and a label column (string or integer labels, 2 or more classes)."""

import csv
import sys
from pathlib import Path

from textsweep.datasets import Corpus, check_classes, encode_labels
from textsweep.errors import DataError

TRAIN_VALUES, TEST_VALUES = {"train", "training", "val", "valid", "validation", "dev"}, {"test", "testing"}


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long reviews exceed the 128 KiB default
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            columns = reader.fieldnames or []
    except UnicodeDecodeError as e:
        raise DataError(
            f"dataset.path={path} is not UTF-8 (byte 0x{e.object[e.start]:02x} at offset {e.start}): "
            "re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8 in.csv > out.csv"
        ) from None
    except csv.Error as e:
        raise DataError(f"dataset.path={path} is not a readable CSV ({e}): check quoting and delimiters") from None
    if not columns:
        raise DataError(f"dataset.path={path} is empty: it needs a header row and labelled rows")
    return columns, rows


def load_csv(d) -> Corpus:
    path = Path(d.path).expanduser()
    columns, rows = read_rows(path)
    for key in ("text_column", "label_column") + (("split_column",) if d.split_column else ()):
        if d[key] not in columns:
            raise DataError(
                f"dataset.{key}={d[key]!r} is not a column of {path}: its columns are {', '.join(columns)}; "
                f"set dataset.{key}=<one of them>"
            )
    if not rows:
        raise DataError(f"dataset.path={path} has a header but no rows: add labelled rows")
    blank = [i + 2 for i, r in enumerate(rows) if not (r[d.text_column] or "").strip() or not (r[d.label_column] or "").strip()]
    if blank and not d.drop_empty:
        raise DataError(
            f"dataset.path={path}: {len(blank)} row(s) have an empty '{d.text_column}' or '{d.label_column}' "
            f"(first at line {blank[0]}): fix them, or set dataset.drop_empty=true to skip such rows"
        )
    rows = [r for r in rows if (r[d.text_column] or "").strip() and (r[d.label_column] or "").strip()]
    if not rows:
        raise DataError(f"dataset.path={path} has no row with both a text and a label")

    train_rows, test_rows = rows, None
    if d.split_column:
        values = {(r[d.split_column] or "").strip().lower() for r in rows}
        unknown = values - TRAIN_VALUES - TEST_VALUES
        if unknown:
            raise DataError(
                f"dataset.split_column={d.split_column!r} has value(s) {', '.join(map(repr, sorted(unknown)))}: "
                "use train (or validation) and test"
            )
        train_rows = [r for r in rows if r[d.split_column].strip().lower() in TRAIN_VALUES]
        test_rows = [r for r in rows if r[d.split_column].strip().lower() in TEST_VALUES]
        if not train_rows or not test_rows:
            raise DataError(f"dataset.split_column={d.split_column!r} leaves the train or test split empty: it needs both")

    where = f"dataset.path={path} (column {d.label_column!r})"
    names, y_train, y_test = encode_labels(
        [r[d.label_column].strip() for r in train_rows],
        [r[d.label_column].strip() for r in test_rows] if test_rows is not None else None,
        where,
    )
    check_classes(names, y_train, where)
    return Corpus(
        train=[r[d.text_column] for r in train_rows],
        train_labels=y_train,
        test=[r[d.text_column] for r in test_rows] if test_rows is not None else None,
        test_labels=y_test,
        class_names=names,
    )
