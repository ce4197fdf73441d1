"""Shared fixtures: a temporary textsweep home (MLflow store, dataset cache), tiny configs, the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import textsweep  # noqa: F401  (quiet TensorFlow start-up, telemetry off)
from textsweep.compose import compose_config

REPO = Path(__file__).resolve().parents[1]
# Small enough for 2 CPU cores: a few hundred texts, short sequences, narrow layers.
TINY = ["dataset.num_samples=400", "dataset.maxlen=24", "dataset.min_words=6", "dataset.max_words=20",
        "embedding.dim=8", "trainer.epochs=1", "trainer.batch_size=32", "trainer.verbose=0"]


@pytest.fixture
def home(tmp_path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def compose(home):
    def _compose(*overrides: str, tiny: bool = True):
        return compose_config([f"home={home}", *(TINY if tiny else []), *overrides])
    return _compose


@pytest.fixture
def client(home):
    import mlflow

    return mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")


def runs_of(client, experiment_name: str):
    experiment = client.get_experiment_by_name(experiment_name)
    return [] if experiment is None else client.search_runs([experiment.experiment_id])


@pytest.fixture
def cli(home):
    """Run the installed `textsweep` command in `home` as a user would; returns CompletedProcess."""
    def _cli(*args: str, timeout: int = 240, cwd: Path | None = None) -> subprocess.CompletedProcess:
        # mlflow.set_tracking_uri in this process exports MLFLOW_TRACKING_URI: a user's shell has none.
        env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
        env["TEXTSWEEP_HOME"] = str(home)
        return subprocess.run([sys.executable, "-m", "textsweep", *args], cwd=cwd or home, env=env,
                              capture_output=True, text=True, timeout=timeout)
    return _cli


def write_csv(path: Path, rows: list[tuple], header=("review", "sentiment")) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def review_rows(n: int, seed: int = 0, classes=("negative", "positive")) -> list[tuple[str, str]]:
    """Review-like rows from the synthetic generator (labels by name), for CSV tests."""
    from textsweep.datasets.synthetic import make_texts

    texts, labels = make_texts(n, 6, 20, seed)
    if len(classes) == 2:
        return [(t, classes[y]) for t, y in zip(texts, labels)]
    # a third class: texts with a marker word, so it is learnable
    return [(t + " neutral" * (i % 3 == 2), classes[2] if i % 3 == 2 else classes[y])
            for i, (t, y) in enumerate(zip(texts, labels))]
