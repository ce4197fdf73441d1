"""TensorFlow's start-up lines, silenced: `import tensorflow` writes absl's "All log messages before
absl::InitializeLog()" and "Could not find cuda drivers" straight to file descriptor 2, before
TF_CPP_MIN_LOG_LEVEL is read, so only muting that descriptor during the import hides them.

Installed by textsweep's own entry points only (`textsweep.cli.main`, the app `textsweep.train`), never by
importing textsweep: Hydra's plugin scan imports textsweep's sweeper plugin in every Hydra app, whose
TensorFlow lines are theirs to see. Cheap: nothing is imported until some module imports TensorFlow.
An import that fails still raises; its exception is shown after the descriptor is restored.
"""

import importlib.abc
import importlib.util
import os
import sys
from contextlib import contextmanager


@contextmanager
def muted_stderr_fd():
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow" or os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3") != "3":
            return None  # a user who set another level wants TensorFlow's lines
        sys.meta_path.remove(self)  # once: find the real spec without finding ourselves
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def quiet_exec(module):
            with muted_stderr_fd():
                exec_module(module)

        spec.loader.exec_module = quiet_exec
        return spec


def install() -> None:
    if "tensorflow" not in sys.modules and not any(isinstance(f, QuietTensorFlowImport) for f in sys.meta_path):
        sys.meta_path.insert(0, QuietTensorFlowImport())


def for_textsweep_commands() -> None:
    """textsweep's commands and app: TensorFlow's C++ start-up chatter (oneDNN notes, missing CUDA on CPU machines)
    drowns the run's output, and MLflow's telemetry stays off. A user who wants either sets the variable first."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    install()
