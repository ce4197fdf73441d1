"""The sweeper's settings as plain values: what `hydra.sweeper.*` says, read once when Hydra builds the sweeper.

Their defaults are written in one place, the plugin's config dataclass
(hydra_plugins.textsweep_optuna_sweeper.config.OptunaSweeperConf); here every field is required.
"""

from dataclasses import dataclass
from typing import Any

from textsweep.errors import ConfigError


@dataclass
class SweepSettings:
    sampler: Any  # a partial of the sampler class (hydra/sweeper/sampler), completed per study
    pruner_spec: dict  # the pruner's class path and arguments (study.pruner_spec), stored on the study
    direction: list  # as given: [] when null (the app policy decides)
    objectives: list  # textsweep's app: what a trial's values are; the first is the per-epoch one
    storage: str | None
    study_name: str | None
    n_trials: int
    n_jobs: int
    timeout: float | None
    max_failure_rate: float | None
    custom_search_space: str | None
    params: dict
    max_retries: int
    heartbeat_interval: int | None
    enqueue_baseline: bool
    baseline: bool
    confirm: dict  # {"top_k": int, "seeds": int}

    @classmethod
    def from_config(cls, *, sampler, direction, storage, study_name, n_trials, n_jobs, max_failure_rate,
                    custom_search_space, params, experiment_sequence, pruner, objective, timeout, max_retries,
                    heartbeat_interval, enqueue_baseline, baseline, confirm) -> "SweepSettings":
        """From the keys of OptunaSweeperConf, as Hydra passes them (experiment_sequence: accepted, not used)."""
        from textsweep.sweeping.objectives import as_list
        from textsweep.sweeping.study import pruner_spec

        return cls(sampler=sampler, pruner_spec=pruner_spec(plain(pruner)), direction=as_list(plain(direction)),
                   objectives=[str(o) for o in as_list(plain(objective))], storage=storage, study_name=study_name,
                   n_trials=n_trials, n_jobs=n_jobs, timeout=timeout, max_failure_rate=max_failure_rate,
                   custom_search_space=custom_search_space, params=plain(params) or {}, max_retries=max_retries,
                   heartbeat_interval=heartbeat_interval, enqueue_baseline=enqueue_baseline, baseline=baseline,
                   confirm=plain(confirm))

    def check(self) -> None:
        """What every app's sweep refuses before anything is recorded."""
        import math

        for key in ("timeout", "max_failure_rate"):  # nan passes every comparison below (heartbeat: an int)
            value = getattr(self, key)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"hydra.sweeper.{key}={value} is not a finite number: give a number, or null")
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

    def failure_rate(self, default: float) -> float:
        return default if self.max_failure_rate is None else self.max_failure_rate


def plain(node):
    from omegaconf import Container, OmegaConf

    return OmegaConf.to_container(node, resolve=True) if isinstance(node, Container) else node
