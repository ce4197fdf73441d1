"""The fit stage: Keras fit with callbacks that log every epoch to MLflow and stop on a NaN loss."""

import logging
import math
import time

import keras
from omegaconf import DictConfig

from textsweep.errors import TrackingError, TrainingFailed
from textsweep.interrupts import store_write
from textsweep.tracking import log_metrics

EPOCH_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
log = logging.getLogger("textsweep")


class MlflowEpochLogger(keras.callbacks.Callback):
    """loss, accuracy, val_loss, val_accuracy after each epoch, with step = epoch number (1-based).

    MLflow's client already retries a request with backoff; if the store stays away longer than that,
    the epoch's metrics are kept and sent with the next epoch's, so an outage costs no training and
    loses no curve point. Still unreachable at the end of training: a TrackingError says so.
    """

    def __init__(self, client, run_id: str | None):
        super().__init__()
        self.client, self.run_id, self.pending = client, run_id, []

    def on_epoch_end(self, epoch, logs=None):
        metrics = {k: v for k, v in (logs or {}).items() if k in EPOCH_METRICS and v is not None and math.isfinite(v)}
        if metrics:
            self.pending.append((epoch + 1, metrics))
        self.flush(final=False)

    def on_train_end(self, logs=None):
        self.flush(final=True)

    def flush(self, final: bool) -> None:
        while self.pending:
            step, metrics = self.pending[0]
            try:
                with store_write():
                    log_metrics(self.client, self.run_id, metrics, step=step)
            except Exception as e:
                if final:
                    raise TrackingError(
                        f"the MLflow tracking store stayed unreachable ({str(e).splitlines()[0][:200]}): training finished "
                        f"but {len(self.pending)} epoch(s) of metrics could not be logged; check tracking.uri and rerun"
                    ) from None
                log.warning("MLflow tracking store unreachable (%s): keeping epoch %d's metrics to send later",
                            type(e).__name__, step)
                return
            self.pending.pop(0)


class StopOnNaN(keras.callbacks.Callback):
    """Like keras.callbacks.TerminateOnNaN, but remembers where, so the run can say why it stopped."""

    def __init__(self):
        super().__init__()
        self.epoch, self.where = 0, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.where = (self.epoch + 1, batch + 1)
            self.model.stop_training = True


class OptunaPruning(keras.callbacks.Callback):
    """Reports the objective after each epoch to the job's reopened trial; stops training when pruned."""

    def __init__(self, trial, monitor: str):
        super().__init__()
        self.trial, self.monitor, self.pruned_at = trial, monitor, None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(value):
            return  # a NaN loss is StopOnNaN's to report
        # Optuna's convention (its Keras callback too): step = 0-based epoch, so n_warmup_steps=1 spares epoch 1.
        with store_write():
            prune = self.trial.report(float(value), step=epoch)
        if prune:
            self.pruned_at = epoch + 1
            self.model.stop_training = True


def fit_model(model, data, trainer: DictConfig, callbacks: list, buckets=None, seed: int = 0) -> tuple[dict, float, int]:
    """(history, seconds, epochs run). Raises TrainingFailed('nan_loss') when the loss diverges.

    buckets (trainer.bucketing): batches come from textsweep.buckets, shuffled per epoch from `seed`.
    """
    nan = StopOnNaN()
    extra = []
    if trainer.early_stopping.enabled:
        es = trainer.early_stopping
        extra.append(keras.callbacks.EarlyStopping(monitor=es.monitor, patience=es.patience, min_delta=es.min_delta,
                                                   restore_best_weights=es.restore_best_weights, verbose=1))
    started = time.perf_counter()
    if buckets is None:
        inputs = dict(x=data.x_train, y=data.y_train, validation_data=(data.x_val, data.y_val), batch_size=trainer.batch_size)
    else:
        inputs = dict(x=buckets.dataset(data.x_train, data.y_train, trainer.batch_size, seed),
                      validation_data=buckets.dataset(data.x_val, data.y_val, trainer.batch_size),
                      shuffle=False)  # the dataset shuffles itself, bucket-wise
    history = model.fit(**inputs, epochs=trainer.epochs, verbose=trainer.verbose, callbacks=[nan, *extra, *callbacks])
    seconds = time.perf_counter() - started
    if nan.where is not None:
        epoch, batch = nan.where
        raise TrainingFailed(
            f"the loss became NaN/inf at epoch {epoch}, batch {batch}: lower trainer.learning_rate or check the data",
            reason="nan_loss",
        )
    return history.history, seconds, len(history.history.get("loss", []))


def evaluate_model(model, x, y, batch_size: int, buckets=None) -> tuple[float, float]:
    """(loss, accuracy) on one split, cut into the same buckets as training when bucketing."""
    if buckets is None:
        return model.evaluate(x, y, batch_size=batch_size, verbose=0)
    return model.evaluate(buckets.dataset(x, y, batch_size), verbose=0)
