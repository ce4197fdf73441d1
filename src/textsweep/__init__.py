"""textsweep: experiment-tracking hyperparameter sweeps for Keras text classifiers.

Importing the package is cheap (no TensorFlow, MLflow or Optuna): heavy modules import them where used,
so `textsweep --help` and config errors answer fast.
"""

import os

__version__ = "0.1.0"

# TensorFlow's C++ start-up chatter (oneDNN notes, missing CUDA on CPU machines) drowns the run's output;
# a user who wants it sets TF_CPP_MIN_LOG_LEVEL themselves.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from textsweep import quiet as _quiet  # noqa: E402  (stdlib only)

_quiet.install()
