"""textsweep's Hydra sweeper on Optuna 5: ask a batch, launch it through Hydra's launcher, tell the results.

It takes hydra-optuna-sweeper's configuration (the hydra/sweeper/sampler group, direction, params,
custom_search_space, max_failure_rate, ...) and sweeps any Hydra app that returns a float, or a list for a
multi-objective study, writing optimization_results.yaml as the official plugin does. Any app can prune
through textsweep.sweeping.pruning.

textsweep's own app (its config has the `optuna:` trial node) gets more: each job reopens its own trial from
the shared storage (study name + trial number), so pruning works with any launcher; studies persist, and
running the same sweep again adds `n_trials` more; heartbeats retry killed trials; one MLflow parent run per
invocation groups the trials' runs; the linear baseline, the confirmation of the winner and a summary.
"""

import json
import logging
import math
import time
import sys
from typing import Any, List

from hydra.core.utils import JobStatus
from hydra.plugins.sweeper import Sweeper
from omegaconf import DictConfig, OmegaConf

from textsweep.errors import ConfigError, Escalated, SweepFailed, TextsweepError

log = logging.getLogger("textsweep.sweep")
SAME_FAILURES_STOP = 3  # textsweep's app: the first trials all failing with one error will not get better


def is_textsweep_app(config) -> bool:
    """textsweep's own app: its config carries the trial node that the sweeper fills in (schema.OptunaTrialConfig)."""
    node = config.get("optuna") if isinstance(config, DictConfig) else None
    return isinstance(node, DictConfig) and "trial_number" in node and "parent_run_id" in node


class OptunaSweeper(Sweeper):
    def __init__(self, sampler, direction=None, storage=None, study_name=None, n_trials=20, n_jobs=1,
                 max_failure_rate=None, custom_search_space=None, params=None, experiment_sequence=None,
                 pruner=None, objective="val_accuracy", timeout=None, max_retries=1, heartbeat_interval=10,
                 enqueue_baseline=True, baseline=True, confirm=None):
        super().__init__()
        from textsweep.sweeping.objectives import as_list

        self.sampler = sampler  # a partial of the sampler class (hydra/sweeper/sampler), completed per study
        from textsweep.sweeping.study import pruner_spec

        self.pruner_spec = pruner_spec(_plain(pruner))
        self.direction_spec = as_list(_plain(direction))
        self.objectives = [str(o) for o in as_list(_plain(objective))] or ["val_accuracy"]
        self.objective = self.objectives[0]  # the per-epoch one: pruning, early stopping, baseline, confirmation
        self.directions = []
        self.storage, self.study_name = storage, study_name
        self.n_trials, self.timeout, self.n_jobs = n_trials, timeout, n_jobs
        self.max_failure_rate, self.custom_search_space = max_failure_rate, custom_search_space
        self.max_retries, self.heartbeat_interval = max_retries, heartbeat_interval
        self.enqueue_baseline = enqueue_baseline
        self.baseline, self.confirm = baseline, _plain(confirm) or {"top_k": 0, "seeds": 3}
        self.params = _plain(params) or {}
        self.hydra_context = self.config = self.launcher = None
        self.extender = None
        self.job_idx = 0
        self._legal_shapes, self._groups = set(), {}

    def setup(self, *, hydra_context, task_function, config: DictConfig) -> None:
        from hydra.core.plugins import Plugins

        self.hydra_context, self.config = hydra_context, config
        self.launcher = Plugins.instance().instantiate_launcher(hydra_context=hydra_context, task_function=task_function, config=config)
        if type(self.launcher).__name__ == "BasicLauncher" and is_textsweep_app(config):
            from dataclasses import replace

            from textsweep.sweeping.reused_compose import ReusedCompose

            # jobs in this process: compose once per shape of overrides, not once per trial; the sweeper's own
            # validation of a new shape goes through it too, so the launcher reuses that composition
            reused = replace(hydra_context, config_loader=ReusedCompose(hydra_context.config_loader, self._shape))
            self.hydra_context = self.launcher.hydra_context = reused

    def sweep(self, arguments: List[str]) -> Any:
        from textsweep.interrupts import signals_as_interrupt

        try:
            with signals_as_interrupt():  # a scheduler's stop between trials also ends the sweep cleanly
                if is_textsweep_app(self.config):
                    return self._sweep(arguments)
                return self._sweep_any_app(arguments)
        except TextsweepError as e:
            if is_textsweep_app(self.config):
                raise Escalated(e) from None  # printed once by textsweep.cli, past Hydra's handlers
            print(f"textsweep: error: {e}", file=sys.stderr)  # another app's own entry point: no textsweep.cli
            sys.exit(e.exit_code)

    # --- what every app gets -----------------------------------------------------------------------------------

    def _check(self) -> None:
        if self.n_trials is None or self.n_trials < 1:
            raise ConfigError(f"hydra.sweeper.n_trials={self.n_trials} must be >= 1")
        if self.n_jobs < 1:
            raise ConfigError(f"hydra.sweeper.n_jobs={self.n_jobs} must be >= 1")
        if self.heartbeat_interval is not None and self.heartbeat_interval < 0:
            raise ConfigError(f"hydra.sweeper.heartbeat_interval={self.heartbeat_interval} must be >= 1 second (or 0/null: no "
                              "heartbeat, a killed trial is then reclaimed only on its own host)")
        if self.timeout is not None and self.timeout <= 0:
            raise ConfigError(f"hydra.sweeper.timeout={self.timeout} must be > 0 seconds (or null)")
        if self.max_failure_rate is not None and not 0.0 <= self.max_failure_rate <= 1.0:
            raise ConfigError(f"hydra.sweeper.max_failure_rate={self.max_failure_rate} must be in [0, 1] (or null)")
        import optuna

        if not callable(self.sampler) and not isinstance(self.sampler, optuna.samplers.BaseSampler):
            raise ConfigError("hydra.sweeper.sampler has no _target_: pick one with hydra/sweeper/sampler=tpe "
                              "(random, grid, cmaes, nsgaii, nsgaiii, qmc, gp, bruteforce)")
        if self.custom_search_space:
            self.extender = _custom_search_space(self.custom_search_space)

    def _sampler(self, space, trials_so_far: int):
        from textsweep.sweeping.search_space import grid_points
        from textsweep.sweeping.study import make_sampler, sampler_target

        grid = grid_points(space) if sampler_target(self.sampler).endswith("GridSampler") else None
        return make_sampler(self.sampler, trials_so_far, grid)

    def _check_study_directions(self, study) -> None:
        found = [d.name.lower() for d in study.directions]
        if found != self.directions:
            raise ConfigError(f"study {study.study_name!r} exists with direction {found}: keep "
                              f"hydra.sweeper.direction={found if len(found) > 1 else found[0]} or use another study_name")

    def _ask(self, study, space):
        """A trial with the search space's values, and those that custom_search_space suggests (define-by-run)."""
        trial = study.ask(space.distributions)
        if self.extender is not None:
            self.extender(self.config, trial)
        return trial

    def _grid_exhausted(self, study, done: int) -> bool:
        import optuna

        if isinstance(study.sampler, optuna.samplers.GridSampler) and study.sampler.is_exhausted(study):
            log.info("the grid is exhausted after %d trial(s)", done)
            return True
        return False

    def _too_many_failures(self, failed: int, launched: int, default_rate: float) -> bool:
        rate = default_rate if self.max_failure_rate is None else self.max_failure_rate
        return failed > 0 and failed / launched > rate

    def launch(self, batch: list[list[str]]) -> list:
        """Run override lists as Hydra jobs through the configured launcher (trials and extra jobs alike)."""
        results = self.launcher.launch(batch, initial_job_idx=self.job_idx)
        self.job_idx += len(batch)
        return results

    # --- any Hydra app -------------------------------------------------------------------------------------------

    def _sweep_any_app(self, arguments: List[str]) -> Any:
        """hydra-optuna-sweeper's behaviour, on Optuna 5, with pruning through textsweep.sweeping.pruning."""
        import optuna

        from textsweep.sweeping import pruning
        from textsweep.sweeping.objectives import directions_for_any_app, write_results
        from textsweep.sweeping.search_space import parse_search_space
        from textsweep.tracking.databases import absolute_sqlite_url
        from textsweep.sweeping.study import PRUNER_ATTR, make_pruner, open_storage, quiet_optuna

        self._check()
        self.directions = directions_for_any_app(self.direction_spec)
        space = parse_search_space(self.params, arguments, allow_empty=True)  # as the official plugin: n_trials runs of the app
        quiet_optuna()
        # absolute, so that jobs which change directory (hydra.job.chdir) still reach the same SQLite file
        url = absolute_sqlite_url(self.storage) if self.storage else None
        storage = open_storage(url) if url else None
        study = optuna.create_study(study_name=self.study_name, storage=storage, directions=self.directions,
                                    load_if_exists=True, pruner=make_pruner(self.pruner_spec))
        self._check_study_directions(study)
        study.sampler = self._sampler(space, len(study.trials))
        if storage is None:
            pruning.share_in_memory(study)
        else:
            study.set_user_attr(PRUNER_ATTR, json.dumps(self.pruner_spec))
        log.info("Study name: %s, storage: %s, sampler: %s, directions: %s", study.study_name,
                 _mask(self.storage) if self.storage else "in memory", type(study.sampler).__name__, self.directions)
        done, returns, started = 0, [], time.monotonic()
        while done < self.n_trials and (self.timeout is None or time.monotonic() - started < self.timeout):
            if self._grid_exhausted(study, done):
                break
            trials = [self._ask(study, space) for _ in range(min(self.n_jobs, self.n_trials - done))]
            batch = [[*space.fixed, *_sampled(trial), *pruning.job_overrides(url, study.study_name, trial.number)]
                     for trial in trials]
            results = self.launch(batch)
            failed = [result for trial, result in zip(trials, results) if not self._tell_any_app(study, trial, result)]
            if self._too_many_failures(len(failed), len(results), default_rate=0.0):
                log.error("%d of %d trial(s) in a batch failed, more than max_failure_rate=%s", len(failed), len(results),
                          self.max_failure_rate if self.max_failure_rate is not None else 0.0)
                for result in failed:
                    result.return_value  # re-raises the job's own error, as the official plugin does
                raise SweepFailed(f"{len(failed)} of {len(results)} trial(s) of a batch returned no usable value, more than "
                                  f"hydra.sweeper.max_failure_rate={self.max_failure_rate}: see 'Failed experiment' above")
            returns.append(results)
            done += len(trials)
        path = write_results(study, self.config.hydra.sweep.dir)
        if path is None:
            raise SweepFailed(f"no trial of study {study.study_name!r} completed ({done} run now): see the jobs' errors above")
        self._log_best(study)
        return returns

    def _tell_any_app(self, study, trial, result) -> bool:
        """Tell the trial's outcome; False when it failed."""
        import optuna

        from textsweep.sweeping.objectives import values_of
        from textsweep.sweeping.pruning import PRUNED_ATTR
        from textsweep.private_api import job_error, storage_of, trial_id_of

        error = None if result.status == JobStatus.COMPLETED else job_error(result)
        pruned = isinstance(error, optuna.TrialPruned) or PRUNED_ATTR in storage_of(study).get_trial_user_attrs(
            trial_id_of(study, trial.number))
        if pruned:
            study.tell(trial, state=_state("PRUNED"), skip_if_finished=True)
            return True
        if error is None:
            try:
                study.tell(trial, values_of(result.return_value, len(self.directions)), skip_if_finished=True)
                return True
            except ValueError as e:
                error = e
        log.warning("Failed experiment: %s", error)
        _tell_failed(study, trial, getattr(error, "reason", type(error).__name__), str(error))
        return False

    def _log_best(self, study) -> None:
        if len(study.directions) == 1:
            log.info("Best parameters: %s", study.best_trial.params)
            log.info("Best value: %s", study.best_trial.value)
        else:
            log.info("Number of Pareto solutions: %d", len(study.best_trials))
            for t in study.best_trials:
                log.info("    Values: %s, Params: %s", t.values, t.params)

    # --- textsweep's app ----------------------------------------------------------------------------------------

    def _check_textsweep(self) -> None:
        from textsweep.sweeping.objectives import objectives_and_directions

        self._check()
        self.objectives, self.directions = objectives_and_directions(self.objectives, self.direction_spec)
        if self.confirm.get("top_k", 0) < 0 or (self.confirm.get("top_k") and self.confirm.get("seeds", 0) < 2):
            raise ConfigError(f"hydra.sweeper.confirm={self.confirm}: top_k must be >= 0 and seeds >= 2 (the trial's own "
                              "run counts as the first seed)")
        if self.confirm.get("top_k") and len(self.objectives) > 1:
            raise ConfigError("hydra.sweeper.confirm re-trains the best trials of one objective: set confirm.top_k=0 "
                              f"for the multi-objective {self.objectives}")

    def _open_study(self, space):
        import optuna

        from textsweep.sweeping.pareto import OBJECTIVES_ATTR
        from textsweep.sweeping.study import PRUNER_ATTR, make_pruner, open_storage, resolve_storage_url
        from textsweep.config.paths import RunPaths

        self.storage_url = resolve_storage_url(self.storage, RunPaths.of(self.config))
        self.name = self.study_name or self.config.experiment_name
        storage = open_storage(self.storage_url, self.heartbeat_interval, max_retries=self.max_retries)
        pruner = make_pruner(self.pruner_spec)
        self._sampler(space, 0)  # validates the sampler before the study is touched
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(study_name=self.name, storage=storage, directions=self.directions,
                                    load_if_exists=True, pruner=pruner)
        self._check_study_directions(study)
        study.sampler = self._sampler(space, len(study.trials))
        study.set_user_attr(PRUNER_ATTR, json.dumps(self.pruner_spec))
        study.set_user_attr(OBJECTIVES_ATTR, json.dumps(self.objectives))
        from textsweep.reclaim import reclaim_dead_trials

        reclaim_dead_trials(study)  # trials of a dead sweep process on this host: at once, not after the grace period
        optuna.storages.fail_stale_trials(study)  # trials of killed jobs: FAIL, retried by the callback
        return study

    def _baseline(self, space) -> dict:
        """The composed config's own values for the searched keys: the tutorial's settings anchor the sweep."""
        choices = OmegaConf.select(self.config, "hydra.runtime.choices") or {}
        params = {}
        for key, dist in space.distributions.items():
            value = choices.get(key) if key in choices else OmegaConf.select(self.config, key, default=None)
            if value is None or isinstance(value, DictConfig):
                continue
            if _within(dist, value):
                params[key] = value
        return params

    def _sweep(self, arguments: List[str]) -> Any:
        import optuna

        from textsweep.sweeping.search_space import parse_search_space

        self._check_textsweep()
        from textsweep.sweeping.steps import check_space

        space = parse_search_space(self.params, arguments, allow_empty=self.extender is not None)
        check_space(self, space)
        from textsweep.sweeping.preflight import check_first_trial

        check_first_trial(self.hydra_context.config_loader, self.config, space)  # before the study or a run exists
        study = self._open_study(space)
        from textsweep.sweeping.steps import warn_if_settings_changed

        warn_if_settings_changed(study, self.config, space)
        before = len(study.trials)
        if self.enqueue_baseline and before == 0:
            baseline = self._baseline(space)
            # a grid cell must name every parameter: a partial anchor would stop Optuna's GridSampler
            complete = len(baseline) == len(space.distributions)
            if baseline and (complete or not isinstance(study.sampler, optuna.samplers.GridSampler)):
                study.enqueue_trial(baseline, skip_if_exists=True)
        tracker = SweepTracker(self.config, self.name, self)
        tracker.start(space)
        tracker.close_runs_of_dead_trials(study)
        from textsweep.sweeping.steps import train_baseline_once

        if self.baseline:
            train_baseline_once(self, study, space, tracker)
        log.info("study %s in %s: %d trial(s) so far; running %d more", self.name, _mask(self.storage_url), before, self.n_trials)
        from textsweep.reclaim import OWNER, current_owner

        started, done, returns, asked, failures, owner = time.monotonic(), 0, [], set(), [], current_owner()
        try:
            while done < self.n_trials and (self.timeout is None or time.monotonic() - started < self.timeout):
                if self._grid_exhausted(study, done):
                    break
                batch_size = min(self.n_jobs, self.n_trials - done)
                trials = [self._ask(study, space) for _ in range(batch_size)]
                for trial in trials:  # who runs it: a restart reclaims it at once if this process dies
                    trial.set_user_attr(OWNER, owner)
                asked.update(t.number for t in trials)
                batch = [self._overrides(space, trial, tracker.run_id) for trial in trials]
                try:
                    self._validate(batch)
                except Exception as e:
                    for trial in trials:
                        _tell_failed(study, trial, "invalid_config", str(e))
                    raise ConfigError(f"a trial's overrides do not compose ({str(e).splitlines()[0]}): check hydra.sweeper.params") from None
                results = self.launch(batch)
                failed = [f for f in (self._record(study, trial, result) for trial, result in zip(trials, results)) if f]
                failures += failed
                returns.append(results)
                done += batch_size
                tracker.progress(study, done, self.n_trials)
                self._stop_on_failures(failures, done, failed, len(results))
        except KeyboardInterrupt:
            for t in study.get_trials(deepcopy=False):
                if t.state.name == "RUNNING" and t.number in asked:
                    _tell_failed(study, t.number, "interrupted", "the sweep was interrupted")
            tracker.finish(study, status="KILLED")
            raise
        except BaseException:
            tracker.finish(study, status="FAILED")
            raise
        ran = [t for t in study.get_trials(deepcopy=False) if t.number in asked and t.state.name in ("COMPLETE", "PRUNED")]
        from textsweep.sweeping.steps import confirm_winner, print_summary

        if ran and self.confirm.get("top_k"):
            try:
                confirm_winner(self, study, space, tracker)
            except KeyboardInterrupt:
                tracker.finish(study, status="KILLED")
                raise
        tracker.finish(study, status="FINISHED")
        if not ran:
            raise SweepFailed(f"all {done} trial(s) of study {self.name!r} failed: see `textsweep sweep status` and the FAILED runs in MLflow")
        from textsweep.sweeping.objectives import write_results

        write_results(study, self.config.hydra.sweep.dir)
        print_summary(self, study, tracker, done, time.monotonic() - started)
        return returns

    def _validate(self, batch: list[list[str]]) -> None:
        """Hydra's validate_batch_is_legal composes every job's config: half a second a trial, as much as the
        launcher's own compose. What can fail to compose is a group option (model=nosuch) or a value of the
        wrong type, so a job is composed here only when its shape is new: its group choices, and the type of
        every other value. A sweep over numbers composes once."""
        new = {}
        for overrides in batch:
            shape = tuple(self._shape(o) for o in overrides)
            if shape not in self._legal_shapes:
                new.setdefault(shape, overrides)
        if new:
            self.validate_batch_is_legal(list(new.values()))
            self._legal_shapes.update(new)

    def _shape(self, override: str):
        key, _, value = override.partition("=")
        name = key.lstrip("+~")
        if name not in self._groups:
            from textsweep.sweeping.steps import group_options

            self._groups[name] = bool(group_options(self.hydra_context.config_loader, name))
        if self._groups[name] or value[:1] in "[{" or "(" in value:
            return override  # a group choice, a list, a dict or a function: the value itself matters
        for kind in (int, float):
            try:
                kind(value)
                return key, kind.__name__
            except ValueError:
                pass
        return key, value if value.lower() in ("true", "false", "null", "none", "") else "str"

    def _stop_on_failures(self, failures: list[tuple[str, str]], done: int, failed: list, launched: int) -> None:
        """Stop when the first trials all fail the same way (a broken setup, not a bad point of the space), or when
        a batch fails more than max_failure_rate (1.0 for textsweep's app unless set: failed trials are recorded)."""
        if done >= SAME_FAILURES_STOP and len(failures) == done and len(set(failures[:SAME_FAILURES_STOP])) == 1:
            reason, message = failures[0]
            raise SweepFailed(f"the first {done} trials failed with the same error ({reason}: {message.splitlines()[0][:300] if message else ''}): "
                              "fix it and run the sweep again (`textsweep sweep status` lists the failed trials)")
        if self._too_many_failures(len(failed), launched, default_rate=1.0):
            raise SweepFailed(f"{len(failed)} of {launched} trial(s) of a batch failed, more than hydra.sweeper.max_failure_rate="
                              f"{self.max_failure_rate} (last: {failed[-1][0]}: {failed[-1][1].splitlines()[0][:300] if failed[-1][1] else ''})")

    def context_overrides(self, parent_run_id: str) -> list[str]:
        """What tells a job it belongs to this sweep: the study, the parent run, the objective."""
        from textsweep.sweeping.search_space import override_value

        return [f"optuna.storage={override_value(self.storage_url)}", f"optuna.study_name={override_value(self.name)}",
                f"optuna.parent_run_id={parent_run_id}", f"optuna.objective={self.objective}",
                f"optuna.heartbeat_interval={self.heartbeat_interval}",
                f"optuna.keep_top_k={max(1, int(self.confirm.get('top_k') or 0))}"]

    def _overrides(self, space, trial, parent_run_id: str) -> list[str]:
        return [*space.fixed, *_sampled(trial), *self.context_overrides(parent_run_id), f"optuna.trial_number={trial.number}"]

    def _record(self, study, trial, result) -> tuple[str, str] | None:
        """Tell the trial's outcome; (reason, message) when it failed."""
        from textsweep.sweeping.objectives import metric_values

        if result.status == JobStatus.COMPLETED:
            metrics = result.return_value or {}
            if metrics.get("pruned_at_epoch"):
                study.tell(trial, state=_state("PRUNED"), skip_if_finished=True)
                return None
            values = metric_values(metrics, self.objectives)
            if values is None or not all(math.isfinite(v) for v in values):
                failure = ("no_objective", f"the job returned no finite {', '.join(self.objectives)}")
            else:
                study.tell(trial, values, skip_if_finished=True)
                return None
        else:
            from textsweep.private_api import job_error

            error = job_error(result)
            failure = (getattr(error, "reason", type(error).__name__), str(error))
        _tell_failed(study, trial, *failure)
        return failure


class SweepTracker:
    """The MLflow parent run of one sweep invocation: settings, progress, best trial, plots, trials table."""

    def __init__(self, config, study_name: str, sweeper: OptunaSweeper):
        self.config, self.study_name, self.sweeper = config, study_name, sweeper
        self.client = self.experiment_id = self.run_id = None

    def start(self, space) -> None:
        from textsweep.reclaim import OWNER, current_owner
        from textsweep.sweeping.study import sampler_target
        from textsweep.tracking.runs import log_params, open_experiment

        self.client, self.experiment_id = open_experiment(self.config)  # closes the runs of dead local owners
        self.started = time.monotonic()  # for the ETA on a terminal
        s = self.sweeper
        from textsweep.tracking.links import invocation_run_name

        run = self.client.create_run(self.experiment_id, run_name=invocation_run_name("sweep", self.study_name), tags={OWNER: current_owner(),
            "textsweep.sweep": self.study_name, "optuna.study": self.study_name, "textsweep.role": "sweep",
            "mlflow.note.content": f"Optuna study {self.study_name}: {s.n_trials} trial(s), sampler {sampler_target(s.sampler).rsplit('.', 1)[-1]}, pruner {s.pruner_spec['_target_'].rsplit('.', 1)[-1]}",
        })
        self.run_id = run.info.run_id
        params = {"sweep.direction": ",".join(s.directions), "sweep.objective": ",".join(s.objectives), "sweep.n_trials": s.n_trials,
                  "sweep.n_jobs": s.n_jobs, "sweep.storage": _mask(s.storage_url),
                  "sweep.sampler": sampler_target(s.sampler),
                  **{f"sweep.sampler.{k}": v for k, v in getattr(s.sampler, "keywords", {}).items()},
                  **{f"sweep.pruner.{k}": v for k, v in s.pruner_spec.items()},
                  **{f"sweep.space.{k}": repr(d) for k, d in space.distributions.items()},
                  **({"sweep.fixed": " ".join(space.fixed)} if space.fixed else {})}
        log_params(self.client, self.run_id, {k: str(v)[:6000] for k, v in params.items()})

    def close_runs_of_dead_trials(self, study) -> None:
        """A trial failed by heartbeat (its process was killed) left its MLflow run RUNNING: end it FAILED."""
        for trial in study.get_trials(deepcopy=False):
            run_id = trial.user_attrs.get("mlflow_run_id")
            if trial.state.name != "FAIL" or not run_id:
                continue
            try:
                if self.client.get_run(run_id).info.status == "RUNNING":
                    self.client.set_tag(run_id, "textsweep.failure_reason", "process_lost")
                    self.client.set_terminated(run_id, "FAILED")
            except Exception as e:  # a run in another tracking store: leave it
                log.debug("could not close run %s: %s", run_id, e)

    def counts(self, study) -> dict[str, int]:
        states = [t.state.name for t in study.get_trials(deepcopy=False)]
        return {f"trials_{s.lower()}": states.count(s) for s in ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")}

    def progress(self, study, done: int, total: int) -> None:
        from textsweep.tracking.runs import log_metrics

        counts = self.counts(study)
        metrics = dict(counts)
        best = _best(study)
        if best is not None:
            metrics["best_value"] = best.value
        if len(study.directions) > 1:
            metrics["pareto_size"] = len(study.best_trials)
        log_metrics(self.client, self.run_id, metrics, step=done)
        log.info("trial %d/%d done: best %s=%s (trial %s), %d pruned, %d failed", done, total, self.sweeper.objective,
                 f"{best.value:.4f}" if best else "-", best.number if best else "-", counts["trials_pruned"], counts["trials_fail"])
        from textsweep.sweeping.progress import show

        show(done, total, time.monotonic() - self.started, best.value if best else None, self.sweeper.objective,
             budget_s=self.sweeper.timeout)

    def finish(self, study, status: str) -> None:
        from textsweep.sweeping.report import log_sweep_report

        try:
            best = _best(study)
            if best is not None:
                tags = {f"best.{k}": str(v) for k, v in best.params.items()}
                tags.update({"best.trial": str(best.number), "best.value": f"{best.value:.6f}"})
                if "mlflow_run_id" in best.user_attrs:
                    tags["best.run_id"] = best.user_attrs["mlflow_run_id"]
                for k, v in tags.items():
                    self.client.set_tag(self.run_id, k, v)
            if len(study.directions) > 1:
                self.client.set_tag(self.run_id, "pareto.trials", ",".join(str(t.number) for t in study.best_trials))
            log_sweep_report(self.client, self.run_id, study)
        except Exception as e:  # the report is a convenience; the study itself is already saved
            log.warning("could not write the sweep report: %s", e)
        finally:
            if status != "FINISHED":
                self.client.set_tag(self.run_id, "textsweep.failure_reason", "interrupted" if status == "KILLED" else "error")
            self.client.set_terminated(self.run_id, status)


def _sampled(trial) -> list[str]:
    """A trial's values as overrides: the search space's and those custom_search_space suggested."""
    from textsweep.sweeping.search_space import override_value

    return [f"{key}={override_value(value)}" for key, value in trial.params.items()]


def _custom_search_space(path: str):
    """hydra.sweeper.custom_search_space: a dotted path to fn(cfg, trial). A leading dot (the official example's
    `.custom-search-space-objective.configure`) names a function of the app's own script, which need not be importable."""
    from hydra.utils import get_method

    try:
        if path.startswith("."):
            return getattr(sys.modules["__main__"], path.rsplit(".", 1)[-1])
        return get_method(path)
    except Exception as e:
        raise ConfigError(f"hydra.sweeper.custom_search_space={path!r} cannot be loaded ({str(e).splitlines()[0][:200]}): "
                          "use a dotted path to a function(cfg, trial), e.g. my_app.search_space") from None


def _within(dist, value) -> bool:
    """Whether a config value is a point of the distribution (the baseline is enqueued only if so)."""
    from optuna.distributions import CategoricalDistribution

    if isinstance(dist, CategoricalDistribution):
        return value in dist.choices
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not dist.low <= value <= dist.high:
        return False
    step = getattr(dist, "step", None)
    return step is None or abs((value - dist.low) / step - round((value - dist.low) / step)) < 1e-9


def _best(study):
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not complete or len(study.directions) > 1:  # a multi-objective study has a front, no one best
        return None
    pick = max if study.direction.name == "MAXIMIZE" else min
    return pick(complete, key=lambda t: t.value)


def _state(name: str):
    import optuna

    return getattr(optuna.trial.TrialState, name)


def _tell_failed(study, trial, reason: str, message: str) -> None:
    from textsweep.private_api import set_trial_user_attr

    number = trial if isinstance(trial, int) else trial.number
    try:
        set_trial_user_attr(study, number, "fail_reason", reason)
        set_trial_user_attr(study, number, "fail_message", message[:1000])
    except Exception:  # finished already (e.g. pruned by the job): nothing to add
        pass
    study.tell(number, state=_state("FAIL"), skip_if_finished=True)


def _mask(url: str) -> str:
    from textsweep.tracking.runs import mask_secrets

    return mask_secrets(url)


def _plain(node):
    from omegaconf import Container

    return OmegaConf.to_container(node, resolve=True) if isinstance(node, Container) else node
