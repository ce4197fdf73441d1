"""Reclaim the trials and runs of a sweep process that died (kill -9, OOM killer, power cut of a worker).

Heartbeats find such a trial only after the grace period (4 heartbeats, 40 s by default), so a sweep
restarted at once would leave it RUNNING. The sweeping process therefore records who owns each trial and
its parent run: host, pid and the process's start time (pids are reused). On start, a RUNNING trial or
parent run owned by a process on this host that no longer lives is reclaimed at once: the trial is failed
(`process_lost`) and retried like a heartbeat-stale one, the run ended FAILED. Owners on other hosts are
left to the heartbeat.
"""

import os
import socket

OWNER = "textsweep.owner"


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


def reclaim_dead_trials(study) -> list[int]:
    """Fail the RUNNING trials of dead local owners and hand them to the storage's retry callback (the same
    path as a heartbeat-stale trial); returns their numbers."""
    import optuna
    from optuna.trial import TrialState

    from textsweep.private_api import storage_of, trial_id

    storage = storage_of(study)
    reclaimed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if not is_dead(trial.user_attrs.get(OWNER)):
            continue
        tid = trial_id(trial)
        try:
            storage.set_trial_user_attr(tid, "fail_reason", "process_lost")
            storage.set_trial_user_attr(tid, "fail_message", f"its sweep process {trial.user_attrs[OWNER]} died")
            if not storage.set_trial_state_values(tid, state=TrialState.FAIL):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:  # finished meanwhile
            continue
        reclaimed.append(trial.number)
        retry = storage.get_heartbeat_stale_trial_callback() if hasattr(storage, "get_heartbeat_stale_trial_callback") else None
        if retry is not None:
            retry(study, storage.get_trial(tid))
    return reclaimed


def close_dead_runs(client, experiment_id: str) -> None:
    """End FAILED (`process_lost`) the experiment's RUNNING runs (single runs, trials, sweep and multirun
    parents) whose owner process on this host is gone: kill -9 leaves them RUNNING forever otherwise."""
    try:
        runs = client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'", max_results=1000)
    except Exception:  # a convenience: never the reason a run cannot start
        return
    for run in runs:
        if is_dead(run.data.tags.get(OWNER)):
            try:
                client.set_tag(run.info.run_id, "textsweep.failure_reason", "process_lost")
                client.set_terminated(run.info.run_id, "FAILED")
            except Exception:  # another restart closed it first
                pass
