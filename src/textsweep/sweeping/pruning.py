"""Pruning for any Hydra app that `hydra/sweeper=optuna` sweeps: report a value per step, learn when to stop.

    from textsweep.sweeping.pruning import report

    for epoch in range(cfg.epochs):
        loss = train_one_epoch()
        if report(loss, step=epoch):      # True: the study's pruner (hydra.sweeper.pruner) says this trial is weak
            break                         # return as usual (or raise optuna.TrialPruned): the trial ends PRUNED

Keras: `model.fit(..., callbacks=[textsweep.sweeping.keras_pruning.PruningCallback("val_loss")])`.

The sweeper tells each job its trial through environment variables set by the job itself
(hydra.job.env_set), so this works through any launcher. Jobs in other processes (joblib, a cluster) reach
the study through hydra.sweeper.storage; an in-memory study (storage null) is reachable only from jobs in the
sweeper's own process (the basic launcher). Outside a sweep, report() does nothing and returns False.
"""

import logging
import os

log = logging.getLogger(__name__)

STORAGE_ENV, STUDY_ENV, TRIAL_ENV = "TEXTSWEEP_OPTUNA_STORAGE", "TEXTSWEEP_OPTUNA_STUDY", "TEXTSWEEP_OPTUNA_TRIAL"
IN_MEMORY = "memory"
PRUNED_ATTR = "pruned_at_step"  # set on the trial when report() said stop; the sweeper then tells it PRUNED

_in_memory_studies: dict = {}  # study name -> Study, shared by the sweeper with jobs run in its process
_opened: dict = {}  # (storage, study, number) -> ReopenedTrial (None: unreachable), one per trial per process


def job_overrides(storage_url: str | None, study_name: str, number: int) -> list[str]:
    """The overrides that tell a job its trial: environment variables that Hydra sets around the job only."""
    from textsweep.sweeping.search_space import override_value

    return [f"++hydra.job.env_set.{STORAGE_ENV}={override_value(storage_url or IN_MEMORY)}",
            f"++hydra.job.env_set.{STUDY_ENV}={override_value(study_name)}", f"++hydra.job.env_set.{TRIAL_ENV}={number}"]


def share_in_memory(study) -> None:
    _in_memory_studies[study.study_name] = study


def current_trial():
    """This job's trial (a study.ReopenedTrial), or None outside a sweep or where its study cannot be reached."""
    number = os.environ.get(TRIAL_ENV)
    if number is None:
        return None
    key = (os.environ.get(STORAGE_ENV, IN_MEMORY), os.environ.get(STUDY_ENV, ""), int(number))
    if key not in _opened:
        _opened[key] = _reopen(*key)
    return _opened[key]


def _reopen(storage: str, study_name: str, number: int):
    from textsweep.sweeping.study import ReopenedTrial

    if storage != IN_MEMORY:
        return ReopenedTrial(storage, study_name, number)
    study = _in_memory_studies.get(study_name)
    if study is None:
        log.warning("textsweep.sweeping.pruning: study %r is in memory in another process, so this job cannot prune: set "
                    "hydra.sweeper.storage (e.g. sqlite:///optuna.db) to prune through this launcher", study_name)
        return None
    return ReopenedTrial(None, study_name, number, study=study)


def report(value: float, step: int) -> bool:
    """Report this step's value to the trial; True when the study's pruner says to stop (a weak trial)."""
    trial = current_trial()
    if trial is None:
        return False
    if trial.report(float(value), int(step)):
        trial.set_user_attr(PRUNED_ATTR, int(step))
        return True
    return False
