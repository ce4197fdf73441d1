"""The Keras side of textsweep.pruning: a callback that reports a logged metric every epoch and stops a pruned fit."""

import math

import keras

from textsweep.pruning import report


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
