"""`textsweep predict MODEL_URI TEXT... | --file FILE`: class probabilities for raw texts."""

import argparse
import os
import sys
from pathlib import Path
from typing import Iterator

from textsweep.errors import ConfigError, TextsweepError

BATCH = 512


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="textsweep predict", description="Class probabilities for raw texts.")
    p.add_argument("model_uri", help="runs:/<run_id>/model, models:/<name>@champion, models:/m-<id>, or a local folder")
    p.add_argument("texts", nargs="*", help="texts to classify")
    p.add_argument("--file", help="read texts from this file, one per line ('-' for standard input); a .csv or .tsv file is read as CSV")
    p.add_argument("--column", help="with --file: the CSV column that holds the text (default: the only column, or one named text, review, sentence, ...)")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else textsweep's local store)")
    return p


TEXT_COLUMNS = ("text", "review", "sentence", "content", "tweet", "comment", "body", "snippet")


def _texts(args) -> Iterator[str]:
    yield from args.texts
    if args.file:
        raw = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
        with raw:
            name = "standard input" if args.file == "-" else args.file
            stream = _decoded_lines(raw, name)
            if args.column or args.file.lower().endswith((".csv", ".tsv")):
                yield from _csv_texts(stream, name, args.column)
                return
            for line in stream:  # streamed: a large file is never held whole
                if line.strip():
                    yield line.rstrip("\n")


def _csv_texts(stream, name: str, column: str | None) -> Iterator[str]:
    """A CSV is read as CSV: its header and its other columns (the label) are never scored. Its delimiter is
    chosen as dataset=csv chooses it (comma, semicolon, tab or pipe: the one whose header holds the column)."""
    import csv
    import itertools

    from textsweep.pipeline.datasets.csv_file import delimiter_of

    header = next(stream, "")
    delimiter = delimiter_of(header, (column,) if column else ())
    reader = csv.DictReader(itertools.chain([header], stream), delimiter=delimiter)
    columns = reader.fieldnames or []
    column = column or _text_column(columns, name)
    if column not in columns:
        raise ConfigError(f"--column {column!r} is not a column of {name}: its columns are {', '.join(columns)}")
    for row in reader:  # streamed: a large file is never held whole
        yield row[column] or ""


def _text_column(columns: list[str], name: str) -> str:
    """The text column of a CSV given without --column: the only column, or one with a text-like name."""
    if len(columns) == 1:
        return columns[0]
    named = [c for c in columns if c.strip().lower() in TEXT_COLUMNS]
    if len(named) == 1:
        return named[0]
    raise ConfigError(f"{name} is a CSV with columns {', '.join(columns)}: say which holds the text, "
                      f"e.g. --column {columns[0] if columns else 'text'}")


def _decoded_lines(raw, name: str) -> Iterator[str]:
    """UTF-8 lines of a binary stream, decoded one by one: a bad byte is reported with its file and line,
    still streamed (a large file is never held whole)."""
    for number, data in enumerate(raw, 1):
        try:
            yield data.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as e:
            raise TextsweepError(f"--file {name} line {number} is not UTF-8 (byte 0x{data[e.start]:02x} at column "
                                 f"{e.start + 1}): re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8") from None


class TsvWriter:
    """Tab-separated rows, one a line; a field holding a tab, a newline or a quote is quoted as CSV does
    ("a ""quoted""<TAB>text"), so a text never splits a row (csv.reader(f, delimiter="\\t") reads it back).
    The csv module quotes for the characters of its line terminator only: a row holding a lone carriage
    return is written with every field quoted."""

    def __init__(self, stream):
        import csv

        self.minimal = csv.writer(stream, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        self.quoted = csv.writer(stream, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, row: list[str]) -> None:
        (self.quoted if any("\r" in field for field in row) else self.minimal).writerow(row)


def _batches(texts: Iterator[str], size: int) -> Iterator[list[str]]:
    batch = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if not args.texts and not args.file:
        raise ConfigError("give texts to classify, or --file with one text per line (or a CSV)")
    if args.file and args.file != "-" and not Path(args.file).is_file():
        raise ConfigError(f"--file {args.file} does not exist")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from textsweep.serving import load_classifier

    if args.model_uri.startswith(("runs:/", "models:/")):  # these live in a store: an existing one, never a new one
        from textsweep.tracking.readonly import mlflow_client

        mlflow_client(args.tracking_uri, f"model {args.model_uri!r}")
    try:
        model = load_classifier(args.model_uri)  # never mlflow.pyfunc.load_model: it unpickles before any check
    except TextsweepError:
        raise
    except Exception as e:
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        raise ConfigError(f"cannot load model {args.model_uri} ({first}): check the URI and --tracking-uri") from None
    import pandas as pd

    header = True
    progress = Progress(args.file)
    from textsweep.config.masking import unmasked

    out = TsvWriter(unmasked(sys.stdout))  # the user's texts, as they came in
    try:
        for batch in _batches(_texts(args), BATCH):
            probs = model.predict(pd.DataFrame({"text": batch}))
            if header:
                out.writerow([*probs.columns, "predicted", "text"])
                header = False
            for text, (_, row) in zip(batch, probs.iterrows()):
                out.writerow([*(f"{p:.4f}" for p in row), str(row.idxmax()), text])
            progress.advance(len(batch))
    except (ValueError, UnicodeDecodeError) as e:
        raise ConfigError(str(e)) from None
    finally:
        progress.close()
    return 0


class Progress:
    """Texts scored so far, on stderr, for a big file on a terminal only: logs and pipes stay clean."""

    BIG = 10 * 1024 * 1024  # bytes; smaller files finish before a counter helps

    def __init__(self, file: str | None):
        big = bool(file) and file != "-" and Path(file).stat().st_size >= self.BIG
        self.on = big and sys.stderr.isatty()
        self.done = 0

    def advance(self, n: int) -> None:
        self.done += n
        if self.on:
            print(f"\rtextsweep: {self.done:,} texts scored", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.on and self.done:
            print(file=sys.stderr)
