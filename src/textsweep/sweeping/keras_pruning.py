"""The Optuna hooks of every epoch, as Keras callbacks: report the objective, stop a pruned fit.

- `OptunaPruning`: textsweep's own runs, on the job's reopened trial (textsweep.sweeping.study.ReopenedTrial).
- `PruningCallback`: any Hydra app swept by `hydra/sweeper=optuna`, through textsweep.sweeping.pruning.
"""

import math

import keras

from textsweep.interrupts import store_write
from textsweep.sweeping.objectives import OBJECTIVE_METRICS
from textsweep.sweeping.pruning import report


class PruningCallback(keras.callbacks.Callback):
    """`model.fit(..., callbacks=[PruningCallback("val_loss")])` in any app swept by `hydra/sweeper=optuna`.

    Steps are 0-based epochs (Optuna's convention), so a pruner's n_warmup_steps=1 spares the first epoch.
    After fit, `pruned_at` is the epoch (1-based) where it stopped, or None."""

    def __init__(self, monitor: str = "val_loss"):
        super().__init__()
        self.monitor, self.pruned_at = monitor, None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(value):
            return
        if report(float(value), step=epoch):
            self.pruned_at = epoch + 1
            self.model.stop_training = True


def reported_best(trainer, objective: str, monitor: str | None) -> str | None:
    """"max"/"min" when the trial's value is its best epoch's (early stopping restores the epoch best by the
    objective itself): the pruner is then told the best so far. None: the last epoch's value is the trial's."""
    if monitor is None or monitor != objective or not trainer.early_stopping.restore_best_weights:
        return None
    return "max" if OBJECTIVE_METRICS[monitor][1] == "maximize" else "min"


class OptunaPruning(keras.callbacks.Callback):
    """Reports the objective after each epoch to the job's reopened trial; stops training when pruned.

    best_so_far (`"max"` or `"min"`): early stopping restores the best epoch, so the trial's value at any epoch is
    the best one so far, and that is what the pruner compares. A trial that peaked at epoch 2 and then overfits
    is judged by its peak, the model it would return, as Keras Tuner's Hyperband judges it. None: the raw value
    (the trial returns its last epoch's).

    epochs: the fit's budget. The last epoch is reported (the pruner records it for later trials) but never
    pruned: its training is spent already, and pruning it would only throw away a finished trial. With
    successive halving's rungs at 1, 3 and 9 (0-based steps) and a budget of 10 epochs, the third rung falls
    on the last epoch, so a trial that trained all of it was pruned there unless it ranked in the top third."""

    def __init__(self, trial, monitor: str, best_so_far: str | None = None, epochs: int | None = None):
        super().__init__()
        self.trial, self.monitor, self.best_so_far, self.pruned_at = trial, monitor, best_so_far, None
        self.epochs = epochs
        self._best = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(value):
            return  # a NaN loss is StopOnNaN's to report
        value = float(value)
        if self.best_so_far is not None:
            pick = max if self.best_so_far == "max" else min
            self._best = value = value if self._best is None else pick(self._best, value)
        # Optuna's convention (its Keras callback too): step = 0-based epoch, so n_warmup_steps=1 spares epoch 1.
        with store_write():
            prune = self.trial.report(value, step=epoch)
        if prune and not (self.epochs is not None and epoch + 1 >= self.epochs):
            self.pruned_at = epoch + 1
            self.model.stop_training = True
