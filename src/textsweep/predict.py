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
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8", newline="")
        with stream:
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

    from textsweep.tracking import command_tracking_uri

    mlflow.set_tracking_uri(command_tracking_uri(args.tracking_uri))
    try:
        model = mlflow.pyfunc.load_model(args.model_uri)
    except Exception as e:
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        print(f"textsweep: error: cannot load model {args.model_uri} ({first}): check the URI and --tracking-uri", file=sys.stderr)
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
