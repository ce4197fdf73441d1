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
  predict   class probabilities for raw texts from a logged model
              textsweep predict runs:/<run_id>/model "a wonderful, calming film"
              textsweep predict models:/<name>@champion --file texts.txt

Runs go to ./mlruns (or $TEXTSWEEP_HOME/mlruns). Browse them with
  mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db --host 127.0.0.1
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
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
    if command == "predict":
        from textsweep.predict import main as predict_main

        return predict_main(rest)
    print(f"textsweep: error: unknown command {command!r}: use one of train, sweep, predict (textsweep --help)", file=sys.stderr)
    return 2
