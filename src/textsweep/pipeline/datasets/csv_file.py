"""dataset=csv: any CSV with a text column and a label column (string or integer labels, 2 or more classes)."""

import csv
import logging
import math
import sys
import unicodedata
from pathlib import Path

from textsweep.pipeline.datasets import Corpus, DatasetSource, check_classes, check_path, encode_labels
from textsweep.errors import DataError

log = logging.getLogger("textsweep")
TRAIN_VALUES, TEST_VALUES = {"train", "training", "val", "valid", "validation", "dev"}, {"test", "testing"}


# Compressed files are read as they are, recognised by their first bytes (as pandas' compression="infer" does by
# name): a .csv.gz from a dataset hub needs no gunzip first.
COMPRESSIONS = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "lzma"}
ZIP_MAGIC = b"PK\x03\x04"
# Delimiters tried, in this order, when the header's comma split lacks a configured column: CSV's comma, then the
# semicolon of European spreadsheets, the tab of TSV files (GLUE, SST-2) and the pipe.
DELIMITERS = (",", ";", "\t", "|")


def open_text(path: Path):
    """The file as UTF-8 text (a BOM skipped), decompressed if it is gzip, bzip2 or xz."""
    with path.open("rb") as f:
        head = f.read(6)
    if head.startswith(ZIP_MAGIC):
        raise DataError(f"dataset.path={path} is a zip archive: unzip it and point dataset.path at the CSV inside")
    for magic, module in COMPRESSIONS.items():
        if head.startswith(magic):
            import importlib

            return importlib.import_module(module).open(path, "rt", newline="", encoding="utf-8-sig")
    return path.open(newline="", encoding="utf-8-sig")


def delimiter_of(header_line: str, wanted: tuple[str, ...] = ()) -> str:
    """The header's delimiter: the first of DELIMITERS whose split holds every wanted column, else the one that
    splits the header into the most fields (a comma when none splits it)."""
    fields = {sep: next(csv.reader([header_line], delimiter=sep), []) for sep in DELIMITERS}
    found = [sep for sep in DELIMITERS if wanted and all(w in fields[sep] for w in wanted)]
    return found[0] if found else max(DELIMITERS, key=lambda sep: len(fields[sep]))


def _first_line(path: Path) -> str:
    with open_text(path) as f:
        return f.readline()


def read_rows(path: Path, wanted: tuple[str, ...] = ()) -> tuple[list[str], list[dict]]:
    """The header and the rows; wanted: the configured columns, which choose the delimiter (delimiter_of)."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long reviews exceed the 128 KiB default
    rows, ragged = [], []
    try:
        delimiter = delimiter_of(_first_line(path), wanted)
        with open_text(path) as f:
            reader = csv.DictReader(f, delimiter=delimiter)
            for row in reader:
                if None in row:  # more fields than the header: DictReader sets them aside, the columns shift
                    ragged.append(reader.line_num)
                rows.append(row)
            columns = reader.fieldnames or []
    except UnicodeDecodeError as e:
        raise DataError(
            f"dataset.path={path} is not UTF-8 (byte 0x{e.object[e.start]:02x} at offset {e.start}): "
            "re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8 in.csv > out.csv"
        ) from None
    except (csv.Error, EOFError) as e:
        raise DataError(f"dataset.path={path} is not a readable CSV ({e}): check quoting and delimiters") from None
    except OSError as e:  # a damaged compressed file
        raise DataError(f"dataset.path={path} cannot be read ({e}): check the file") from None
    if not columns:
        raise DataError(f"dataset.path={path} is empty: it needs a header row and labelled rows")
    if ragged:
        sep = {",": "a comma", ";": "a semicolon", "\t": "a tab", "|": "a pipe"}[delimiter]
        example = f' ("a fine{delimiter} funny film")' if delimiter != "\t" else ""
        raise DataError(f"dataset.path={path} line {ragged[0]} has more fields than its header ({len(columns)} columns; "
                        f"{len(ragged)} such row(s)): quote texts that hold {sep}{example}, or fix the row")
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:  # csv.DictReader keeps the last of them: training would read the wrong column
        raise DataError(f"dataset.path={path} has the column name(s) {', '.join(map(repr, duplicated))} more than once "
                        "in its header: rename them so each column has its own name")
    repeats = [i + 2 for i, r in enumerate(rows) if [r.get(c) for c in columns] == columns]
    if repeats:
        raise DataError(f"dataset.path={path} repeats its header row at line {repeats[0]} ({len(repeats)} time(s); files "
                        "joined with their headers?): remove the repeated header rows")
    return columns, rows


# What spreadsheets and pandas write for "no value" (pandas' default na_values, and None): never a class
MISSING_LABELS = {"", "#n/a", "#n/a n/a", "#na", "-1.#ind", "-1.#qnan", "-nan", "1.#ind", "1.#qnan", "<na>", "n/a", "na",
                  "null", "nan", "none", "nil"}


def normalise_labels(labels: list[str], where: str) -> list[str]:
    """Labels as classes, or one line saying why they cannot be. The policy (docs/security.md):
    - missing-value spellings ('NaN', 'None', '#N/A', 'NULL', ...) are refused, never made a class;
    - spellings of one label that differ only in case, surrounding spaces or Unicode form ('Positive', 'positive ',
      'négatif' composed and decomposed) are refused: which one is meant is the user's call, and merging them silently would hide a data problem;
    - numbers and names mixed ('1' and 'positive') are refused: one file names its classes one way;
    - numbers are classes by value: '1' and '1.0' are one class, written '1' (with a warning naming them)."""
    missing = sorted({v for v in labels if v.strip().lower() in MISSING_LABELS})
    if missing:
        raise DataError(f"{where}: label(s) {', '.join(map(repr, missing))} mark a missing label, not a class: fill them "
                        "in, or remove those rows")
    spellings = {}
    for raw in set(labels):
        spellings.setdefault(unicodedata.normalize("NFKC", raw.strip()).casefold(), set()).add(raw)
    variants = sorted(sorted(v) for v in spellings.values() if len(v) > 1)
    if variants:
        shown = "; ".join(" and ".join(map(repr, v)) for v in variants[:3])
        raise DataError(f"{where}: labels {shown} differ only in case, surrounding spaces or Unicode form "
                        f"(composed or not), so they would train as separate classes: write each class one way ({len(variants)} such group(s))")
    labels = [v.strip() for v in labels]
    numeric = []
    for v in set(labels):
        try:
            float(v)
            numeric.append(v)
        except ValueError:
            pass
    if numeric and len(numeric) < len(set(labels)):
        names = sorted(set(labels) - set(numeric))
        raise DataError(f"{where}: labels mix numbers ({', '.join(map(repr, sorted(numeric)[:3]))}) and names "
                        f"({', '.join(map(repr, names[:3]))}): a class would be split in two; use one or the other")
    if not numeric:
        return labels  # names: taken as written
    values = [float(v) for v in labels]
    if not all(math.isfinite(v) and v == int(v) for v in values):
        raise DataError(f"{where}: numeric labels must be whole numbers (class ids), e.g. 0, 1, 2")
    normalised = [str(int(v)) for v in values]
    spellings = {}
    for raw, norm in zip(labels, normalised):
        spellings.setdefault(norm, set()).add(raw)
    merged = {k: v for k, v in spellings.items() if len(v) > 1}
    if merged:
        name, raw = next(iter(merged.items()))
        log.warning("%s: labels %s are read as one class %s", where, " and ".join(sorted(raw)), name)
    return normalised


def read_header(path: Path, wanted: tuple[str, ...] = ()) -> list[str]:
    """The header row alone: enough to check the column names before a sweep starts, without reading the file."""
    try:
        line = _first_line(path)
        return next(csv.reader([line], delimiter=delimiter_of(line, wanted)), []) if line.strip() else []
    except PermissionError:
        raise DataError(f"dataset.path={path} cannot be read (permission denied): check its owner and mode") from None
    except UnicodeDecodeError as e:
        raise DataError(f"dataset.path={path} is not UTF-8 (byte 0x{e.object[e.start]:02x} in its header): re-save it "
                        "as UTF-8, e.g. iconv -f latin1 -t utf-8 in.csv > out.csv") from None
    except (OSError, EOFError, csv.Error) as e:
        raise DataError(f"dataset.path={path} cannot be read as a CSV ({e}): check the file") from None


def column_keys(d) -> tuple[str, ...]:
    """The dataset keys that name a column: text, label, and split when set."""
    return ("text_column", "label_column") + (("split_column",) if d.split_column else ())


def wanted_columns(d) -> tuple[str, ...]:
    return tuple(d[key] for key in column_keys(d))


def check_columns(d, path: Path, columns: list[str]) -> None:
    """The configured text, label (and split) columns are in the file's header."""
    if not columns:
        raise DataError(f"dataset.path={path} is empty: it needs a header row and labelled rows")
    for key in column_keys(d):
        if d[key] not in columns:  # the header was split by delimiter_of: none of , ; tab | found every column
            raise DataError(
                f"dataset.{key}={d[key]!r} is not a column of {path}: its columns are {', '.join(columns)}; "
                f"set dataset.{key}=<one of them>"
            )


def load_csv(d) -> Corpus:
    path = Path(d.path).expanduser()
    columns, rows = read_rows(path, wanted_columns(d))
    check_columns(d, path, columns)
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
    labels = normalise_labels([r[d.label_column] for r in train_rows + (test_rows or [])], where)
    names, y_train, y_test = encode_labels(labels[:len(train_rows)], labels[len(train_rows):] if test_rows is not None else None,
                                           where)
    check_classes(names, y_train, where)
    return Corpus(
        train=[r[d.text_column] for r in train_rows],
        train_labels=y_train,
        test=[r[d.text_column] for r in test_rows] if test_rows is not None else None,
        test_labels=y_test,
        class_names=names,
    )


class CsvFile(DatasetSource):
    """dataset=csv: one CSV file with a text column and a label column."""

    def check(self, d) -> None:
        check_path(d, "file", "a CSV file", "data/reviews.csv")
        if d.text_column == d.label_column:
            from textsweep.errors import ConfigError

            raise ConfigError(f"dataset.text_column and dataset.label_column are both {d.text_column!r}: name two different columns")
        path = Path(d.path).expanduser()
        check_columns(d, path, read_header(path, wanted_columns(d)))  # the header only: a wrong column name fails before any data is read

    def read(self, d, seed: int) -> Corpus:
        return load_csv(d)
