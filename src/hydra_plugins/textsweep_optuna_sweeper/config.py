# textsweep's Optuna sweeper's configs, as hydra-optuna-sweeper's config.py: `hydra/sweeper=optuna` (the drop-in
# name) and `hydra/sweeper=textsweep` (always textsweep's, whichever plugin else is installed), with the official
# plugin's configuration surface. Hydra imports every module under hydra_plugins/ at start-up, in every Hydra
# app of the environment, so this one imports hydra and omegaconf only and changes nothing else. (No `from
# __future__ import annotations` here: it breaks Hydra's scan of dataclasses in plugin modules.)
#
# The samplers are the official plugin's config group `hydra/sweeper/sampler`, `_target_`-style, so a config
# written for hydra-optuna-sweeper (`override hydra/sweeper/sampler: nsgaii`, `sampler: {seed: 123}`) composes
# unchanged. Their arguments are Optuna 5's; a null argument is left to Optuna's own default.
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


@dataclass
class SamplerConfig:
    _target_: str = MISSING
    # Hydra builds the sweeper's arguments recursively: the sweeper gets the sampler as a partial, and completes
    # it with the grid (grid sampler) and a seed offset (a resumed study)
    _partial_: bool = True
    # Unlike the official plugin (seed null), a sweep is reproducible by default. TPE and random sampling seed each
    # trial from (seed, trial number), so a resumed study never repeats its trials (textsweep.sweeping.study).
    seed: Optional[int] = 42


@dataclass
class TPESamplerConfig(SamplerConfig):
    _target_: str = "optuna.samplers.TPESampler"
    n_startup_trials: int = 10
    n_ei_candidates: int = 24
    multivariate: Optional[bool] = None
    group: bool = False
    constant_liar: bool = True  # Optuna 5's default: batches of n_jobs > 1 do not ask the same point
    # deprecated in Optuna 4.9 (removed in 6): accepted for configs written for the official plugin
    consider_prior: Optional[bool] = None
    prior_weight: Optional[float] = None
    consider_magic_clip: Optional[bool] = None
    consider_endpoints: Optional[bool] = None
    warn_independent_sampling: Optional[bool] = None


@dataclass
class MOTPESamplerConfig(TPESamplerConfig):
    # Optuna 4 removed MOTPESampler: its TPESampler is multi-objective. The official plugin's `motpe` maps to it.
    n_ehvi_candidates: Optional[int] = None  # MOTPE's argument, accepted and ignored


@dataclass
class RandomSamplerConfig(SamplerConfig):
    _target_: str = "optuna.samplers.RandomSampler"


@dataclass
class GridSamplerConfig(SamplerConfig):
    # the grid is the search space: every choice(), every range() point (stop exclusive)
    _target_: str = "optuna.samplers.GridSampler"


@dataclass
class BruteForceSamplerConfig(SamplerConfig):
    _target_: str = "optuna.samplers.BruteForceSampler"
    avoid_premature_stop: bool = False


@dataclass
class CmaEsSamplerConfig(SamplerConfig):
    _target_: str = "optuna.samplers.CmaEsSampler"  # needs `pip install cmaes`
    x0: Optional[Dict[str, Any]] = None
    sigma0: Optional[float] = None
    n_startup_trials: int = 1
    warn_independent_sampling: bool = True
    consider_pruned_trials: bool = False
    restart_strategy: Optional[str] = None
    popsize: Optional[int] = None
    inc_popsize: int = -1
    use_separable_cma: bool = False
    with_margin: bool = False
    lr_adapt: bool = False


@dataclass
class NSGAIISamplerConfig(SamplerConfig):
    _target_: str = "optuna.samplers.NSGAIISampler"
    population_size: int = 50
    mutation_prob: Optional[float] = None
    crossover_prob: float = 0.9
    swapping_prob: float = 0.5


@dataclass
class NSGAIIISamplerConfig(NSGAIISamplerConfig):
    _target_: str = "optuna.samplers.NSGAIIISampler"
    dividing_parameter: int = 3


@dataclass
class QMCSamplerConfig(SamplerConfig):
    _target_: str = "optuna.samplers.QMCSampler"
    qmc_type: str = "sobol"  # sobol | halton | lhs
    scramble: bool = False
    warn_asynchronous_seeding: bool = True
    warn_independent_sampling: bool = True


@dataclass
class GPSamplerConfig(SamplerConfig):
    _target_: str = "optuna.samplers.GPSampler"  # needs `pip install torch`
    n_startup_trials: int = 10
    deterministic_objective: bool = False


# The pruners are a config group too, `hydra/sweeper/pruner` (textsweep's: the official plugin has none), built
# the same way: `override hydra/sweeper/pruner: successive_halving` or `hydra/sweeper/pruner=median
# hydra.sweeper.pruner.n_startup_trials=2`. Optuna 5's own arguments; textsweep's defaults where they differ.
@dataclass
class PrunerConfig:
    _target_: str = MISSING
    # a partial, like the sampler: the sweeper stores the class and its arguments on the study, so every job, in
    # any process or on any machine, rebuilds the same pruner
    _partial_: bool = True


@dataclass
class NopPrunerConfig(PrunerConfig):
    _target_: str = "optuna.pruners.NopPruner"


@dataclass
class MedianPrunerConfig(PrunerConfig):
    _target_: str = "optuna.pruners.MedianPruner"
    n_startup_trials: int = 5  # trials that are never pruned
    n_warmup_steps: int = 0  # epochs never pruned (Optuna steps are 0-based epochs: 1 spares epoch 1)
    interval_steps: int = 1
    n_min_trials: int = 1


@dataclass
class PercentilePrunerConfig(MedianPrunerConfig):
    _target_: str = "optuna.pruners.PercentilePruner"
    percentile: float = 25.0  # in [0, 100]: prune below this percentile of the other trials at the same epoch


@dataclass
class SuccessiveHalvingPrunerConfig(PrunerConfig):
    _target_: str = "optuna.pruners.SuccessiveHalvingPruner"
    min_resource: Any = 1  # epochs before the first rung (Optuna's default "auto" waits for a whole first trial)
    reduction_factor: int = 3  # measured by bench/pruning.py: docs/sweeps.md, "Does pruning pay?"
    min_early_stopping_rate: int = 0
    bootstrap_count: int = 0
    # textsweep's, as MedianPruner's: no trial is pruned before this many have completed (the enqueued preset and
    # two searched trials), so the rungs have a field to rank against and searched trials can beat the preset
    # (sweeping/startup_pruner.py; measured by bench/pruning.py: docs/sweeps.md, "Searched trials that can win")
    n_startup_trials: int = 3


@dataclass
class HyperbandPrunerConfig(PrunerConfig):
    _target_: str = "optuna.pruners.HyperbandPruner"
    min_resource: int = 1
    max_resource: Any = "auto"  # epochs; "auto": the longest trial's
    reduction_factor: int = 3
    bootstrap_count: int = 0
    n_startup_trials: int = 0  # textsweep's, as successive halving's


@dataclass
class ConfirmConf:
    top_k: int = 0  # re-train the best top_k trials after the sweep (0 = off; the shipped sweeps use 3)
    seeds: int = 3  # runs per candidate, its own trial included; the split stays fixed (dataset.split_seed)


@dataclass
class OptunaSweeperConf:
    _target_: str = "hydra_plugins.textsweep_optuna_sweeper.optuna_sweeper.OptunaSweeper"
    defaults: List[Any] = field(default_factory=lambda: [{"sampler": "tpe"}, {"pruner": "none"}])

    # --- hydra-optuna-sweeper's keys -----------------------------------------------------------------------------
    sampler: Any = MISSING  # the hydra/sweeper/sampler group: tpe | random | grid | cmaes | nsgaii | nsgaiii | qmc | gp | bruteforce | motpe
    # minimize | maximize, or a list of them for a multi-objective study. null: textsweep's app takes it from
    # the objective (val_accuracy: maximize, val_loss: minimize, ...); any other app minimizes, as the official plugin
    direction: Any = None
    storage: Optional[str] = None  # null: textsweep's app sqlite:///<home>/mlruns/optuna.db; any other app in memory
    study_name: Optional[str] = None  # null: textsweep's app experiment_name; any other app Optuna's generated name
    n_trials: int = 20  # per invocation: running a persistent study again adds n_trials more
    n_jobs: int = 1  # trials asked per batch and run through Hydra's launcher (hydra/launcher=joblib)
    # the largest share of a batch's trials that may fail before the sweep stops with the job's error.
    # null: 0.0 for any app (the official default), 1.0 for textsweep's app, which stops instead after its
    # first 3 trials fail with the same error
    max_failure_rate: Optional[float] = None
    custom_search_space: Optional[str] = None  # dotted path to fn(cfg, trial) that suggests more params ('.fn': the app's module)
    params: Optional[Dict[str, Any]] = None  # the search space, hydra-optuna-sweeper's grammar
    experiment_sequence: Optional[str] = None  # the official plugin's development branch: accepted, not used

    # --- textsweep's keys ----------------------------------------------------------------------------------------
    pruner: Any = MISSING  # the hydra/sweeper/pruner group: none | median | percentile | successive_halving | hyperband
    # textsweep's app only: what a trial's value is (val_accuracy | val_loss | train_time_s | params), or a list for
    # a multi-objective study (e.g. [val_accuracy, train_time_s]). Validation metrics only: the test split never selects
    objective: Any = "val_accuracy"
    timeout: Optional[float] = None  # seconds; no new batch starts after it
    max_retries: int = 1  # textsweep's app: retries of a trial whose process died (detected by heartbeat)
    heartbeat_interval: int = 10  # textsweep's app: seconds; a RUNNING trial silent for 4x this is failed and retried
    enqueue_baseline: bool = True  # textsweep's app: first trial of a new study is the composed config's own values
    baseline: bool = True  # textsweep's app: train the linear bag-of-n-grams baseline once per study
    confirm: ConfirmConf = field(default_factory=ConfirmConf)  # textsweep's app: re-train the top trials over seeds


def settings_with_defaults(settings: dict) -> dict:
    """The sweeper's settings: those given, the rest from OptunaSweeperConf (the one place a default is written).
    Hydra passes every key; a sweeper built in code (a test) may pass a few."""
    defaults = {k: (None if v == MISSING else v) for k, v in asdict(OptunaSweeperConf()).items()
                if k not in ("_target_", "defaults")}
    return {**defaults, **settings}


_store = ConfigStore.instance()
# `optuna` is the drop-in name: where hydra-optuna-sweeper is installed too, the plugin Hydra scans last owns it
# (textsweep's, in the layouts measured: docs/hydra-plugin.md). `textsweep` names textsweep's sweeper in any case.
for _name in ("optuna", "textsweep"):
    _store.store(group="hydra/sweeper", name=_name, node=OptunaSweeperConf, provider="textsweep")
for _name, _node in {"tpe": TPESamplerConfig, "motpe": MOTPESamplerConfig, "random": RandomSamplerConfig,
                     "grid": GridSamplerConfig, "bruteforce": BruteForceSamplerConfig, "cmaes": CmaEsSamplerConfig,
                     "nsgaii": NSGAIISamplerConfig, "nsgaiii": NSGAIIISamplerConfig, "qmc": QMCSamplerConfig,
                     "gp": GPSamplerConfig}.items():
    _store.store(group="hydra/sweeper/sampler", name=_name, node=_node, provider="textsweep")
for _name, _node in {"none": NopPrunerConfig, "median": MedianPrunerConfig, "percentile": PercentilePrunerConfig,
                     "successive_halving": SuccessiveHalvingPrunerConfig, "hyperband": HyperbandPrunerConfig}.items():
    _store.store(group="hydra/sweeper/pruner", name=_name, node=_node, provider="textsweep")
