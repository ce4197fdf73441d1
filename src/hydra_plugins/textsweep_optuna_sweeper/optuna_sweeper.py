"""The sweeper class Hydra discovers (`hydra/sweeper=optuna` or `hydra/sweeper=textsweep`), as
hydra-optuna-sweeper's optuna_sweeper.py: a shell over the implementation, which it imports only when a sweep
builds it. Hydra's plugin scan imports this module in every Hydra app of the environment, single runs
included, so at import it loads nothing of textsweep: no TensorFlow, MLflow or Optuna, no environment
variable, no stderr or logging hook (tests/test_plugin_effects.py)."""

from typing import Any, List

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class OptunaSweeper(Sweeper):
    def __init__(self, **settings: Any) -> None:
        from textsweep.sweeping.coexistence import check_optuna

        check_optuna()  # an Optuna too old (hydra-optuna-sweeper pins optuna<3): one line and exit 2, before importing it
        from textsweep.sweeping.sweeper import OptunaSweeperImpl

        from .config import settings_with_defaults

        self.__dict__["sweeper"] = OptunaSweeperImpl(**settings_with_defaults(settings))

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.sweeper.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: List[str]) -> Any:
        return self.sweeper.sweep(arguments)

    # One object for whoever holds the sweeper (Hydra, a test): its attributes are the implementation's.
    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["sweeper"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.sweeper, name, value)
