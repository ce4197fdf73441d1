"""The scale bench's small tier, for real: 4 sweep workers × 100 trials of the fake objective (bench/scale_app.py:
textsweep's own app and sweeper, no TensorFlow) on one PostgreSQL study and an `mlflow server` the bench starts
on a PostgreSQL backend. Nothing may be lost, numbered twice or left RUNNING. The full run (16 workers × 2,000
trials) and its figures: docs/distributed.md, "Measured at scale"."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import postgres_admin

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_four_workers_finish_a_hundred_trials_with_nothing_lost_duplicated_or_left_running(tmp_path):
    postgres_admin().close()  # skips outside CI without a server; under CI=true a missing server fails
    out = tmp_path / "scale.json"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py"), "--workers", "4", "--trials", "100",
                           "--epochs", "3", "--epoch-seconds", "0.02", "--json", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(out.read_text())
    assert summary["worker_exit_codes"] == {"0": 4}, summary["logs"]
    assert summary["trials_done"] == 100 and summary["states"].get("FAIL", 0) == 0
    assert summary["lost"] == 0 and summary["duplicate_trial_numbers"] == 0
    assert summary["duplicate_parameter_sets"] == 0
    assert summary["running_left"] == {"optuna": 0, "mlflow": 0}
    assert summary["states"].get("PRUNED", 0) > 0  # the pruner had work to do, across workers
    for name, result in summary["commands_s"].items():
        assert result["rc"] == 0, (name, result)
