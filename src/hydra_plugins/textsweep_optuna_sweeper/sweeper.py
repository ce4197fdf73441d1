"""The sweeper class Hydra discovers: Hydra loads plugins only from modules under hydra_plugins.*, so this
shell names the class here, and everything it does lives in textsweep.sweeping.sweeper (the module, not the
class, is imported, so Hydra's plugin scan finds one sweeper)."""

from textsweep.sweeping import sweeper as _sweeper


class OptunaSweeper(_sweeper.OptunaSweeper):
    """`hydra/sweeper=optuna`: textsweep's Optuna sweeper (textsweep.sweeping.sweeper.OptunaSweeper)."""
