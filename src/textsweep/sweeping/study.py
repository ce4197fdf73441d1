"""Optuna studies for textsweep: storage, sampler and pruner from config, and reopening a trial in a job.

The sweeper asks trials and runs them as Hydra jobs (any launcher, any process). Each job reopens its
trial from the shared storage by study name and trial number, reports the validation metric every
epoch, asks the study's pruner, and records a heartbeat so a killed job is detected. The pruner's spec
is stored on the study (a user attribute), so every job prunes by the same rule as the sweeper set.
"""

import contextlib
import json
import logging
import threading
import warnings
from pathlib import Path

import optuna

from textsweep.errors import ConfigError, TrackingError
from textsweep.private_api import reopen_trial, storage_of, trial_id
from textsweep.reclaim import OWNER, current_owner, is_dead
from textsweep.config.validate import check_seed
from textsweep.tracking.databases import absolute_sqlite_url, creation_lock, first_use_race_retry

PRUNER_ATTR = "textsweep.pruner"
STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")


def resolve_storage_url(storage: str | None, paths) -> str:
    """hydra.sweeper.storage, or the embedded default sqlite:///<home>/mlruns/optuna.db (paths: a RunPaths);
    SQLite paths absolute."""
    return absolute_sqlite_url(storage or f"sqlite:///{paths.optuna_db}")


def quiet_optuna() -> None:
    """Heartbeats with ask/tell are what the sweeper is built on; Optuna's experimental notes are noise here."""
    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def open_storage(url: str, heartbeat_interval: int | None = None, grace_period: int | None = None,
                 max_retries: int | None = None, first_use_lock: bool = True, read_only: bool = False):
    """first_use_lock: serialise workers that open a new SQLite store together (a `.lock` file beside it); another
    app's sweep opens its store in the sweeper's process alone, before any job, and leaves no such file.
    read_only (sweep status): Optuna's skip_table_creation, as a reader creates nothing; it also saves the dozen
    catalogue queries of create_all (1.1 s of 1.2 at load 11 on PostgreSQL)."""
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

    from textsweep.sweeping.resilient_storage import ResilientRDBStorage

    quiet_optuna()
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    kwargs = {}
    if heartbeat_interval:
        kwargs = dict(heartbeat_interval=heartbeat_interval, grace_period=grace_period or 4 * heartbeat_interval,
                      heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=max_retries))
    engine_kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    storage_class = RDBStorage if url.startswith("sqlite") else ResilientRDBStorage  # a server restarts; a file does not
    existed = not url.startswith("sqlite:///") or Path(url[len("sqlite:///"):]).exists()
    try:
        with creation_lock(url) if first_use_lock and not read_only else contextlib.nullcontext():
            return first_use_race_retry(lambda: storage_class(url, engine_kwargs=engine_kwargs, skip_table_creation=read_only,
                                                              **kwargs))
    except Exception as e:  # sqlalchemy ArgumentError (malformed URL), OperationalError (unreachable), full disk
        from textsweep.tracking.databases import remove_if_new, store_problem
        from textsweep.tracking.runs import mask_secrets

        remove_if_new(url, existed, e)
        if read_only and isinstance(e, optuna.exceptions.StorageInternalError):  # its version table is missing
            from textsweep.errors import NotFound

            raise NotFound(f"no Optuna storage at {mask(url)}: the database holds no Optuna tables (run a sweep "
                           "first, or pass --storage)") from None
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise TrackingError(mask_secrets(f"cannot open the Optuna storage {url} ({type(e).__name__}: {first}): "
                                         f"{store_problem(url, e)} (hydra.sweeper.storage)", url)) from None


def mask(url: str) -> str:
    from textsweep.tracking.runs import mask_secrets

    return mask_secrets(url)


def sampler_target(sampler) -> str:
    """The sampler's class path, from the partial that Hydra built from hydra/sweeper/sampler (or a sampler)."""
    cls = getattr(sampler, "func", type(sampler))
    return f"{cls.__module__}.{cls.__qualname__}"


def make_sampler(sampler, seed_offset: int, grid: dict | None = None):
    """The hydra/sweeper/sampler config, which Hydra passes as a partial, as an Optuna sampler.

    A fixed seed seeds TPE and random sampling per trial, from (seed, trial number): workers that start
    together draw different values (a seed offset by the trials seen at start gave them all the same ones), a
    resumed study never repeats its first trials, and a one-worker sweep stays reproducible. Samplers whose
    state lives in the study (CMA-ES, QMC, NSGA) get the seed offset by the trials so far instead.
    A grid sampler gets its grid (the search space's points) from the sweeper."""
    import functools

    if not isinstance(sampler, functools.partial):
        return sampler  # a sampler built elsewhere is used as it is
    cls, kwargs = sampler.func, {k: v for k, v in sampler.keywords.items() if v is not None}
    kwargs.pop("n_ehvi_candidates", None)  # MOTPE's, which Optuna's multi-objective TPE does not take
    seed = kwargs.get("seed")
    if seed is not None:
        check_seed(seed, "hydra.sweeper.sampler.seed")
        kwargs["seed"] = int(seed) + seed_offset
    if issubclass(cls, optuna.samplers.GridSampler):
        cls, kwargs["search_space"] = ExhaustibleGridSampler, grid or {}
    for name, package in (("CmaEsSampler", "cmaes"), ("GPSampler", "torch")):
        if cls.__name__ == name:
            try:
                __import__(package)
            except ImportError:
                raise ConfigError(f"hydra/sweeper/sampler: {name} needs the {package} package: pip install {package}") from None
    try:
        if seed is not None and issubclass(cls, (optuna.samplers.TPESampler, optuna.samplers.RandomSampler)):
            return PerTrialSeed(lambda trial_seed: cls(*sampler.args, **{**kwargs, "seed": trial_seed}), int(seed))
        return cls(*sampler.args, **kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"hydra.sweeper.sampler ({cls.__name__}) cannot be built: {str(e).splitlines()[0][:300]}") from None


def trial_counts(study) -> dict[str, int]:
    """How many of the study's trials are in each state (STATES' names, in that order)."""
    states = [t.state.name for t in study.get_trials(deepcopy=False)]
    return {s: states.count(s) for s in STATES}


def best_trial(study):
    """The best complete trial; None before one completes, and for a multi-objective study (a front, no one best)."""
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not complete or len(study.directions) > 1:
        return None
    pick = max if study.direction.name == "MAXIMIZE" else min
    return pick(complete, key=lambda t: t.value)


def create_or_load(name: str | None, storage, directions: list[str], pruner) -> tuple:
    """(the study of that name, whether this call created it), refused when it exists with other directions.

    Whether it was created here is what lets one of many workers that start a new study together do the
    study's one-time steps (the enqueued first trial) once: create_study without load_if_exists fails for all
    but one of them, in the storage itself."""
    created = True
    try:
        study = optuna.create_study(study_name=name, storage=storage, directions=directions, pruner=pruner)
    except optuna.exceptions.DuplicatedStudyError:
        created = False
        study = optuna.load_study(study_name=name, storage=storage, pruner=pruner)
    found = [d.name.lower() for d in study.directions]
    if found != directions:
        raise ConfigError(f"study {study.study_name!r} exists with direction {found}: keep "
                          f"hydra.sweeper.direction={found if len(found) > 1 else found[0]} or use another study_name")
    return study, created


def sampler_for(sampler, space, trials_so_far: int):
    """The sweep's sampler for its search space (a grid sampler gets the space's points as its grid)."""
    from textsweep.sweeping.search_space import grid_points

    grid = grid_points(space) if sampler_target(sampler).endswith("GridSampler") else None
    return make_sampler(sampler, trials_so_far, grid)


def failure_line(user_attrs: dict) -> str:
    """A FAIL trial's reason and the first line of its message, as `sweep status` and the sweep's error print it.

    A data error's one line ends with its fix, so it is kept whole; only a line no terminal would show is cut,
    with a mark that says so.
    """
    lines = (user_attrs.get("fail_message") or "").strip().splitlines()
    first = lines[0] if lines else ""
    first = first if len(first) <= 600 else first[:599] + "…"
    return f"{user_attrs.get('fail_reason', '?')}: {first}"


def tell_failed(study, trial, reason: str, message: str) -> None:
    """End a trial FAIL with its reason and message (user attributes `sweep status` shows)."""
    from textsweep.private_api import set_trial_user_attr

    number = trial if isinstance(trial, int) else trial.number
    try:
        set_trial_user_attr(study, number, "fail_reason", reason)
        set_trial_user_attr(study, number, "fail_message", message[:1000])
    except Exception:  # finished already (e.g. pruned by the job): nothing to add
        pass
    study.tell(number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)


def sampler_name(sampler) -> str:
    """The sampler's own class, as a log line shows it (PerTrialSeed is how it is seeded, not what it is)."""
    return type(sampler.inner if isinstance(sampler, PerTrialSeed) else sampler).__name__


def trial_seed(base: int, number: int) -> int:
    """The seed of one trial's sampler: a hash of (base seed, trial number), so that the streams of two base
    seeds are independent (base + number made seed 2's trials seed 1's, shifted by one)."""
    import numpy as np

    return int(np.random.SeedSequence([base % 2**32, number]).generate_state(1)[0])


class PerTrialSeed(optuna.samplers.BaseSampler):
    """A sampler rebuilt for each trial with its own seed, trial_seed(base, trial number). Optuna's samplers keep
    no state between trials beyond their random generator (history comes from the storage), so the rebuilt one
    samples as the long-lived one would, from a generator that no other worker shares."""

    def __init__(self, build, seed: int):
        self._build, self._seed = build, seed
        self._inner = build(seed)

    @property
    def inner(self):
        """The sampler of the current trial (a TPESampler, a RandomSampler...)."""
        return self._inner

    def before_trial(self, study, trial) -> None:
        self._inner = self._build(trial_seed(self._seed, trial.number))
        self._inner.before_trial(study, trial)

    def infer_relative_search_space(self, study, trial):
        return self._inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._inner.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._inner.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values) -> None:
        self._inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._inner.reseed_rng()


def pruner_spec(pruner) -> dict:
    """The hydra/sweeper/pruner config (Hydra passes a partial, or a dict with `_target_`) as plain JSON-able data:
    the class path and its arguments, stored on the study so every job rebuilds the same pruner."""
    if pruner is None:
        return {"_target_": "optuna.pruners.NopPruner"}
    if isinstance(pruner, dict):
        return {k: v for k, v in pruner.items() if k != "_partial_"}
    cls = getattr(pruner, "func", type(pruner))
    return {"_target_": f"{cls.__module__}.{cls.__qualname__}", **getattr(pruner, "keywords", {})}


def make_pruner(spec: dict | None):
    """The Optuna pruner a stored spec names; a one-line ConfigError naming hydra.sweeper.pruner otherwise."""
    import optuna

    from textsweep.config.targets import target_class
    from textsweep.sweeping.startup_pruner import with_startup_trials

    spec = dict(spec or {"_target_": "optuna.pruners.NopPruner"})
    example = "optuna.pruners.MedianPruner (hydra/sweeper/pruner=median)"
    cls = target_class(spec, "hydra.sweeper.pruner", optuna.pruners.BasePruner, example)
    kwargs = {k: v for k, v in spec.items() if k not in ("_target_", "_partial_")}
    try:
        return with_startup_trials(cls, kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"hydra.sweeper.pruner ({cls.__name__}) rejects its arguments ({str(e).strip()[:200]}): fix "
                          f"them, e.g. hydra.sweeper.pruner.percentile=25 (hydra/sweeper/pruner=percentile)") from None


class ExhaustibleGridSampler(optuna.samplers.GridSampler):
    """Optuna's GridSampler calls study.stop() after the last cell, which raises outside study.optimize,
    before the trial's state is saved. The sweeper's ask/tell loop checks is_exhausted() itself."""

    def after_trial(self, study, trial, state, values) -> None:
        pass


_OPENED: dict = {}  # (storage URL, study name, heartbeat interval) -> (storage, study), per process


class ReopenedTrial:
    """A job's handle on its trial: report per-epoch values, ask the pruner, keep a heartbeat."""

    def __init__(self, storage_url: str | None, study_name: str, number: int, heartbeat_interval: int | None = None,
                 study=None):
        """From the storage URL; or, for an in-memory study of a launcher that runs jobs in this process, the study."""
        import optuna

        if study is None:
            key = (storage_url, study_name, heartbeat_interval)
            if key not in _OPENED:  # the trials a launcher runs in this process share one storage and study
                storage = open_storage(storage_url, heartbeat_interval)
                spec = json.loads(optuna.load_study(study_name=study_name, storage=storage).user_attrs.get(PRUNER_ATTR, "{}"))
                _OPENED[key] = storage, optuna.load_study(study_name=study_name, storage=storage, pruner=make_pruner(spec))
            self.storage, study = _OPENED[key]
        else:
            self.storage = storage_of(study)
        self.study = study
        self.number = number
        self.trial = reopen_trial(self.study, number)
        # the sweep process that asked for this trial; a launcher's worker stops its job when that process is gone
        owner = self.storage.get_trial_user_attrs(trial_id(self.trial)).get(OWNER)
        self._sweep_owner = owner if owner != current_owner() else None
        self._orphaned = False
        self._stop = threading.Event()
        self._thread = None
        if heartbeat_interval:
            self._thread = threading.Thread(target=self._beat, args=(heartbeat_interval,), daemon=True)
            self._thread.start()

    def _beat(self, interval: int) -> None:
        from textsweep.interrupts import interrupt_main_thread

        while not self._stop.is_set():
            if is_dead(self._sweep_owner):  # kill -9 of the sweep: its trials would train on for nobody
                self._orphaned = True
                interrupt_main_thread("process_lost", f"its sweep process {self._sweep_owner} died")
                return
            try:
                self.storage.record_heartbeat(trial_id(self.trial))
            except Exception:  # a storage hiccup must not kill training; the next beat retries
                pass
            self._stop.wait(interval)

    def report(self, value: float, step: int) -> bool:
        """Report the epoch's value; True when the pruner says stop. Optuna prunes single-objective studies only."""
        if len(self.study.directions) > 1:
            return False
        self.trial.report(value, step)
        return self.trial.should_prune()

    def set_user_attr(self, key: str, value) -> None:
        self.trial.set_user_attr(key, value)

    def ranks_among_best(self, value: float, k: int) -> bool:
        """Whether `value` would rank among the top k of the study's completed trials (multi-objective: yes)."""
        import optuna

        if len(self.study.directions) > 1:
            return True
        maximize = self.study.direction == optuna.study.StudyDirection.MAXIMIZE
        done = [t.value for t in self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))]
        better = sum(1 for v in done if v is not None and (v > value if maximize else v < value))
        return better < k

    def tell_pruned(self) -> None:
        import optuna

        self.study.tell(self.number, state=optuna.trial.TrialState.PRUNED, skip_if_finished=True)

    def close(self) -> None:
        """After the job's run has ended. A worker whose sweep process died exits here: its launcher would keep it
        waiting for jobs from nobody (loky's workers idle for 300 s)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._orphaned or is_dead(self._sweep_owner):  # also when the job failed before the heartbeat noticed
            import os

            from textsweep.errors import EXIT_INTERRUPTED

            logging.shutdown()  # flush the job's log
            os._exit(EXIT_INTERRUPTED)
