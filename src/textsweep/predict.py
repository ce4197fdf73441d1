"""`textsweep predict MODEL_URI TEXT... | --file FILE`: class probabilities for raw texts."""

import argparse
import os
import sys
from pathlib import Path
from typing import Iterator

from textsweep.errors import TextsweepError

BATCH = 512


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="textsweep predict", description="Class probabilities for raw texts.")
    p.add_argument("model_uri", help="runs:/<run_id>/model, models:/<name>@champion, models:/m-<id>, or a local folder")
    p.add_argument("texts", nargs="*", help="texts to classify")
    p.add_argument("--file", help="read texts from this file, one per line ('-' for standard input), or a CSV with --column")
    p.add_argument("--column", help="with --file: read this column of a CSV file")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else textsweep's local store)")
    return p


def _texts(args) -> Iterator[str]:
    yield from args.texts
    if args.file:
        raw = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
        with raw:
            stream = _decoded_lines(raw, "standard input" if args.file == "-" else args.file)
            if args.column:
                import csv

                reader = csv.DictReader(stream)
                if args.column not in (reader.fieldnames or []):
                    raise TextsweepError(f"--column {args.column!r} is not a column of {args.file}: its columns are {', '.join(reader.fieldnames or [])}")
                for row in reader:  # streamed: a large file is never held whole
                    yield row[args.column] or ""
                return
            for line in stream:  # streamed: a large file is never held whole
                if line.strip():
                    yield line.rstrip("\n")


def _decoded_lines(raw, name: str) -> Iterator[str]:
    """UTF-8 lines of a binary stream, decoded one by one: a bad byte is reported with its file and line,
    still streamed (a large file is never held whole)."""
    for number, data in enumerate(raw, 1):
        try:
            yield data.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as e:
            raise TextsweepError(f"--file {name} line {number} is not UTF-8 (byte 0x{data[e.start]:02x} at column "
                                 f"{e.start + 1}): re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8") from None


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
        print("textsweep: error: give texts to classify, or --file with one text per line", file=sys.stderr)
        return 2
    if args.file and args.file != "-" and not Path(args.file).is_file():
        print(f"textsweep: error: --file {args.file} does not exist", file=sys.stderr)
        return 2
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    from textsweep.serving import load_classifier
    from textsweep.tracking import command_tracking_uri

    mlflow.set_tracking_uri(command_tracking_uri(args.tracking_uri))
    try:
        model = load_classifier(args.model_uri)  # never mlflow.pyfunc.load_model: it unpickles before any check
    except TextsweepError as e:
        print(f"textsweep: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        from textsweep.masking import mask_secrets

        print(f"textsweep: error: cannot load model {mask_secrets(args.model_uri)} ({mask_secrets(first)}): check the URI and --tracking-uri", file=sys.stderr)
        return 2
    import pandas as pd

    header = True
    try:
        for batch in _batches(_texts(args), BATCH):
            probs = model.predict(pd.DataFrame({"text": batch}))
            if header:
                print("\t".join([*probs.columns, "predicted", "text"]))
                header = False
            for text, (_, row) in zip(batch, probs.iterrows()):
                print("\t".join([*(f"{p:.4f}" for p in row), str(row.idxmax()), text]))
    except (ValueError, TextsweepError, UnicodeDecodeError) as e:
        print(f"textsweep: error: {e}", file=sys.stderr)
        return 2
    return 0
