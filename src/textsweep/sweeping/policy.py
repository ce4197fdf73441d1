"""What a sweep does differently for textsweep's own app and for any other Hydra app. The sweeper's loop
(sweeper.py) is one; it asks the app's policy:

- the search space's checks and the study: where it lives, its name, its directions;
- what each trial's job is told besides its values (`trial_overrides`);
- how a job's outcome comes back (`outcome`): any app returns its value (a float, or a list for a multi-objective
  study), as with hydra-optuna-sweeper; textsweep's app returns a dict of metrics;
- the steps around the trials: the baseline, the confirmation, the summary (textsweep's app);
- the failure rules (`stop_on_failures`) and how an error reaches the user (`report_error`);
- the MLflow parent run (tracker.SweepTracker, textsweep's app only).
"""

import json
import logging
import math
import re
import sys
from dataclasses import dataclass

from hydra.core.utils import JobStatus
from omegaconf import DictConfig, OmegaConf

from textsweep.errors import ConfigError, Escalated, SweepFailed
from textsweep.sweeping.settings import SweepSettings

log = logging.getLogger("textsweep.sweep")
SAME_FAILURES_STOP = 3  # textsweep's app: the first trials all failing with one error will not get better
ASK_ATTR = "textsweep.ask_s"  # seconds study.ask took for a trial of textsweep's app (another app's trials stay bare)


def is_textsweep_app(config) -> bool:
    """textsweep's own app: its config carries the trial node that the sweeper fills in (schema.OptunaTrialConfig)."""
    node = config.get("optuna") if isinstance(config, DictConfig) else None
    return isinstance(node, DictConfig) and "trial_number" in node and "parent_run_id" in node


@dataclass
class Outcome:
    """A trial's result as the study is told it: its values, pruned, or failed with a reason."""
    values: list | None = None
    pruned: bool = False
    reason: str = ""
    message: str = ""
    result: object = None  # the job's return (JobReturn), kept for the official plugin's re-raise

    @property
    def failed(self) -> bool:
        return self.values is None and not self.pruned


def policy_for(settings: SweepSettings, config, loader, launch):
    """The app's policy. loader: Hydra's config loader (checks that compose); launch: the sweeper's launch."""
    return (TextsweepApp if is_textsweep_app(config) else AnyApp)(settings, config, loader, launch)


class AnyApp:
    """hydra-optuna-sweeper's behaviour, on Optuna 5: the study in memory unless `storage` says where, its value
    returned by the job, max_failure_rate 0 by default, the job's own error re-raised. Nothing of textsweep reaches
    the app's jobs, study or sweep folder unless it asks for pruning (hydra/sweeper/pruner)."""

    validates_batches = False  # the launcher composes each job as Hydra does
    default_failure_rate = 0.0

    def __init__(self, settings: SweepSettings, config, loader, launch):
        self.settings, self.config, self.loader, self.launch = settings, config, loader, launch
        self.directions = self.objectives = []
        self.prunes = False
        self.url = None

    def check(self) -> None:
        """The settings, before the search space is read."""
        from textsweep.sweeping.objectives import directions_for_any_app

        self.directions = directions_for_any_app(self.settings.direction)

    def check_space(self, space) -> None:
        if space.stop_excluded:
            log.warning("range() stops are not points of the search space here, as in Hydra's own range(): %s; "
                        "hydra-optuna-sweeper includes them (raise the stop by one step for its space)",
                        ", ".join(f"{k}={v}" for k, v in space.stop_excluded.items()))

    def space_may_be_empty(self, custom_search_space) -> bool:
        return True  # as the official plugin: n_trials runs of the app

    def open_study(self, space):
        import optuna

        from textsweep.sweeping import pruning
        from textsweep.sweeping.study import (PRUNER_ATTR, create_or_load, make_pruner, open_storage, quiet_optuna,
                                              sampler_for, sampler_name)
        from textsweep.tracking.databases import absolute_sqlite_url

        quiet_optuna()
        pruner = make_pruner(self.settings.pruner_spec)
        # pruning (hydra/sweeper/pruner, textsweep's) is the one feature that reaches into the app's jobs: only then
        # does the study carry the pruner and each job its trial's coordinates (hydra.job.env_set)
        self.prunes = not isinstance(pruner, optuna.pruners.NopPruner)
        # absolute, so that jobs which change directory (hydra.job.chdir) still reach the same SQLite file
        self.url = absolute_sqlite_url(self.settings.storage) if self.settings.storage else None
        storage = open_storage(self.url, first_use_lock=False) if self.url else None
        study, _ = create_or_load(self.settings.study_name, storage, self.directions, pruner)
        study.sampler = sampler_for(self.settings.sampler, space, len(study.trials))
        if self.prunes and storage is None:
            pruning.share_in_memory(study)
        elif self.prunes:
            study.set_user_attr(PRUNER_ATTR, json.dumps(self.settings.pruner_spec))
        log.info("Study name: %s, storage: %s, sampler: %s, directions: %s", study.study_name,
                 _mask(self.settings.storage) if self.settings.storage else "in memory", sampler_name(study.sampler),
                 self.directions)
        return study

    def start(self, study, space) -> None:
        pass

    def asked(self, trials, ask_seconds: list[float]) -> None:
        pass  # another app's trials get no textsweep attribute

    def trial_overrides(self, study, trial) -> list[str]:
        from textsweep.sweeping import pruning

        return pruning.job_overrides(self.url, study.study_name, trial.number) if self.prunes else []

    def outcome(self, study, trial, result) -> Outcome:
        import optuna

        from textsweep.private_api import job_error, storage_of, trial_id_of
        from textsweep.sweeping.objectives import values_of
        from textsweep.sweeping.pruning import PRUNED_ATTR

        error = None if result.status == JobStatus.COMPLETED else job_error(result)
        if isinstance(error, optuna.TrialPruned) or (self.prunes and PRUNED_ATTR in storage_of(study).get_trial_user_attrs(
                trial_id_of(study, trial.number))):
            return Outcome(pruned=True)
        if error is None:
            try:
                return Outcome(values=values_of(result.return_value, len(self.directions)))
            except ValueError as e:
                error = e
        log.warning("Failed experiment: %s", error)
        return Outcome(reason=getattr(error, "reason", type(error).__name__), message=str(error), result=result)

    def progress(self, study, done: int) -> None:
        pass

    def stop_on_failures(self, failures: list[Outcome], done: int, failed: list[Outcome], launched: int) -> None:
        rate = self.settings.failure_rate(self.default_failure_rate)
        if failed and len(failed) / launched > rate:
            log.error("%d of %d trial(s) in a batch failed, more than max_failure_rate=%s", len(failed), launched, rate)
            for f in failed:
                f.result.return_value  # re-raises the job's own error, as the official plugin does
            raise SweepFailed(f"{len(failed)} of {launched} trial(s) of a batch returned no usable value, more than "
                              f"hydra.sweeper.max_failure_rate={self.settings.max_failure_rate}: see 'Failed experiment' above")

    def stopped(self, study, asked: set, status: str) -> None:
        pass

    def finish(self, study, space, done: int, seconds: float, asked: set) -> None:
        from textsweep.sweeping.objectives import write_results

        if write_results(study, self.config.hydra.sweep.dir) is None:
            raise SweepFailed(f"no trial of study {study.study_name!r} completed ({done} run now): see the jobs' errors above")
        if len(study.directions) == 1:
            log.info("Best parameters: %s", study.best_trial.params)
            log.info("Best value: %s", study.best_trial.value)
        else:
            log.info("Number of Pareto solutions: %d", len(study.best_trials))
            for t in study.best_trials:
                log.info("    Values: %s, Params: %s", t.values, t.params)

    def report_error(self, error) -> None:
        print(f"textsweep: error: {error}", file=sys.stderr)  # another app's own entry point: no textsweep.cli
        sys.exit(error.exit_code)


class TextsweepApp(AnyApp):
    """textsweep's app: a persistent study named after the experiment (SQLite under the home by default), each job
    reopening its trial (pruning through any launcher, heartbeats, retries of killed trials), values from the job's
    metrics, the linear baseline before the first trial and the confirmation of the best after, one MLflow parent
    run per invocation, a summary; it stops when its first trials all fail the same way."""

    validates_batches = True  # one composition per new shape of overrides (sweeper._validate)
    default_failure_rate = 1.0  # failed trials are recorded; the same-failure rule stops a broken setup

    def __init__(self, settings: SweepSettings, config, loader, launch):
        super().__init__(settings, config, loader, launch)
        self.tracker = self.name = None
        self.objective = None

    def check(self) -> None:
        from textsweep.sweeping.objectives import objectives_and_directions

        s = self.settings
        self.objectives, self.directions = objectives_and_directions(s.objectives, s.direction)
        self.objective = self.objectives[0]  # the per-epoch one: pruning, early stopping, baseline, confirmation
        if s.confirm.get("top_k", 0) < 0 or (s.confirm.get("top_k") and s.confirm.get("seeds", 0) < 2):
            raise ConfigError(f"hydra.sweeper.confirm={s.confirm}: top_k must be >= 0 and seeds >= 2 (the trial's own "
                              "run counts as the first seed)")
        if s.confirm.get("top_k") and len(self.objectives) > 1:
            raise ConfigError("hydra.sweeper.confirm re-trains the best trials of one objective: set confirm.top_k=0 "
                              f"for the multi-objective {self.objectives}")

    def check_space(self, space) -> None:
        from textsweep.sweeping.preflight import check_first_trial
        from textsweep.sweeping.steps import check_space

        check_space(space, self.config, self.loader)
        check_first_trial(self.loader, self.config, space)  # what every trial reads: before the study or a run exists

    def space_may_be_empty(self, custom_search_space) -> bool:
        return custom_search_space is not None

    def open_study(self, space):
        import mlflow
        import optuna

        from textsweep.config.paths import RunPaths
        from textsweep.reclaim import ended_as_its_run, reclaim_dead_trials
        from textsweep.tracking.runs import tracking_uri
        from textsweep.sweeping.pareto import OBJECTIVES_ATTR
        from textsweep.sweeping.steps import warn_if_settings_changed
        from textsweep.sweeping.study import (PRUNER_ATTR, create_or_load, make_pruner, open_storage, resolve_storage_url,
                                              sampler_for)

        s = self.settings
        self.url = resolve_storage_url(s.storage, RunPaths.of(self.config))
        self.name = s.study_name or self.config.experiment_name
        storage = open_storage(self.url, s.heartbeat_interval, max_retries=s.max_retries)
        pruner = make_pruner(s.pruner_spec)
        sampler_for(s.sampler, space, 0)  # validates the sampler before the study is touched
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study, self.created = create_or_load(self.name, storage, self.directions, pruner)
        study.sampler = sampler_for(s.sampler, space, len(study.trials))
        study.set_user_attr(PRUNER_ATTR, json.dumps(s.pruner_spec))
        study.set_user_attr(OBJECTIVES_ATTR, json.dumps(self.objectives))
        # trials of a dead sweep process on this host: at once, not after the grace period; each with its run's reason
        # where its run ended on an error that the trial could not record (a full Optuna store)
        reclaim_dead_trials(study, lambda trial: ended_as_its_run(mlflow.MlflowClient(tracking_uri(self.config)))(trial))
        optuna.storages.fail_stale_trials(study)  # trials of killed jobs: FAIL, retried by the callback
        warn_if_settings_changed(study, self.config, space)
        return study

    def start(self, study, space) -> None:
        """Before the first trial: the composed config's own values enqueued (a new study), the parent run, the baseline."""
        import optuna

        from textsweep.sweeping.steps import train_baseline_once
        from textsweep.sweeping.tracker import SweepTracker

        before = len(study.trials)
        if self.settings.enqueue_baseline and self.created:  # once, by the one worker that created the study
            baseline = composed_values(self.config, space)
            # a grid cell must name every parameter: a partial anchor would stop Optuna's GridSampler
            complete = len(baseline) == len(space.distributions)
            if baseline and (complete or not isinstance(study.sampler, optuna.samplers.GridSampler)):
                study.enqueue_trial(baseline, skip_if_exists=True)
        self.tracker = SweepTracker(self.config, self.name)
        self.tracker.start(study, *parent_run_record(self.settings, self.name, self.url, self.objectives, self.directions, space))
        self.tracker.end_runs_of_ended_trials(study)
        if self.settings.baseline:
            train_baseline_once(study, space.fixed, self.objective, self.launch, self.context(), self.tracker)
        log.info("study %s in %s: %d trial(s) so far; running %d more", self.name, _mask(self.url), before,
                 self.settings.n_trials)

    def context(self) -> list[str]:
        """What tells a job it belongs to this sweep: the study, the parent run, the objective."""
        from textsweep.sweeping.search_space import override_value

        return [f"optuna.storage={override_value(self.url)}", f"optuna.study_name={override_value(self.name)}",
                f"optuna.parent_run_id={self.tracker.run_id}", f"optuna.objective={self.objective}",
                f"optuna.heartbeat_interval={self.settings.heartbeat_interval}",
                f"optuna.keep_top_k={max(1, int(self.settings.confirm.get('top_k') or 0))}"]

    def asked(self, trials, ask_seconds: list[float]) -> None:
        from textsweep.reclaim import OWNER, current_owner

        owner = current_owner()
        for trial, seconds in zip(trials, ask_seconds):
            trial.set_user_attr(OWNER, owner)  # who runs it: a restart reclaims it at once if this process dies
            trial.set_user_attr(ASK_ATTR, round(seconds, 4))  # the sampler reads the history, which grows: bench/scale.py

    def trial_overrides(self, study, trial) -> list[str]:
        return [*self.context(), f"optuna.trial_number={trial.number}"]

    def outcome(self, study, trial, result) -> Outcome:
        from textsweep.sweeping.objectives import metric_values

        if result.status == JobStatus.COMPLETED:
            metrics = result.return_value or {}
            if metrics.get("pruned_at_epoch"):
                return Outcome(pruned=True)
            values = metric_values(metrics, self.objectives)
            if values is not None and all(math.isfinite(v) for v in values):
                return Outcome(values=values)
            return Outcome(reason="no_objective", message=f"the job returned no finite {', '.join(self.objectives)}")
        from textsweep.private_api import job_error

        error = job_error(result)
        return Outcome(reason=getattr(error, "reason", type(error).__name__), message=str(error), result=result)

    def progress(self, study, done: int) -> None:
        self.tracker.progress(study, done, self.settings.n_trials, self.objective, self.settings.timeout)

    def stop_on_failures(self, failures: list[Outcome], done: int, failed: list[Outcome], launched: int) -> None:
        """Stop when the first trials all fail the same way (a broken setup, not a bad point of the space), or when
        a batch fails more than max_failure_rate (1.0 unless set: failed trials are recorded)."""
        first = [(f.reason, f.message) for f in failures[:SAME_FAILURES_STOP]]
        if done >= SAME_FAILURES_STOP and len(failures) == done and len(set(first)) == 1:
            reason, message = first[0]
            raise SweepFailed(f"the first {done} trials failed with the same error ({reason}: {message.splitlines()[0][:300] if message else ''}): "
                              "fix it and run the sweep again (`textsweep sweep status` lists the failed trials)")
        if failed and len(failed) / launched > self.settings.failure_rate(self.default_failure_rate):
            last = failed[-1]
            raise SweepFailed(f"{len(failed)} of {launched} trial(s) of a batch failed, more than hydra.sweeper.max_failure_rate="
                              f"{self.settings.max_failure_rate} (last: {last.reason}: {last.message.splitlines()[0][:300] if last.message else ''})")

    def stopped(self, study, asked: set, status: str) -> None:
        """The sweep stopped early (KILLED: interrupted; FAILED: an error): its running trials, their runs (a launcher's
        workers stop with the sweep, and may not end their runs themselves) and its parent run end."""
        from textsweep.sweeping.study import tell_failed

        reason, message = (("interrupted", "the sweep was interrupted") if status == "KILLED" else
                           ("sweep_failed", "the sweep stopped on an error before this trial ended"))
        try:
            for t in study.get_trials(deepcopy=False):
                if t.state.name == "RUNNING" and t.number in asked:
                    tell_failed(study, t.number, reason, message)
        except Exception as e:  # the Optuna store itself failed (a full disk): the next command reclaims the trials
            log.debug("could not end the running trials: %s", e)
        self.tracker.end_runs_of_ended_trials(study)
        try:
            self.tracker.finish(study, status=status)
        except Exception as e:  # the MLflow store itself failed: the error that stopped the sweep is the one to show
            log.debug("could not end the parent run: %s", e)

    def lost_workers(self, study, trials, error) -> list[Outcome]:
        """A launcher's worker died (kill -9, the OOM killer) and the launcher lost the whole batch: each trial of it
        ends as its run did. A run that finished before the batch was lost gives its trial its values; the others
        fail (`worker_lost`) with their runs KILLED. The sweep goes on with the next batch."""
        from optuna.trial import TrialState

        from textsweep.private_api import storage_of, trial_id
        from textsweep.reclaim import run_status_for
        from textsweep.sweeping.objectives import metric_values
        from textsweep.sweeping.study import tell_failed

        codes = re.search(r"exit codes of the workers are (\{[^}]*\})", str(error))  # loky names the signal
        cause = f"exit codes {codes.group(1)}" if codes else " ".join(str(error).split())[:300]
        outcomes = []
        for trial in trials:
            run = self.tracker.run(storage_of(study).get_trial_user_attrs(trial_id(trial)).get("mlflow_run_id"))
            outcome = Outcome(reason="worker_lost", message=f"its worker process died: {cause}")
            if run is not None and run.info.status == "FINISHED":
                values = metric_values(run.data.metrics, self.objectives)
                if run.data.tags.get("pruned") == "true":
                    outcome = Outcome(pruned=True)
                elif values is not None and all(math.isfinite(v) for v in values):
                    outcome = Outcome(values=values)
            if outcome.pruned:
                study.tell(trial, state=TrialState.PRUNED, skip_if_finished=True)
            elif outcome.failed:
                tell_failed(study, trial, outcome.reason, outcome.message)
                self.tracker.end_run(run, run_status_for(outcome.reason), outcome.reason, outcome.message)
            else:
                study.tell(trial, outcome.values, skip_if_finished=True)
            outcomes.append(outcome)
        log.warning("a launcher worker died (%s): trial(s) %s ended %s; the sweep goes on", cause,
                    ", ".join(str(t.number) for t in trials),
                    ", ".join("failed" if o.failed else "pruned" if o.pruned else "complete" for o in outcomes))
        return outcomes

    def finish(self, study, space, done: int, seconds: float, asked: set) -> None:
        from textsweep.sweeping.objectives import write_results
        from textsweep.sweeping.steps import confirm_winner, print_summary

        ran = [t for t in study.get_trials(deepcopy=False) if t.number in asked and t.state.name in ("COMPLETE", "PRUNED")]
        top_k = int(self.settings.confirm.get("top_k") or 0)
        if ran and top_k:
            try:
                confirm_winner(study, space.fixed, top_k, int(self.settings.confirm["seeds"]), self.config,
                               self.objective, self.settings.n_jobs, self.launch, self.context(), self.tracker)
            except KeyboardInterrupt:
                self.tracker.finish(study, status="KILLED")
                raise
        from textsweep.sweeping import verdict

        found = verdict.of_study(study, self.objective, top_k)  # on the parent run too, where `compare` reads it
        # every trial of this invocation failed: its parent run failed with them, never FINISHED beside a non-zero exit
        self.tracker.finish(study, status="FINISHED" if ran else "FAILED", tags=verdict.as_tags(found) if found else None)
        if not ran:
            failed = [t for t in study.get_trials(deepcopy=False) if t.number in asked and t.state.name == "FAIL"]
            from textsweep.sweeping.study import failure_line

            why = f" (last: {failure_line(failed[-1].user_attrs)})" if failed else ""
            raise SweepFailed(f"all {done} trial(s) of study {self.name!r} failed{why}: see `textsweep sweep status` and the "
                              "FAILED runs in MLflow")
        write_results(study, self.config.hydra.sweep.dir)
        print_summary(study, self.objective, self.tracker, done, seconds, top_k)

    def report_error(self, error) -> None:
        raise Escalated(error) from None  # printed once by textsweep.cli, past Hydra's handlers


def composed_values(config, space) -> dict:
    """The composed config's own values for the searched keys: the tutorial's settings anchor the sweep."""
    choices = OmegaConf.select(config, "hydra.runtime.choices") or {}
    params = {}
    for key, dist in space.distributions.items():
        value = choices.get(key) if key in choices else OmegaConf.select(config, key, default=None)
        if value is None or isinstance(value, DictConfig):
            continue
        if _within(dist, value):
            params[key] = value
    return params


def parent_run_record(settings: SweepSettings, name: str, url: str, objectives: list, directions: list, space):
    """The parent run's params (the sweep's settings and space) and its note, as plain values."""
    from textsweep.config.names import mlflow_key
    from textsweep.sweeping.study import sampler_target

    s = settings
    params = {"sweep.direction": ",".join(directions), "sweep.objective": ",".join(objectives),
              "sweep.n_trials": s.n_trials, "sweep.n_jobs": s.n_jobs, "sweep.storage": _mask(url),
              "sweep.sampler": sampler_target(s.sampler),
              **{f"sweep.sampler.{k}": v for k, v in getattr(s.sampler, "keywords", {}).items()},
              **{f"sweep.pruner.{k}": v for k, v in s.pruner_spec.items()},
              **{f"sweep.space.{mlflow_key(k)}": repr(d) for k, d in space.distributions.items()},
              **({"sweep.fixed": " ".join(space.fixed)} if space.fixed else {})}
    note = (f"Optuna study {name}: {s.n_trials} trial(s), sampler {sampler_target(s.sampler).rsplit('.', 1)[-1]}, "
            f"pruner {s.pruner_spec['_target_'].rsplit('.', 1)[-1]}")
    return params, note


def _within(dist, value) -> bool:
    """Whether a config value is a point of the distribution (the baseline is enqueued only if so)."""
    from optuna.distributions import CategoricalDistribution

    if isinstance(dist, CategoricalDistribution):
        return value in dist.choices
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not dist.low <= value <= dist.high:
        return False
    step = getattr(dist, "step", None)
    return step is None or abs((value - dist.low) / step - round((value - dist.low) / step)) < 1e-9


def _mask(url: str) -> str:
    from textsweep.config.masking import mask_secrets  # not tracking.runs: another app's sweep loads no MLflow

    return mask_secrets(url)
