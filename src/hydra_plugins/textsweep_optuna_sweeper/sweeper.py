"""textsweep's Hydra sweeper on Optuna 5: ask a batch, launch it through Hydra's launcher, tell the results.

Unlike hydra-optuna-sweeper (optuna<3, no pruning), each job reopens its own trial from the shared
storage (study name + trial number), so pruning works with any launcher. Studies persist: running the
same sweep again adds `n_trials` more. One MLflow parent run per invocation groups the trials' runs.
"""

import json
import logging
import math
import sys
import time
from typing import Any, List

from hydra.core.utils import JobStatus
from hydra.plugins.sweeper import Sweeper
from omegaconf import DictConfig, OmegaConf

from textsweep.errors import ConfigError, TextsweepError

log = logging.getLogger("textsweep.sweep")


class OptunaSweeper(Sweeper):
    def __init__(self, sampler, pruner, direction, objective, storage, study_name, n_trials, timeout, n_jobs,
                 max_retries, heartbeat_interval, enqueue_baseline, params, baseline=True, confirm=None):
        super().__init__()
        self.sampler_spec = _plain(sampler)
        self.pruner_spec = _plain(pruner)
        self.direction, self.objective = direction, objective
        self.storage, self.study_name = storage, study_name
        self.n_trials, self.timeout, self.n_jobs = n_trials, timeout, n_jobs
        self.max_retries, self.heartbeat_interval = max_retries, heartbeat_interval
        self.enqueue_baseline = enqueue_baseline
        self.baseline, self.confirm = baseline, _plain(confirm) or {"top_k": 0, "seeds": 3}
        self.params = _plain(params) or {}
        self.hydra_context = self.config = self.launcher = None
        self.job_idx = 0

    def setup(self, *, hydra_context, task_function, config: DictConfig) -> None:
        from hydra.core.plugins import Plugins

        self.hydra_context, self.config = hydra_context, config
        self.launcher = Plugins.instance().instantiate_launcher(hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: List[str]) -> Any:
        from textsweep.interrupts import signals_as_interrupt

        try:
            with signals_as_interrupt():  # a scheduler's stop between trials also ends the sweep cleanly
                return self._sweep(arguments)
        except TextsweepError as e:
            print(f"textsweep: error: {e}", file=sys.stderr)
            sys.exit(e.exit_code)

    # --- the sweep ---------------------------------------------------------------------------------

    def _check(self) -> None:
        from textsweep.study import OBJECTIVES

        if self.n_trials is None or self.n_trials < 1:
            raise ConfigError(f"hydra.sweeper.n_trials={self.n_trials} must be >= 1")
        if self.n_jobs < 1:
            raise ConfigError(f"hydra.sweeper.n_jobs={self.n_jobs} must be >= 1")
        if self.direction not in ("maximize", "minimize"):
            raise ConfigError(f"hydra.sweeper.direction={self.direction!r} is not valid: use maximize or minimize")
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"hydra.sweeper.objective={self.objective!r} is not valid: use one of {', '.join(OBJECTIVES)} "
                              "(validation metrics only: the test split never selects)")
        if self.heartbeat_interval is not None and self.heartbeat_interval < 0:
            raise ConfigError(f"hydra.sweeper.heartbeat_interval={self.heartbeat_interval} must be >= 1 second (or 0/null: no "
                              "heartbeat, a killed trial is then reclaimed only on its own host)")
        if self.timeout is not None and self.timeout <= 0:
            raise ConfigError(f"hydra.sweeper.timeout={self.timeout} must be > 0 seconds (or null)")
        if self.confirm.get("top_k", 0) < 0 or (self.confirm.get("top_k") and self.confirm.get("seeds", 0) < 2):
            raise ConfigError(f"hydra.sweeper.confirm={self.confirm}: top_k must be >= 0 and seeds >= 2 (the trial's own "
                              "run counts as the first seed)")

    def _open_study(self, space):
        import optuna

        from textsweep.study import PRUNER_ATTR, make_pruner, make_sampler, open_storage, resolve_storage_url
        from textsweep.tracking import home_dir

        self.storage_url = resolve_storage_url(self.storage, home_dir(self.config))
        self.name = self.study_name or self.config.experiment_name
        storage = open_storage(self.storage_url, self.heartbeat_interval, max_retries=self.max_retries)
        pruner = make_pruner(self.pruner_spec)
        make_sampler(self.sampler_spec)  # validates the sampler spec before the study is touched
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(study_name=self.name, storage=storage, direction=self.direction,
                                    load_if_exists=True, pruner=pruner)
        if study.direction.name.lower() != self.direction:
            raise ConfigError(f"study {self.name!r} exists with direction {study.direction.name.lower()}: "
                              f"keep hydra.sweeper.direction={study.direction.name.lower()} or use another study_name")
        sampler = self._grid_sampler(space) if self.sampler_spec.get("name") == "grid" else make_sampler(self.sampler_spec)
        study.sampler = sampler
        study.set_user_attr(PRUNER_ATTR, json.dumps(self.pruner_spec))
        from textsweep.reclaim import reclaim_dead_trials

        reclaim_dead_trials(study)  # trials of a dead sweep process on this host: at once, not after the grace period
        optuna.storages.fail_stale_trials(study)  # trials of killed jobs: FAIL, retried by the callback
        return study

    def _grid_sampler(self, space):
        from optuna.distributions import CategoricalDistribution, IntDistribution

        from textsweep.study import ExhaustibleGridSampler

        grid = {}
        for key, dist in space.distributions.items():
            if isinstance(dist, CategoricalDistribution):
                grid[key] = list(dist.choices)
            elif isinstance(dist, IntDistribution) and not dist.log:
                grid[key] = list(range(dist.low, dist.high + 1, dist.step))
            else:
                raise ConfigError(f"hydra.sweeper.sampler.name=grid needs discrete values: {key} is {dist}; use choice() or range()")
        return ExhaustibleGridSampler(grid, seed=self.sampler_spec.get("seed"))

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

        from textsweep.search_space import parse_search_space

        self._check()
        from textsweep.sweep_steps import check_space

        space = parse_search_space(self.params, arguments)
        check_space(self, space)
        study = self._open_study(space)
        before = len(study.trials)
        if self.enqueue_baseline and before == 0:
            baseline = self._baseline(space)
            if baseline:
                study.enqueue_trial(baseline, skip_if_exists=True)
        tracker = SweepTracker(self.config, self.name, self)
        tracker.start(space)
        tracker.close_runs_of_dead_trials(study)
        from textsweep.sweep_steps import train_baseline_once

        if self.baseline:
            train_baseline_once(self, study, space, tracker)
        log.info("study %s in %s: %d trial(s) so far; running %d more", self.name, _mask(self.storage_url), before, self.n_trials)
        from textsweep.reclaim import OWNER, current_owner

        started, done, returns, asked, owner = time.monotonic(), 0, [], set(), current_owner()
        try:
            while done < self.n_trials and (self.timeout is None or time.monotonic() - started < self.timeout):
                if isinstance(study.sampler, optuna.samplers.GridSampler) and study.sampler.is_exhausted(study):
                    log.info("the grid is exhausted after %d trial(s)", done)
                    break
                batch_size = min(self.n_jobs, self.n_trials - done)
                trials = [study.ask(space.distributions) for _ in range(batch_size)]
                for trial in trials:  # who runs it: a restart reclaims it at once if this process dies
                    trial.set_user_attr(OWNER, owner)
                asked.update(t.number for t in trials)
                batch = [self._overrides(space, trial, tracker.run_id) for trial in trials]
                try:
                    self.validate_batch_is_legal(batch)
                except Exception as e:
                    for trial in trials:
                        _tell_failed(study, trial, "invalid_config", str(e))
                    raise ConfigError(f"a trial's overrides do not compose ({str(e).splitlines()[0]}): check hydra.sweeper.params") from None
                results = self.launch(batch)
                for trial, result in zip(trials, results):
                    self._record(study, trial, result)
                returns.append(results)
                done += batch_size
                tracker.progress(study, done, self.n_trials)
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
        from textsweep.sweep_steps import confirm_winner, print_summary

        if ran and self.confirm.get("top_k"):
            try:
                confirm_winner(self, study, space, tracker)
            except KeyboardInterrupt:
                tracker.finish(study, status="KILLED")
                raise
        tracker.finish(study, status="FINISHED")
        if not ran:
            raise TextsweepError(f"all {done} trial(s) of study {self.name!r} failed: see `textsweep sweep status` and the FAILED runs in MLflow")
        print_summary(self, study, tracker, done, time.monotonic() - started)
        return returns

    def launch(self, batch: list[list[str]]) -> list:
        """Run override lists as Hydra jobs through the configured launcher (trials and extra jobs alike)."""
        results = self.launcher.launch(batch, initial_job_idx=self.job_idx)
        self.job_idx += len(batch)
        return results

    def context_overrides(self, parent_run_id: str) -> list[str]:
        """What tells a job it belongs to this sweep: the study, the parent run, the objective."""
        from textsweep.search_space import override_value

        return [f"optuna.storage={override_value(self.storage_url)}", f"optuna.study_name={override_value(self.name)}",
                f"optuna.parent_run_id={parent_run_id}", f"optuna.objective={self.objective}",
                f"optuna.heartbeat_interval={self.heartbeat_interval}"]

    def _overrides(self, space, trial, parent_run_id: str) -> list[str]:
        from textsweep.search_space import override_value

        sampled = [f"{key}={override_value(trial.params[key])}" for key in space.distributions]
        return [*space.fixed, *sampled, *self.context_overrides(parent_run_id), f"optuna.trial_number={trial.number}"]

    def _record(self, study, trial, result) -> None:
        from textsweep.study import OBJECTIVES

        if result.status == JobStatus.COMPLETED:
            metrics = result.return_value or {}
            if metrics.get("pruned_at_epoch"):
                study.tell(trial, state=_state("PRUNED"), skip_if_finished=True)
                return
            value = metrics.get(OBJECTIVES[self.objective])
            if value is None or not math.isfinite(value):
                _tell_failed(study, trial, "no_objective", f"the job returned no finite {self.objective}")
            else:
                study.tell(trial, value, skip_if_finished=True)
        else:
            error = result._return_value  # the job's exception (return_value would re-raise it)
            _tell_failed(study, trial, getattr(error, "reason", type(error).__name__), str(error))


class SweepTracker:
    """The MLflow parent run of one sweep invocation: settings, progress, best trial, plots, trials table."""

    def __init__(self, config, study_name: str, sweeper: OptunaSweeper):
        self.config, self.study_name, self.sweeper = config, study_name, sweeper
        self.client = self.experiment_id = self.run_id = None

    def start(self, space) -> None:
        from textsweep.reclaim import OWNER, current_owner
        from textsweep.tracking import log_params, open_experiment

        self.client, self.experiment_id = open_experiment(self.config)  # closes the runs of dead local owners
        s = self.sweeper
        run = self.client.create_run(self.experiment_id, run_name=f"sweep-{self.study_name}", tags={OWNER: current_owner(),
            "textsweep.sweep": self.study_name, "optuna.study": self.study_name, "textsweep.role": "sweep",
            "mlflow.note.content": f"Optuna study {self.study_name}: {s.n_trials} trial(s), sampler {s.sampler_spec.get('name')}, pruner {s.pruner_spec.get('name')}",
        })
        self.run_id = run.info.run_id
        params = {"sweep.direction": s.direction, "sweep.objective": s.objective, "sweep.n_trials": s.n_trials,
                  "sweep.n_jobs": s.n_jobs, "sweep.storage": _mask(s.storage_url),
                  **{f"sweep.sampler.{k}": v for k, v in s.sampler_spec.items()},
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
        from textsweep.tracking import log_metrics

        counts = self.counts(study)
        metrics = dict(counts)
        best = _best(study)
        if best is not None:
            metrics["best_value"] = best.value
        log_metrics(self.client, self.run_id, metrics, step=done)
        log.info("trial %d/%d done: best %s=%s (trial %s), %d pruned, %d failed", done, total, self.sweeper.objective,
                 f"{best.value:.4f}" if best else "-", best.number if best else "-", counts["trials_pruned"], counts["trials_fail"])

    def finish(self, study, status: str) -> None:
        from textsweep.sweep_report import log_sweep_report

        try:
            best = _best(study)
            if best is not None:
                tags = {f"best.{k}": str(v) for k, v in best.params.items()}
                tags.update({"best.trial": str(best.number), "best.value": f"{best.value:.6f}"})
                if "mlflow_run_id" in best.user_attrs:
                    tags["best.run_id"] = best.user_attrs["mlflow_run_id"]
                for k, v in tags.items():
                    self.client.set_tag(self.run_id, k, v)
            log_sweep_report(self.client, self.run_id, study)
        except Exception as e:  # the report is a convenience; the study itself is already saved
            log.warning("could not write the sweep report: %s", e)
        finally:
            if status != "FINISHED":
                self.client.set_tag(self.run_id, "textsweep.failure_reason", "interrupted" if status == "KILLED" else "error")
            self.client.set_terminated(self.run_id, status)


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
    if not complete:
        return None
    pick = max if study.direction.name == "MAXIMIZE" else min
    return pick(complete, key=lambda t: t.value)


def _state(name: str):
    import optuna

    return getattr(optuna.trial.TrialState, name)


def _tell_failed(study, trial, reason: str, message: str) -> None:
    from textsweep.study import trial_id_of

    number = trial if isinstance(trial, int) else trial.number
    try:
        trial_id = trial_id_of(study, number)
        study._storage.set_trial_user_attr(trial_id, "fail_reason", reason)
        study._storage.set_trial_user_attr(trial_id, "fail_message", message[:1000])
    except Exception:  # finished already (e.g. pruned by the job): nothing to add
        pass
    study.tell(number, state=_state("FAIL"), skip_if_finished=True)


def _mask(url: str) -> str:
    from textsweep.tracking import mask_secrets

    return mask_secrets(url)


def _plain(node):
    if node is None:
        return None
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else dict(node)
