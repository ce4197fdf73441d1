# textsweep's Optuna sweeper for Hydra: `hydra/sweeper=optuna`.
# Hydra imports every module under hydra_plugins/ at start-up, so this one only registers the typed
# config; the sweeper is .sweeper.OptunaSweeper (Hydra accepts plugin classes only from hydra_plugins). (No `from __future__ import
# annotations` here: it breaks Hydra's scan of dataclasses in plugin modules.)
from dataclasses import dataclass, field
from typing import Dict, Optional

from hydra.core.config_store import ConfigStore


@dataclass
class SamplerConf:
    name: str = "tpe"  # tpe | random | grid | cmaes (needs the cmaes package)
    seed: Optional[int] = 42  # offset by the number of existing trials when a study resumes
    multivariate: bool = False  # tpe
    n_startup_trials: int = 10  # tpe: random trials before the model kicks in


@dataclass
class PrunerConf:
    name: str = "none"  # none | median | percentile | hyperband | successive_halving
    n_startup_trials: int = 5  # median/percentile: trials that are never pruned
    n_warmup_steps: int = 0  # epochs never pruned (Optuna steps are 0-based epochs: 1 spares epoch 1)
    interval_steps: int = 1
    percentile: float = 25.0
    min_resource: Optional[int] = None  # hyperband/successive_halving (epochs)
    max_resource: Optional[int] = None  # hyperband: null = auto
    reduction_factor: int = 3


@dataclass
class ConfirmConf:
    top_k: int = 0  # re-train the best top_k trials after the sweep (0 = off; the shipped sweeps use 3)
    seeds: int = 3  # runs per candidate, its own trial included; the split stays fixed (dataset.split_seed)


@dataclass
class OptunaSweeperConf:
    _target_: str = "hydra_plugins.textsweep_optuna_sweeper.sweeper.OptunaSweeper"
    sampler: SamplerConf = field(default_factory=SamplerConf)
    pruner: PrunerConf = field(default_factory=PrunerConf)
    direction: str = "maximize"
    objective: str = "val_accuracy"  # val_accuracy | val_loss: validation only, never test
    storage: Optional[str] = None  # null = sqlite:///<home>/mlruns/optuna.db
    study_name: Optional[str] = None  # null = experiment_name
    n_trials: int = 20  # per invocation: running the sweep again adds n_trials more
    timeout: Optional[float] = None  # seconds; no new batch starts after it
    n_jobs: int = 1  # trials asked per batch and run through Hydra's launcher (hydra/launcher=joblib)
    max_retries: int = 1  # retries of a trial whose process died (detected by heartbeat)
    heartbeat_interval: int = 10  # seconds; a RUNNING trial silent for 4x this is failed and retried
    enqueue_baseline: bool = True  # first trial of a new study: the composed config's own values
    baseline: bool = True  # train the linear bag-of-n-grams baseline once per study; report the best trial against it
    confirm: ConfirmConf = field(default_factory=ConfirmConf)
    params: Dict[str, str] = field(default_factory=dict)  # the search space, hydra-optuna-sweeper's grammar


ConfigStore.instance().store(group="hydra/sweeper", name="optuna", node=OptunaSweeperConf, provider="textsweep")
