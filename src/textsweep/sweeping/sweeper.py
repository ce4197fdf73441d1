"""textsweep's Hydra sweeper on Optuna 5: ask a batch, launch it through Hydra's launcher, tell the results.

It takes hydra-optuna-sweeper's configuration (the hydra/sweeper/sampler group, direction, params,
custom_search_space, max_failure_rate, ...) and sweeps any Hydra app. One loop serves every app; what differs
between textsweep's own app and another (how values come back, the study's defaults, the baseline and the
confirmation, the failure rules, the MLflow parent run) is the app's policy (policy.py).

Hydra builds it through the plugin's shell (hydra_plugins.textsweep_optuna_sweeper.optuna_sweeper), which
imports this module only when a sweep starts.
"""

import logging
import sys
import time
from typing import Any, List

from hydra.plugins.sweeper import Sweeper
from omegaconf import DictConfig

from textsweep.errors import ConfigError, TextsweepError
from textsweep.sweeping.settings import SweepSettings

log = logging.getLogger("textsweep.sweep")


class OptunaSweeperImpl(Sweeper):
    """Built by hydra_plugins.textsweep_optuna_sweeper.optuna_sweeper.OptunaSweeper, with every setting of its
    config (hydra_plugins.textsweep_optuna_sweeper.config.OptunaSweeperConf, where the defaults are written)."""

    def __init__(self, **settings: Any):
        super().__init__()
        self.settings = SweepSettings.from_config(**settings)
        self.hydra_context = self.config = self.launcher = self.policy = None
        self.job_idx = 0
        self._legal_shapes, self._groups = set(), {}

    def setup(self, *, hydra_context, task_function, config: DictConfig) -> None:
        from hydra.core.plugins import Plugins

        from textsweep.sweeping.coexistence import announce_served_name
        from textsweep.sweeping.policy import is_textsweep_app, policy_for

        announce_served_name(config)
        self.hydra_context, self.config = hydra_context, config
        self.launcher = Plugins.instance().instantiate_launcher(hydra_context=hydra_context, task_function=task_function, config=config)
        if type(self.launcher).__name__ == "BasicLauncher" and is_textsweep_app(config):
            from dataclasses import replace

            from textsweep.sweeping.reused_compose import ReusedCompose

            # jobs in this process: compose once per shape of overrides, not once per trial; the sweeper's own
            # validation of a new shape goes through it too, so the launcher reuses that composition
            reused = replace(hydra_context, config_loader=ReusedCompose(hydra_context.config_loader, self._shape))
            self.hydra_context = self.launcher.hydra_context = reused
        self.policy = policy_for(self.settings, config, self.hydra_context.config_loader, self.launch)

    def sweep(self, arguments: List[str]) -> Any:
        from textsweep.interrupts import signals_as_interrupt

        try:
            with signals_as_interrupt():  # a scheduler's stop between trials also ends the sweep cleanly
                return self._sweep(arguments)
        except TextsweepError as e:
            self.policy.report_error(e)

    def _sweep(self, arguments: List[str]) -> Any:
        from textsweep.sweeping.search_space import parse_search_space
        from textsweep.sweeping.study import tell_failed

        s, policy = self.settings, self.policy
        s.check()
        from textsweep.config.names import check_sweep_names

        check_sweep_names(s.study_name, self.config.get("experiment_name"))  # names become folders and columns
        policy.check()
        extender = _custom_search_space(s.custom_search_space) if s.custom_search_space else None
        if "n_ehvi_candidates" in getattr(s.sampler, "keywords", {}):  # only MOTPESamplerConfig has it
            log.warning("hydra/sweeper/sampler=motpe runs Optuna's TPESampler, multi-objective since Optuna 4 removed "
                        "MOTPESampler (n_ehvi_candidates is ignored): name it hydra/sweeper/sampler=tpe")
        space = parse_search_space(s.params, arguments, allow_empty=policy.space_may_be_empty(extender))
        policy.check_space(space)
        # Nothing is recorded before this line: checks that must pass before any study entry or MLflow run exists
        # (of the search space, of the config a trial composes) go above it.
        study = policy.open_study(space)
        policy.start(study, space)
        started, done, returns, asked, failures = time.monotonic(), 0, [], set(), []
        try:
            while done < s.n_trials and (s.timeout is None or time.monotonic() - started < s.timeout):
                if _grid_exhausted(study, done):
                    break
                asked_now = [self._ask(study, space, extender) for _ in range(min(s.n_jobs, s.n_trials - done))]
                trials = [trial for trial, _ in asked_now]
                policy.asked(trials, [seconds for _, seconds in asked_now])
                asked.update(t.number for t in trials)
                batch = [[*space.fixed, *_sampled(t), *policy.trial_overrides(study, t)] for t in trials]
                if policy.validates_batches:
                    try:
                        self._validate(batch)
                    except Exception as e:
                        for trial in trials:
                            tell_failed(study, trial, "invalid_config", str(e))
                        raise ConfigError(f"a trial's overrides do not compose ({str(e).splitlines()[0]}): check "
                                          "hydra.sweeper.params") from None
                try:
                    results = self.launch(batch)
                    outcomes = [self._tell(study, t, r) for t, r in zip(trials, results)]
                except Exception as e:
                    if not (_lost_worker(e) and hasattr(policy, "lost_workers")):
                        raise
                    results, outcomes = [], policy.lost_workers(study, trials, e)
                failed = [o for o in outcomes if o.failed]
                failures += failed
                returns.append(results)
                done += len(trials)
                policy.progress(study, done)
                policy.stop_on_failures(failures, done, failed, len(outcomes))
        except KeyboardInterrupt:
            policy.stopped(study, asked, "KILLED")
            raise
        except BaseException:
            policy.stopped(study, asked, "FAILED")
            raise
        policy.finish(study, space, done, time.monotonic() - started, asked)
        return returns

    def launch(self, batch: list[list[str]]) -> list:
        """Run override lists as Hydra jobs through the configured launcher (trials and the steps' jobs alike)."""
        results = self.launcher.launch(batch, initial_job_idx=self.job_idx)
        self.job_idx += len(batch)
        return results

    def _ask(self, study, space, extender):
        """(a trial with the search space's values and those that custom_search_space suggests (define-by-run),
        the seconds study.ask took)."""
        began = time.perf_counter()
        trial = study.ask(space.distributions)
        seconds = time.perf_counter() - began
        if extender is not None:
            extender(self.config, trial)
        return trial, seconds

    def _tell(self, study, trial, result):
        """Tell the study the trial's outcome, as the app's policy reads it from the job."""
        import optuna

        from textsweep.sweeping.study import tell_failed

        outcome = self.policy.outcome(study, trial, result)
        if outcome.pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED, skip_if_finished=True)
        elif outcome.failed:
            tell_failed(study, trial, outcome.reason, outcome.message)
        else:
            study.tell(trial, outcome.values, skip_if_finished=True)
        return outcome

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


def _lost_worker(error: BaseException) -> bool:
    """A launcher's worker process died under a job (joblib/loky's TerminatedWorkerError, concurrent.futures'
    BrokenProcessPool, submitit's UncompletedJobError: a job killed by its scheduler or kill -9, no result left):
    the launcher loses the whole batch, and the trials must be settled by the sweeper."""
    lost = ("TerminatedWorkerError", "BrokenProcessPool", "UncompletedJobError")
    return any(type(e).__name__ in lost for e in (error, error.__cause__))


def _grid_exhausted(study, done: int) -> bool:
    import optuna

    if isinstance(study.sampler, optuna.samplers.GridSampler) and study.sampler.is_exhausted(study):
        log.info("the grid is exhausted after %d trial(s)", done)
        return True
    return False


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
