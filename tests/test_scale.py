"""The scale bench's small tier, for real: 4 sweep workers × 100 trials of the fake objective (bench/scale_app.py:
textsweep's own app and sweeper, no TensorFlow) on one PostgreSQL study and an `mlflow server` the bench starts
on a PostgreSQL backend. Nothing may be lost, numbered twice or left RUNNING. The full run (16 workers × 2,000
trials) and its figures: docs/distributed.md, "Measured at scale". Beside it, what the bench found: a read-only
status creates nothing, and the Optuna storage rides out a database that restarts."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import postgres_admin

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_four_workers_finish_a_hundred_trials_with_nothing_lost_duplicated_or_left_running(tmp_path):
    postgres_admin().close()  # skips outside CI without a server; under CI=true a missing server fails
    out = tmp_path / "scale.json"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py"), "--workers", "4", "--trials", "100",
                           "--epochs", "3", "--epoch-seconds", "0.02",
                           # 2 uvicorn workers serve 4 sweep workers on 2 cores: half the bench default's MLflow imports at start
                           "--server-workers", "2", "--json", str(out)],
                          # no job runners (MLflow's GenAI jobs) beside the bench's server: 7 processes fewer to start
                          env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
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


def test_sweep_status_on_an_empty_postgresql_database_creates_no_table_and_says_so_in_one_line(tmp_path):
    """status opens the storage with Optuna's skip_table_creation: a reader writes nothing, even Optuna's schema."""
    import uuid

    import psycopg

    from conftest import user_env

    admin = postgres_admin()
    name = f"textsweep_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        done = subprocess.run([sys.executable, "-m", "textsweep", "sweep", "status", "nightly", "--storage",
                               f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"], env=user_env(tmp_path),
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr[-2000:]
        errors = [line for line in done.stderr.splitlines() if line.startswith("textsweep: error:")]
        assert len(errors) == 1 and "holds no Optuna tables" in errors[0], done.stderr[-2000:]
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}") as db:
            assert db.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()[0] == 0
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _refuse_connections_for_a_moment(admin, name: str, seconds: float) -> None:
    """As a restart looks from a client: every connection cut, new ones refused, then accepted again."""
    import threading

    import psycopg

    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))

    def reopen():
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as other:
            other.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    threading.Timer(seconds, reopen).start()


def test_the_optuna_storage_rides_out_a_database_that_cuts_and_refuses_connections_for_a_moment():
    import uuid

    import optuna
    from optuna.storages import RDBStorage

    from textsweep.sweeping.study import open_storage

    admin = postgres_admin()
    name = f"textsweep_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        plain = optuna.create_study(study_name="plain", storage=RDBStorage(url, engine_kwargs={"pool_pre_ping": True}))
        study = optuna.create_study(study_name="kept", storage=open_storage(url))
        for s in (plain, study):
            s.tell(s.ask(), 1.0)
        _refuse_connections_for_a_moment(admin, name, 2.0)
        import sqlalchemy.exc

        with pytest.raises((sqlalchemy.exc.OperationalError, optuna.exceptions.StorageInternalError)):
            # Optuna's own storage: the first call in the window fails
            plain.ask()
        time.sleep(2.5)
        _refuse_connections_for_a_moment(admin, name, 2.0)
        began = time.monotonic()
        study.tell(study.ask(), 2.0)  # textsweep's: the same calls wait for the database and go through
        assert time.monotonic() - began > 1.0
        assert [t.state.name for t in study.get_trials()] == ["COMPLETE", "COMPLETE"]
    finally:
        time.sleep(2.5)  # the timer has let connections in again
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
