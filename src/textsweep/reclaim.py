"""Reclaim the trials and runs of a process that died (kill -9, OOM killer, a lost launcher worker), so that no
trial or run is left RUNNING with nobody to end it, and each MLflow run ends as its trial did.

Heartbeats find such a trial only after the grace period (4 heartbeats, 40 s by default), so a sweep
restarted at once would leave it RUNNING. The sweeping process therefore records who owns each trial and
its parent run: host, pid and the process's start time (pids are reused). A RUNNING trial or run owned by a
process on this host that no longer lives is reclaimed at once, by the next sweep and by `sweep status`: the
trial is failed (`process_lost`) and retried like a heartbeat-stale one, the run ended KILLED (its process
was killed; it raised no error). Owners on other hosts are left to the heartbeat.

Statuses agree: a trial failed for a signal or a lost process (SIGNAL_REASONS) has its run KILLED, a trial
failed on an error has its run FAILED.
"""

import os
import socket

OWNER = "textsweep.owner"
# a study attribute per sweep invocation, OPEN_PARENT + its parent run's id: the invocation's owner while the parent
# runs, "" once it ended. A sweep killed between trials (no trial RUNNING) thus still tells `sweep status`,
# without a look into MLflow, that a parent run is left to end.
OPEN_PARENT = "textsweep.open_parent."
# a trial's fail_reason when no error ended it: a signal, its process or its launcher's worker gone
SIGNAL_REASONS = ("interrupted", "process_lost", "worker_lost")


def run_status_for(reason: str | None) -> str:
    """The MLflow status of a run whose trial failed with `reason` (none recorded: failed by heartbeat, a lost process)."""
    return "KILLED" if reason in (None, *SIGNAL_REASONS) else "FAILED"


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux /proc); '' where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def current_owner() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def is_dead(owner: str | None) -> bool:
    """True only for an owner on this host whose process is gone (or whose pid now belongs to another process)."""
    if not owner or owner.count(":") < 2:
        return False
    host, pid, started = owner.rsplit(":", 2)
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return bool(started) and _start_time(int(pid)) not in ("", started)


def ended_as_its_run(client):
    """For reclaim_dead_trials: a trial's (reason, message) from its MLflow run where that run has ended FAILED or
    KILLED with a reason. A full Optuna store is such a case: the job ended its run FAILED on the error, but could
    not write its trial's state, so the trial's reason is the run's, not `process_lost`."""
    def ended_as(trial):
        run_id = trial.user_attrs.get("mlflow_run_id")
        try:
            run = client.get_run(run_id) if run_id else None
        except Exception:  # no such run here, or the store cannot answer: the owner's death is what is known
            return None
        reason = run.data.tags.get("textsweep.failure_reason") if run is not None else None
        if run is None or run.info.status not in ("FAILED", "KILLED") or not reason:
            return None
        return reason, run.data.tags.get("textsweep.failure_message", "")
    return ended_as


def reclaim_dead_trials(study, ended_as=None) -> list[int]:
    """Fail the RUNNING trials of dead local owners and hand them to the storage's retry callback (the same
    path as a heartbeat-stale trial); returns their numbers. The reason is `process_lost`, or what `ended_as`
    (ended_as_its_run) finds the trial's run ended with."""
    import optuna
    from optuna.trial import TrialState

    from textsweep.private_api import storage_of, trial_id

    storage = storage_of(study)
    reclaimed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if not is_dead(trial.user_attrs.get(OWNER)):
            continue
        tid = trial_id(trial)
        reason, message = (ended_as and ended_as(trial)) or ("process_lost", f"its sweep process {trial.user_attrs[OWNER]} died")
        try:
            storage.set_trial_user_attr(tid, "fail_reason", reason)
            storage.set_trial_user_attr(tid, "fail_message", message)
            if not storage.set_trial_state_values(tid, state=TrialState.FAIL):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:  # finished meanwhile
            continue
        reclaimed.append(trial.number)
        retry = storage.get_heartbeat_stale_trial_callback() if hasattr(storage, "get_heartbeat_stale_trial_callback") else None
        if retry is not None:
            retry(study, storage.get_trial(tid))
    return reclaimed


def end_runs_of_ended_trials(client, study, experiment_ids: list[str]) -> int:
    """End the study's RUNNING MLflow runs (tag optuna.study) that no live process will end: a trial's run whose
    trial has failed ends as the trial did (KILLED or FAILED, by its fail_reason), even while a doomed worker still
    holds it; any run of the study whose owner process is gone ends KILLED (`process_lost`). Returns how many."""
    from optuna.trial import TrialState

    from textsweep.tracking.filters import equals
    from textsweep.tracking.runs import close_run

    try:
        runs = client.search_runs(experiment_ids, max_results=1000, filter_string=" and ".join(
            ["attributes.status = 'RUNNING'", equals("tags.`optuna.study`", study.study_name, "the study name")]))
    except Exception:  # a convenience: never the reason a sweep cannot start or a status cannot show
        return 0
    failed = {t.user_attrs.get("mlflow_run_id"): t for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))}
    ended = 0
    for run in runs:
        trial = failed.get(run.info.run_id)
        if trial is not None:
            reason = trial.user_attrs.get("fail_reason")
            status, reason = run_status_for(reason), reason or "process_lost"
        elif is_dead(run.data.tags.get(OWNER)):
            status, reason = "KILLED", "process_lost"
        else:
            continue
        try:
            close_run(client, run.info.run_id, status, reason)
            ended += 1
        except Exception:  # ended meanwhile by its own process
            pass
    return ended


def close_dead_runs(client, experiment_id: str) -> None:
    """End KILLED (`process_lost`) the experiment's RUNNING runs (single runs, trials, sweep and multirun
    parents) whose owner process on this host is gone: kill -9 leaves them RUNNING forever otherwise."""
    from textsweep.tracking.runs import close_run

    try:
        runs = client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'", max_results=1000)
    except Exception:  # a convenience: never the reason a run cannot start
        return
    for run in runs:
        if is_dead(run.data.tags.get(OWNER)):
            try:
                close_run(client, run.info.run_id, "KILLED", "process_lost")
            except Exception:  # another restart closed it first
                pass


def mark_parent(study, run_id: str, running: bool) -> None:
    """Record that this process's parent run `run_id` runs (or has ended); a store that cannot take it is no reason to stop."""
    try:
        study.set_user_attr(OPEN_PARENT + run_id, current_owner() if running else "")
    except Exception:
        pass


def dead_parents(study) -> list[str]:
    """The parent runs (ids) that a process on this host left running when it died."""
    return [key[len(OPEN_PARENT):] for key, owner in study.user_attrs.items()
            if key.startswith(OPEN_PARENT) and owner and is_dead(owner)]
