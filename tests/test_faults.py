"""Every fault ends consistent (issue 27, item 3): the fault matrix, by class, each class a generator of variants.

- signals: SIGTERM, SIGINT and SIGKILL, to the sweep's main process or to a launcher's worker, with the basic
  launcher and Hydra's joblib (loky) launcher;
- a full disk under either store: the Optuna storage, the MLflow store, the artifact folder.

After each, the next `textsweep sweep status` (not only the next sweep) shows no RUNNING trial, MLflow holds no
RUNNING run, and each trial's run agrees with its trial: FINISHED for COMPLETE or PRUNED; for FAIL, KILLED when a
signal or a lost process ended it and FAILED when an error did. The console has one line, never a traceback.
Real Hydra, Optuna, MLflow and Keras on tiny data; real processes and signals; a real tmpfs for the full disk.
"""

import os
import signal
import subprocess
import sys

import optuna
import pytest

import processes
from conftest import fill_disk, runs_of, tiny, user_env, wait_until_training
from textsweep.reclaim import OWNER, SIGNAL_REASONS

STUDY = "faults"
SWEEP = ["hydra/sweeper=optuna", f"hydra.sweeper.study_name={STUDY}", "hydra.sweeper.baseline=false",
         "hydra.sweeper.enqueue_baseline=false", "model.units=int(interval(4, 16))",
         "hydra.sweeper.heartbeat_interval=1",  # a worker whose sweep process died notices within a second
         *tiny(epochs=1, log_model=False, explain=0)]
LAUNCHERS = {"basic": ["hydra.sweeper.n_trials=1"],
             "joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2", "hydra.sweeper.n_trials=2"],
             # the SLURM path without SLURM: each trial a submitit job, a process of its own
             "submitit": ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=5", "hydra.launcher.cpus_per_task=1",
                          "hydra.launcher.gpus_per_node=0", "hydra.sweeper.n_trials=1"]}


def signal_cases():
    """(launcher, target, signal): every signal to the main process, with either launcher; SIGKILL to a joblib
    worker (SIGTERM or SIGINT to a worker interrupts its job like the main process's: the same path)."""
    for launcher in ("basic", "joblib"):  # submitit's main process is the basic one's: its jobs are what differ
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
            yield pytest.param(launcher, "main", signum, id=f"{launcher}-main-{signum.name}")
    for signum in (signal.SIGKILL, signal.SIGTERM):
        yield pytest.param("joblib", "worker", signum, id=f"joblib-worker-{signum.name}")
    yield pytest.param("submitit", "worker", signal.SIGKILL, id="submitit-worker-SIGKILL")  # a job killed by its scheduler


def study_trials(home):
    return optuna.load_study(study_name=STUDY, storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}").trials


def assert_consistent(home, client) -> list:
    """No RUNNING trial or run; each trial's run ends as its trial did. Returns the trials that ran."""
    trials = study_trials(home)
    assert not [t.number for t in trials if t.state.name == "RUNNING"]
    runs = {r.info.run_id: r for r in runs_of(client, "textsweep")}
    assert not [(r.info.run_name, r.data.tags.get("textsweep.owner")) for r in runs.values() if r.info.status == "RUNNING"]
    ran = [t for t in trials if "mlflow_run_id" in t.user_attrs and t.state.name in ("COMPLETE", "PRUNED", "FAIL")]
    for t in ran:
        run = runs[t.user_attrs["mlflow_run_id"]]
        reason = t.user_attrs.get("fail_reason")
        expected = {"COMPLETE": "FINISHED", "PRUNED": "FINISHED"}.get(t.state.name) or (
            "KILLED" if reason in SIGNAL_REASONS else "FAILED")
        assert run.info.status == expected, (t.number, t.state.name, reason, run.info.status, run.data.tags)
        if t.state.name == "FAIL":
            assert reason and run.data.tags.get("textsweep.failure_reason"), (t.number, t.user_attrs, run.data.tags)
    return ran


def one_console_line(output: str) -> None:
    assert "Traceback" not in output, output[-4000:]
    assert len([line for line in output.splitlines() if line.startswith("textsweep: ")
                and not line.startswith("textsweep: warning")]) <= 1, output[-4000:]


def status(home) -> subprocess.CompletedProcess:
    return processes.run([sys.executable, "-m", "textsweep", "sweep", "status", STUDY], cwd=home, env=user_env(home),
                         timeout=processes.patience(120))


@pytest.mark.slow
@pytest.mark.parametrize("launcher, target, signum", signal_cases())
def test_a_signal_leaves_every_trial_and_run_consistent(home, client, launcher, target, signum):
    log = home / "sweep.log"
    command = [sys.executable, "-m", "textsweep", "train", "-m", *SWEEP, *LAUNCHERS[launcher], "trainer.epochs=200"]
    with log.open("w") as out:
        proc = processes.spawn(command, cwd=home, env=user_env(home), stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_training(client, home, "textsweep", proc)
            pid = proc.pid
            if target == "worker":  # the worker that runs a trial: its run's owner
                training = [r for r in runs_of(client, "textsweep") if r.info.status == "RUNNING" and "optuna.trial" in r.data.tags]
                pid = int(training[0].data.tags[OWNER].split(":")[1])
                assert pid != proc.pid
            os.kill(pid, signum)
            if signum == signal.SIGKILL and target == "main":
                proc.wait(timeout=30)
                looked = status(home)  # the very next command: a status, not a sweep
                assert looked.returncode == 0, looked.stderr[-3000:]
                assert "running 0," in looked.stdout, looked.stdout
                assert_consistent(home, client)
                # the workers of the dead sweep stop their jobs themselves (they would train on for nobody)
                processes.wait_until(lambda: not processes.group_members(proc.pid), "the orphaned workers ending",
                                     ceiling=60)
            else:
                proc.wait(timeout=processes.patience(120))
        finally:
            processes.stop(proc, grace=0)
    output = log.read_text(errors="replace")
    one_console_line(output)
    runs = runs_of(client, "textsweep")
    [parent] = [r for r in runs if r.data.tags.get("textsweep.role") == "sweep"]
    if target == "worker" and signum == signal.SIGKILL:  # a lost worker fails its batch; the sweep goes on and ends
        batch = 2 if launcher == "joblib" else 1
        assert proc.returncode == 1 and f"textsweep: error: all {batch} trial(s)" in output, output[-3000:]
        assert "a launcher worker died" in output and parent.info.status == "FAILED"  # every trial of it failed
        assert {t.user_attrs["fail_reason"] for t in study_trials(home)} == {"worker_lost"}
    elif signum == signal.SIGKILL:
        assert parent.info.status == "KILLED" and parent.data.tags["textsweep.failure_reason"] == "process_lost"
    else:
        assert proc.returncode == 130 and "textsweep: interrupted" in output, output[-3000:]
        assert parent.info.status == "KILLED"
    ran = assert_consistent(home, client)
    assert ran and {t.state.name for t in ran} == {"FAIL"}
    assert {t.user_attrs["fail_reason"] for t in ran} <= set(SIGNAL_REASONS)  # a signal: KILLED, never FAILED
    assert status(home).returncode == 0


@pytest.mark.slow
def test_a_sweep_killed_between_trials_has_its_runs_ended_by_the_next_status(home, client):
    # kill -9 while the confirmation re-trains the best trial: every trial has ended, so no trial tells status that
    # a process died; the study's open-parent mark does, and status ends the parent and the re-training KILLED
    command = [sys.executable, "-m", "textsweep", "train", "-m", *SWEEP, *LAUNCHERS["basic"], "hydra.sweeper.confirm.top_k=1",
               "hydra.sweeper.confirm.seeds=2", "trainer.epochs=200", "trainer.early_stopping.enabled=false"]

    def confirming() -> bool:
        return any(client.get_metric_history(r.info.run_id, "val_accuracy") for r in runs_of(client, "textsweep")
                   if r.info.status == "RUNNING" and r.data.tags.get("textsweep.role") == "confirmation")

    with (home / "sweep.log").open("w") as out:
        proc = processes.spawn(command, cwd=home, env=user_env(home), stdout=out, stderr=subprocess.STDOUT)
        try:
            processes.wait_until(lambda: (home / "mlruns" / "mlflow.db").exists() and confirming(),
                                 "the confirmation re-training its first epoch", proc=proc, ceiling=240)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            processes.stop(proc, grace=0)
    assert {t.state.name for t in study_trials(home)} == {"COMPLETE"}
    looked = status(home)
    assert looked.returncode == 0 and "running 0," in looked.stdout, looked.stdout + looked.stderr[-3000:]
    runs = runs_of(client, "textsweep")
    assert not [(r.info.run_name, r.data.tags.get("textsweep.role")) for r in runs if r.info.status == "RUNNING"]
    ended = {r.data.tags.get("textsweep.role"): (r.info.status, r.data.tags.get("textsweep.failure_reason")) for r in runs
             if r.info.status != "FINISHED"}
    assert ended == {"sweep": ("KILLED", "process_lost"), "confirmation": ("KILLED", "process_lost")}, ended
    assert not [k for k, v in optuna.load_study(study_name=STUDY, storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}")
                .user_attrs.items() if k.startswith("textsweep.open_parent.") and v]  # nothing left for the next status


def disk_cases():
    """(which store sits on the disk that fills mid-training, its overrides given the disk's folder)."""
    yield pytest.param(lambda d: [f"hydra.sweeper.storage=sqlite:///{d}/optuna.db"], id="optuna-storage")
    yield pytest.param(lambda d: [f"tracking.uri=sqlite:///{d}/mlflow.db", "tracking.outage_grace_s=0"], id="mlflow-store")
    yield pytest.param(lambda d: [f"tracking.artifact_root={d}", "tracking.curve_png=true"], id="artifact-folder")


@pytest.mark.slow
@pytest.mark.parametrize("on_disk", disk_cases())
def test_a_full_disk_under_either_store_ends_the_run_failed_and_its_trial_fail(home, small_disk, on_disk):
    import mlflow

    disk = small_disk("4m")
    overrides = on_disk(disk)
    uri = next((o.split("=", 1)[1] for o in overrides if o.startswith("tracking.uri=")), f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")
    storage = next((o.split("=", 1)[1] for o in overrides if o.startswith("hydra.sweeper.storage=")),
                   f"sqlite:///{home / 'mlruns' / 'optuna.db'}")
    client = mlflow.MlflowClient(uri)
    command = [sys.executable, "-m", "textsweep", "train", "-m", *SWEEP, *LAUNCHERS["basic"], *overrides, "trainer.epochs=30"]
    log = home / "sweep.log"
    with log.open("w") as out:
        proc = processes.spawn(command, cwd=home, env=user_env(home), stdout=out, stderr=subprocess.STDOUT)
        try:
            processes.wait_until(lambda: _training(client), "a trial finishing its first epoch", proc=proc)
            filler = fill_disk(disk)
            proc.wait(timeout=processes.patience(180))
        finally:
            processes.stop(proc, grace=0)
    output = log.read_text(errors="replace")
    one_console_line(output)
    # the sweep's own write hit the full disk (exit 2), or every trial failed on it (exit 1, the last error named)
    assert proc.returncode in (1, 2) and ("the disk is full" in output or "No space left on device" in output), output[-3000:]
    filler.unlink()  # space again: the next command can write what the full disk kept back
    looked = status_of(home, storage, uri)
    assert looked.returncode == 0 and "running 0," in looked.stdout, looked.stdout + looked.stderr[-2000:]
    [trial] = [t for t in optuna.load_study(study_name=STUDY, storage=storage).trials if t.state.name != "WAITING"]  # not a retry
    assert trial.state.name == "FAIL", trial
    runs = runs_of(client, "textsweep")
    assert not [r.info.run_name for r in runs if r.info.status == "RUNNING"]
    # the error's own reason, even where the full Optuna store kept the trial from recording it (status takes its run's)
    assert trial.user_attrs.get("fail_reason") not in (None, *SIGNAL_REASONS), trial.user_attrs
    run = client.get_run(trial.user_attrs["mlflow_run_id"])
    assert run.info.status == "FAILED", (run.info, run.data.tags)  # an error, not a signal: FAILED, never FINISHED
    [parent] = [r for r in runs if r.data.tags.get("textsweep.role") == "sweep"]
    assert parent.info.status in ("FAILED", "KILLED"), parent.info


def _training(client) -> bool:
    try:
        experiment = client.get_experiment_by_name("textsweep")
        runs = client.search_runs([experiment.experiment_id]) if experiment else []
    except Exception:  # the store is being created
        return False
    return any(client.get_metric_history(r.info.run_id, "val_accuracy") for r in runs if r.info.status == "RUNNING")


def status_of(home, storage: str, tracking_uri: str) -> subprocess.CompletedProcess:
    """`sweep status` of a study of no shipped sweep: its storage, and its MLflow store as a user's shell names it."""
    return processes.run([sys.executable, "-m", "textsweep", "sweep", "status", STUDY, "--storage", storage], cwd=home,
                         env={**user_env(home), "MLFLOW_TRACKING_URI": tracking_uri}, timeout=processes.patience(120))


def server_cases():
    """(command, signal): each server command, stopped as a scheduler (SIGTERM) or a terminal (SIGINT) would."""
    for command in ("ui", "dashboard"):
        for signum in (signal.SIGTERM, signal.SIGINT):
            yield pytest.param(command, signum, id=f"{command}-{signum.name}")


@pytest.mark.slow
@pytest.mark.parametrize("command, signum", server_cases())
def test_a_server_command_ends_its_servers_whole_process_group_on_a_signal(home, command, signum):
    """`mlflow ui` forks uvicorn workers and a huey consumer; before issue 27, SIGTERM to `textsweep ui` left them
    running. The server leads a process group of its own: every member of it must be gone."""
    import mlflow

    from conftest import free_port

    if command == "dashboard":
        pytest.importorskip("optuna_dashboard")
    (home / "mlruns").mkdir()
    mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}").create_experiment("quickstart")
    optuna.create_study(study_name="adhoc", storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}")
    port = free_port()
    proc = processes.spawn([sys.executable, "-m", "textsweep", command, "--port", str(port)], cwd=home,
                           env=user_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def server_group() -> int | None:
            children = processes.children_of(proc.pid)
            return children[0] if children and len(processes.group_members(children[0])) else None

        group = processes.wait_until(server_group, f"textsweep {command}'s server starting", proc, ceiling=60)
        processes.wait_until(lambda: _answers(port), f"textsweep {command}'s server answering", proc, ceiling=120)
        proc.send_signal(signum)
        assert proc.wait(timeout=processes.patience(30)) == 0
        processes.wait_until(lambda: not processes.group_members(group), "every process of the server's group ending",
                             ceiling=20)
        assert not _answers(port)
    finally:
        processes.stop(proc)


def _answers(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False
