"""Scale-out on existing engines, for real: Optuna storage and MLflow backend store on the PostgreSQL server
at 127.0.0.1:5432, concurrent worker processes on one study, and an `mlflow server` the test starts.

Outside CI a machine without PostgreSQL skips these; under CI=true they must run, so a missing server fails.
The submitit test needs no PostgreSQL: it runs a sweep through hydra-submitit-launcher's local executor.
"""

import os
import subprocess
import sys
import time
import urllib.request
import uuid

import mlflow
import optuna
import pytest

import processes
from conftest import free_port, postgres_admin, runs_of, study_with_strong_history, tiny, user_env

TINY = tiny(epochs=2)


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database per use, dropped afterwards; returns a factory of SQLAlchemy URLs."""
    admin = postgres_admin()
    created = []

    def make() -> str:
        name = f"textsweep_test_{uuid.uuid4().hex[:10]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    yield make
    for name in created:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def start_mlflow_server(backend: str, artifacts, port: int) -> subprocess.Popen:
    """`mlflow server` in a process group of its own, once it answers /health; stopped with `stop`, which ends
    the whole group. One uvicorn worker and no job runners (MLflow's GenAI jobs): the default starts 4 workers
    and 7 huey consumers, each importing MLflow. With several workers, uvicorn's supervisor kills a worker that
    misses its health check on a busy machine, and a request it had taken fails (seen with two clients at once)."""
    mlflow_cli = os.path.join(os.path.dirname(sys.executable), "mlflow")
    proc = processes.spawn([mlflow_cli, "server", "--backend-store-uri", backend, "--artifacts-destination", str(artifacts),
                           "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                           env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        processes.wait_until(healthy, "mlflow server answering /health", proc)
    except BaseException:
        processes.stop(proc)
        raise
    return proc


stop = processes.stop


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.slow
def test_four_workers_on_one_study_record_every_trial_once_and_still_prune(home, pg_url, backend):
    """4 `textsweep train -m` workers started together (a scheduler, a SLURM array), 2 trials each."""
    if backend == "postgresql":
        storage, tracking = pg_url(), pg_url()
    else:
        storage, tracking = f"sqlite:///{home / 'mlruns' / 'optuna.db'}", f"sqlite:///{home / 'mlruns' / 'mlflow.db'}"
        (home / "mlruns").mkdir()
    study_with_strong_history(storage, "workers")  # so every new trial is pruned at its first epoch
    args = [sys.executable, "-m", "textsweep", "train", "-m", "hydra/sweeper=optuna", "hydra.sweeper.study_name=workers",
            f"hydra.sweeper.storage={storage}", "hydra.sweeper.n_trials=2", "hydra/sweeper/pruner=median",
            "hydra.sweeper.pruner.n_startup_trials=2", "model.units=int(interval(4, 16))", f"tracking.uri={tracking}",
            "experiment_name=workers", "tracking.log_model=false", *TINY]
    workers = [processes.spawn(args, cwd=home, env=user_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(4)]
    try:
        outputs = [w.communicate(timeout=processes.patience(600)) for w in workers]
    finally:
        for w in workers:
            processes.stop(w)
    for w, (_, err) in zip(workers, outputs):
        assert w.returncode == 0, err[-3000:]
    study = optuna.load_study(study_name="workers", storage=storage)
    new = study.trials[2:]
    assert sorted(t.number for t in new) == list(range(2, 10))  # 8 trials, each number once
    assert [t.state.name for t in new] == ["PRUNED"] * 8
    client = mlflow.MlflowClient(tracking)
    runs = runs_of(client, "workers")
    children = [r for r in runs if "optuna.trial" in r.data.tags]
    assert sorted(int(r.data.tags["optuna.trial"]) for r in children) == list(range(2, 10))
    assert all(r.data.tags.get("pruned") == "true" and r.info.status == "FINISHED" for r in children)
    assert len([r for r in runs if r.data.tags.get("textsweep.role") == "sweep"]) == 4


@pytest.mark.slow
def test_sweep_against_an_mlflow_server_with_a_postgresql_backend(home, pg_url, tmp_path):
    port = free_port()
    server = start_mlflow_server(pg_url(), tmp_path / "server-artifacts", port)
    try:
        uri = f"http://127.0.0.1:{port}"
        # trust authentication ignores the password: it is here to check it never reaches MLflow
        storage = pg_url().replace("postgres@", "postgres:s3cretpw@")
        result = processes.run(
            [sys.executable, "-m", "textsweep", "sweep", "quickstart", "--n-trials", "2", "tracking=server",
             f"tracking.uri={uri}", f"hydra.sweeper.storage={storage}", *TINY],
            cwd=home, env=user_env(home), timeout=processes.patience(600))
        assert result.returncode == 0, result.stderr[-3000:]
        client = mlflow.MlflowClient(uri)
        mlflow.set_tracking_uri(uri)  # mlflow-artifacts: URIs resolve through the global tracking URI
        runs = runs_of(client, "quickstart_sweep")
        [parent] = [r for r in runs if r.data.tags.get("textsweep.role") == "sweep"]
        children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id and "optuna.trial" in r.data.tags]
        assert len(children) == 2 and all(r.info.status == "FINISHED" for r in children)
        [baseline] = [r for r in runs if r.data.tags.get("textsweep.role") == "baseline"]
        assert baseline.info.status == "FINISHED" and baseline.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert parent.info.artifact_uri.startswith("mlflow-artifacts:")  # served by the server, not a local path
        assert "sweep/trials.csv" in {a.path for a in client.list_artifacts(parent.info.run_id, "sweep")}
        assert list((tmp_path / "server-artifacts").rglob("trials.csv"))
        for run in runs:  # the storage password is masked everywhere it is logged
            logged = " ".join([*run.data.params.values(), *run.data.tags.values()])
            assert "s3cretpw" not in logged
        assert parent.data.params["sweep.storage"].startswith("postgresql+psycopg://postgres:***@")
        child_config = mlflow.artifacts.load_text(f"{children[0].info.artifact_uri}/config.yaml")
        assert "s3cretpw" not in child_config and "postgres:***@" in child_config
        model = mlflow.pyfunc.load_model(f"runs:/{children[0].info.run_id}/model")
        probs = model.predict(["a wonderful, calming film"])
        assert list(probs.columns) == ["negative", "positive"]
    finally:
        stop(server)


@pytest.mark.slow
def test_a_tracking_outage_mid_run_loses_no_training_and_no_curve_point(home, pg_url, tmp_path):
    """Two trainings through one outage of the tracking server: 40 epochs (~1 s each) outlast it, so the kept
    epochs go with a later one; 5 end while the server is still away, so the end of training (its kept epochs, or
    its final metrics when every epoch got through) waits for it (tracking.outage_grace_s), however slowly it restarts. One outage for both: one server to start and restart."""
    backend, port = pg_url(), free_port()
    server = start_mlflow_server(backend, tmp_path / "artifacts", port)
    uri = f"http://127.0.0.1:{port}"
    env = {**user_env(home), "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1"}
    trainings = {epochs: processes.spawn(
        [sys.executable, "-m", "textsweep", "train", "tracking=server", f"tracking.uri={uri}", f"experiment_name=outage{epochs}",
         f"trainer.epochs={epochs}", "tracking.log_model=false", "dataset.num_samples=3000", "dataset.maxlen=16",
         "embedding.dim=4", "model.units=8", "trainer.verbose=0"],
        cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for epochs in (40, 5)}
    try:
        client = mlflow.MlflowClient(uri)
        for epochs, proc in trainings.items():
            processes.wait_until(lambda: any(client.get_metric_history(r.info.run_id, "val_accuracy")
                                             for r in runs_of(client, f"outage{epochs}")), "the run's first epoch", proc)
        stop(server)  # the tracking server goes away mid-training...
        time.sleep(8)
        server = start_mlflow_server(backend, tmp_path / "artifacts", port)  # ...and comes back
        for epochs, proc in trainings.items():
            out, err = proc.communicate(timeout=processes.patience(400))
            assert proc.returncode == 0, err[-3000:]
            [run] = runs_of(client, f"outage{epochs}")
            assert run.info.status == "FINISHED"
            assert [m.step for m in client.get_metric_history(run.info.run_id, "val_accuracy")] == list(range(1, epochs + 1))
            if epochs == 40:
                assert "keeping epoch" in out + err  # the outage was noticed and bridged, not ignored
            else:  # training ended during the outage (in its last epochs or after them) and waited for the store
                assert "retrying for up to" in out + err
    finally:
        for proc in trainings.values():
            stop(proc, grace=0)
        stop(server)


def test_a_store_that_stays_away_past_the_grace_fails_the_end_of_training_in_one_line(monkeypatch, caplog):
    """Past tracking.outage_grace_s, both waits at the end of a training (kept epochs, then the end-of-run writes)
    retry with a warning and then give up with one line that names the fix; a real client, a port nobody serves."""
    import logging

    from textsweep.errors import TrackingError
    from textsweep.tracking.epoch_logger import MlflowEpochLogger

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # MLflow's own retries would take minutes
    logger = MlflowEpochLogger(mlflow.MlflowClient(f"http://127.0.0.1:{free_port()}"), "0" * 32, grace_s=1.5)
    with caplog.at_level(logging.WARNING, "textsweep"):
        logger.on_epoch_end(0, {"val_accuracy": 0.5, "loss": 0.7})
        assert len(logger.pending) == 1 and "keeping epoch 1's metrics" in caplog.text
        with pytest.raises(TrackingError, match=r"1 epoch\(s\) of metrics could not be logged; check tracking.uri"):
            logger.on_train_end()
        with pytest.raises(TrackingError, match="final metrics and model could not be logged; check tracking.uri"):
            logger.wait_for_store()
    assert caplog.text.count("retrying for up to") >= 2 and "tracking.outage_grace_s" in caplog.text


@pytest.mark.slow
def test_a_weak_trial_is_pruned_through_the_submitit_launcher(cli, home):
    """The SLURM path without SLURM: hydra-submitit-launcher's local executor runs each trial as a submitit job
    (a pickled task function, unpickled and run in a fresh process), and the pruner still prunes it there."""
    if os.environ.get("CI") != "true":  # under CI the dev extra has it, so a missing launcher fails
        pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="pip install -e '.[dev]'")
    (home / "mlruns").mkdir(exist_ok=True)
    study_with_strong_history(f"sqlite:///{home / 'mlruns' / 'optuna.db'}", "prune")
    result = cli("train", "-m", "hydra/sweeper=optuna", "hydra/launcher=submitit_local", "hydra.sweeper.study_name=prune",
                 "hydra.sweeper.n_trials=1", "hydra/sweeper/pruner=median", "hydra.sweeper.pruner.n_startup_trials=2",
                 "hydra.sweeper.baseline=false", "model.units=int(interval(4, 16))", *TINY, "trainer.epochs=3",
                 "tracking.log_model=false", "hydra.launcher.timeout_min=5", "hydra.launcher.cpus_per_task=1",
                 "hydra.launcher.gpus_per_node=0", f"hydra.launcher.submitit_folder={home / 'submitit' / '%j'}",
                 timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    # the trial ran as a submitit job: its pickled call, its log and its pickled result are in the submitit folder
    results = list((home / "submitit").glob("*/*_0_result.pkl"))
    assert len(results) == 1, sorted(p.name for p in (home / "submitit").rglob("*"))
    job_log = "".join(results[0].with_name(results[0].name.replace("result.pkl", f"log.{x}")).read_text() for x in ("out", "err"))
    assert "pruned at epoch 1" in job_log and "Job completed successfully" in job_log
    trial = optuna.load_study(study_name="prune", storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}").trials[2]
    assert trial.state.name == "PRUNED" and list(trial.intermediate_values) == [0]  # pruned at its first epoch
    client = mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")
    [run] = [r for r in runs_of(client, "textsweep") if r.data.tags.get("optuna.trial") == "2"]
    assert run.info.status == "FINISHED"
    assert run.data.tags["pruned"] == "true" and run.data.tags["textsweep.pruned_at_epoch"] == "1"
    assert run.data.metrics["epochs_run"] == 1
