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
  dashboard optuna-dashboard on the sweeps' Optuna storage (optional extra: pip install -e '.[dashboard]')
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

    code = main()
    try:
        sys.stdout.flush()  # a pipe's reader that left shows here, at the last flush
    except BrokenPipeError:
        _quiet_stdout()
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """The one place that prints a user's error: one line `textsweep: error: ...`, and an exit code from
    textsweep.errors (0 ok, 1 a run or every trial failed, 2 usage or config, 130 interrupted)."""
    import os

    os.environ.setdefault("HYDRA_FULL_ERROR", "1")  # Hydra raises instead of printing: we print one line
    from textsweep.quiet import for_textsweep_commands

    for_textsweep_commands()
    # MLflow's INFO lines ("Creating initial MLflow database tables", alembic's migrations) are not textsweep's
    # output: its warnings and errors still show. Set in the environment, before MLflow is imported, because MLflow
    # configures its loggers at import. A user's own MLFLOW_LOGGING_LEVEL wins.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    # MLflow prints "View run ... at: <tracking URL>" for a server store, password included (and in its GenAI view):
    # textsweep prints its own masked links instead. Forced, so launcher workers inherit it; read at each run's end.
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    argv = list(sys.argv[1:] if argv is None else argv)
    from textsweep.config.masking import mask_logs, masked_streams

    mask_logs()  # no log line of any command shows a password
    with masked_streams():  # nor any line printed: Hydra's --cfg job, argparse's errors, MLflow's and Optuna's prints
        return _main(argv)


def _main(argv: list[str]) -> int:
    import logging

    # MLflow logs a store error with its traceback before raising it; textsweep reports it in one line itself
    logging.getLogger("mlflow.store.db.utils").addFilter(lambda record: record.levelno < logging.ERROR)
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        _close_own_runs("KILLED", "interrupted")
        hint = "; run the command again to continue" if _resumable(argv) else ""
        print(f"textsweep: interrupted: the running MLflow run ended KILLED{hint}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()  # `textsweep compare | head`: the reader left, nothing is wrong
        return 0
    except BaseException as e:
        if isinstance(e, SystemExit):
            raise
        error = e.error if hasattr(e, "error") else e  # errors.Escalated carries the TextsweepError
        _close_own_runs("FAILED", type(error).__name__, str(error))
        return _report(e)


def _close_own_runs(status: str, reason: str, message: str = "") -> None:
    """No run this command began stays RUNNING after it stops (only where it opened a store at all)."""
    runs = sys.modules.get("textsweep.tracking.runs")
    if runs is not None:
        runs.close_own_running_runs(status, reason, message)


def _resumable(argv: list[str]) -> bool:
    """Only a sweep resumes (its study persists); a single run started again is a new run."""
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    return command == "sweep" or (command == "train" and any(a.startswith(("+sweeps=", "hydra/sweeper=optuna")) for a in rest))


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that Python's flush at exit does not raise BrokenPipeError again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _report(e: BaseException) -> int:
    """One line for what a user can fix; a traceback for what is a bug."""
    from textsweep.errors import Escalated, TextsweepError

    if isinstance(e, Escalated):
        e = e.error
    if isinstance(e, TextsweepError):
        print(f"textsweep: error: {_one_line(str(e))}", file=sys.stderr)
        return e.exit_code
    from hydra.errors import HydraException

    if isinstance(e, HydraException):  # checked first: some of these are OSErrors too
        from textsweep.config.hydra_errors import one_line

        from textsweep.config.masking import mask_secrets

        print(f"textsweep: error: {mask_secrets(one_line(e))}", file=sys.stderr)
        return 2
    from textsweep.tracking.databases import disk_full_cause, error_line

    if disk_full_cause(e) is not None:  # whatever layer hit it (artifacts, the store, the cache): the run already ended FAILED
        from textsweep.config.masking import mask_secrets

        print(f"textsweep: error: the disk is full ({mask_secrets(error_line(e))}): free space, or point TEXTSWEEP_HOME, "
              "tracking.uri or tracking.artifact_root elsewhere; a run it stopped ended FAILED (one a full store kept "
              "open: at the next `textsweep sweep status` or run)", file=sys.stderr)
        return 2
    if "readonly database" in str(e).lower() or "read-only file system" in str(e).lower():
        from textsweep.config.masking import mask_secrets

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


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "failed"


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

        if "--help" in rest or "-h" in rest:
            return _train_help(train_main)
        train_main()
        return 0
    if command == "sweep":
        from textsweep.commands.sweep import main as sweep_main

        return sweep_main(rest)
    commands = {"predict": "textsweep.commands.predict", "compare": "textsweep.commands.compare", "promote": "textsweep.commands.promote",
                "explain": "textsweep.commands.explain", "ui": "textsweep.commands.ui", "dashboard": "textsweep.commands.dashboard"}
    if command in commands:
        import importlib

        return importlib.import_module(commands[command]).main(rest)
    print(f"textsweep: error: unknown command {command!r}: use one of train, sweep, compare, promote, predict, explain, ui, dashboard (textsweep --help)", file=sys.stderr)
    return 2


INTERNAL_KEYS = ("optuna:",)  # set by the sweeper for its jobs, never by a user


def _train_help(train_main) -> int:
    """Hydra's help for `train`, without the config sections a user never sets."""
    import contextlib
    import io

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        try:
            train_main()
        except SystemExit:
            pass
    skipping = False
    for line in captured.getvalue().splitlines():
        if line and not line[0].isspace():
            skipping = line.startswith(INTERNAL_KEYS)
        if not skipping:
            print(line)
    return 0
