"""The sweeper's earlier import path (`_target_` in the hydra.yaml of sweeps run before 2026-12-07): the same
class as optuna_sweeper.OptunaSweeper, so Hydra's scan still finds one sweeper."""

from .optuna_sweeper import OptunaSweeper  # noqa: F401
