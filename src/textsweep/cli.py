"""The `textsweep` command: a thin dispatcher. Help answers without importing TensorFlow or MLflow."""

import sys

USAGE = """usage: textsweep <command> [arguments]

Experiment-tracking hyperparameter sweeps for Keras text classifiers (Hydra + Optuna + MLflow).

commands:
  train     compose a run from Hydra configs, train, evaluate on the test split, track it in MLflow
              textsweep train model=cnn_lstm trainer.epochs=2
              textsweep train -m experiment=imdb_article          (a Hydra multirun: one run per variant)
              textsweep train --help                              (config groups and every key)
  sweep     run an Optuna sweep from sweeps/NAME.yaml: adds trials to its persistent study
              textsweep sweep quickstart --n-trials 6
              textsweep sweep status quickstart                   (trials, best value and params, its MLflow run)
              textsweep sweep list
  compare   the variants side by side: table (--format table|md|csv|json), curves figure, logged as a run
              textsweep compare --experiment quickstart
              textsweep compare --experiment imdb_article --reference tutorial --format md
  promote   register the best run of a sweep or experiment (by validation) and alias it 'champion'
              textsweep promote quickstart --name sentiment
  predict   class probabilities for raw texts from a logged model
              textsweep predict runs:/<run_id>/model "a wonderful, calming film"
              textsweep predict models:/sentiment@champion --file reviews.csv --column review
  ui        the MLflow UI on textsweep's store, bound to 127.0.0.1 (textsweep ui --port 5000)
  explain   which words drive a prediction (--method occlusion|integrated_gradients|prefix, --html page)
              textsweep explain models:/sentiment@champion "This landscape is wonderful and calming"

Runs go to ./mlruns (or $TEXTSWEEP_HOME/mlruns). Browse them with `textsweep ui`, the same as
  mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db --host 127.0.0.1
"""


def run() -> None:
    """The console command: main(), then exit without the garbage collector's last full scan.

    Exiting a process that imported TensorFlow (or MLflow) takes 1.2-1.4 s on 2 cores, nearly all of it
    the collector walking ~600,000 objects the imports made, to free memory the OS takes back anyway.
    gc.freeze() hands them over untouched (exit then takes ~0.1 s); everything else about exiting, atexit
    handlers and flushing included, stays as Python does it."""
    import gc

    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `textsweep --help | head`: the reader left; nothing more to say, and no traceback
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own flush at exit would fail again
        code = 1  # as Python's docs advise for a closed pipe
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Every user mistake ends in one line and exit code 2; an interrupted run in one line and 130."""
    import os

    os.environ.setdefault("HYDRA_FULL_ERROR", "1")  # Hydra raises instead of printing: we print one line
    from textsweep.masking import mask_logs

    mask_logs()  # no log line of any command shows a password
    import logging

    # MLflow logs a store error with its traceback before raising it; textsweep reports it in one line itself
    logging.getLogger("mlflow.store.db.utils").addFilter(lambda record: record.levelno < logging.ERROR)
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        print("textsweep: interrupted: the running MLflow run ended KILLED; run the command again to continue", file=sys.stderr)
        return 130
    except Exception as e:
        return _report(e)


def _report(e: Exception) -> int:
    """One line for what a user can fix; a traceback for what is a bug."""
    from hydra.errors import HydraException

    from textsweep.errors import TextsweepError

    if isinstance(e, TextsweepError):
        return e.exit_code  # already printed where it was raised
    if isinstance(e, HydraException):  # checked first: some of these are OSErrors too
        from textsweep.hydra_errors import one_line

        from textsweep.masking import mask_secrets

        print(f"textsweep: error: {mask_secrets(one_line(e))}", file=sys.stderr)
        return 2
    from textsweep.stores import disk_full

    if disk_full(e):  # whatever layer hit it (artifacts, the store, the cache): the run already ended FAILED
        from textsweep.masking import mask_secrets

        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        print(f"textsweep: error: the disk is full ({mask_secrets(first)}): free space, or point TEXTSWEEP_HOME, "
              "tracking.uri or tracking.artifact_root elsewhere; a run it stopped ended FAILED", file=sys.stderr)
        return 2
    if "readonly database" in str(e).lower() or "read-only file system" in str(e).lower():
        from textsweep.masking import mask_secrets

        first = next(line for line in str(e).splitlines() if "read" in line.lower())[:200]
        print(f"textsweep: error: the tracking store is read-only ({mask_secrets(first)}): make it writable, set "
              "TEXTSWEEP_HOME or --tracking-uri to a writable store, or (compare) pass --no-log", file=sys.stderr)
        return 2
    if isinstance(e, MemoryError) or type(e).__name__ == "ResourceExhaustedError":  # numpy's, TensorFlow's
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        print(f"textsweep: error: the run does not fit in memory ({first}): lower dataset.maxlen, model.units, "
              "model.filters, embedding.dim or trainer.batch_size", file=sys.stderr)
        return 2
    if isinstance(e, OSError) and e.filename:  # e.g. Hydra's run folder under an unusable TEXTSWEEP_HOME
        print(f"textsweep: error: cannot write {e.filename} ({e.strerror}): make it writable or set TEXTSWEEP_HOME "
              "to a writable folder", file=sys.stderr)
        return 2
    raise e


def _dispatch(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if argv[0] == "--version":
        from textsweep import __version__

        print(f"textsweep {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command == "train":
        sys.argv = ["textsweep train", *rest]  # Hydra parses sys.argv
        from textsweep.train import main as train_main

        train_main()
        return 0
    if command == "sweep":
        from textsweep.sweep_cli import main as sweep_main

        return sweep_main(rest)
    commands = {"predict": "textsweep.predict", "compare": "textsweep.compare", "promote": "textsweep.promote",
                "explain": "textsweep.explain", "ui": "textsweep.ui"}
    if command in commands:
        import importlib

        return importlib.import_module(commands[command]).main(rest)
    print(f"textsweep: error: unknown command {command!r}: use one of train, sweep, compare, promote, predict, explain, ui (textsweep --help)", file=sys.stderr)
    return 2
