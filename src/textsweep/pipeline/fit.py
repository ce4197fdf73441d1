"""The fit stage: Keras fit (with the callbacks it is given: MLflow's, the Optuna trial's), stopped on a NaN loss."""

import math
import sys
import time
from dataclasses import dataclass, field

import keras
import numpy as np
from omegaconf import DictConfig

from textsweep.errors import TrainingFailed
from textsweep.pipeline.whole_text import model_inputs, reads_whole_text


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


@dataclass
class Fitted:
    history: dict  # Keras history: metric -> per-epoch values
    seconds: float
    epochs_run: int
    restored_epoch: int | None  # 0-based epoch whose weights the model holds after early stopping restored them
    chosen: dict = field(default_factory=dict)  # what the fit chose, logged as metrics (the linear fit's C)

    def validation_scores(self) -> tuple[float, float] | None:
        """(val_loss, val_accuracy) of the weights the model holds now, from fit's own validation pass:
        the restored epoch's, or the last epoch's. None when fit did not validate every epoch."""
        if "val_accuracy" not in self.history or "val_loss" not in self.history:
            return None
        at = -1 if self.restored_epoch is None else self.restored_epoch
        return self.history["val_loss"][at], self.history["val_accuracy"][at]


def early_stopping_monitor(trainer: DictConfig, objective: str, in_sweep: bool) -> str | None:
    """The metric early stopping watches, or None when it is off. Unset, it is on in sweeps and watches the
    sweep's objective, so the restored weights are the best epoch by the very score the sweep selects on."""
    es = trainer.early_stopping
    enabled = in_sweep if es.enabled is None else es.enabled
    return (es.monitor or objective) if enabled else None


def keras_verbose(setting: int | None, stream=None) -> int:
    """trainer.verbose: null is Keras's progress bar within each epoch on a terminal, and one line per epoch
    where the output goes to a file (logs, cron, CI), which a bar's carriage returns would fill."""
    if setting is not None:
        return setting
    isatty = getattr(stream or sys.stdout, "isatty", None)
    return 1 if isatty is not None and isatty() else 2


def fit_model(model, data, trainer: DictConfig, callbacks: list, buckets=None, seed: int = 0,
              monitor: str | None = None, scorers: list = ()) -> Fitted:
    """Raises TrainingFailed('nan_loss') when the loss diverges.

    scorers: callbacks that rewrite an epoch's validation scores (pipeline/blend.py); they run before early
    stopping and `callbacks`, so everything after them sees the scores of the model that will be logged.
    buckets (trainer.bucketing): batches come from textsweep.pipeline.buckets, shuffled per epoch from `seed`.
    monitor: early stopping on this metric (trainer.early_stopping: patience, min_delta, restore_best_weights).
    """
    nan = StopOnNaN()
    extra, stopper = [], None
    if monitor is not None:
        es = trainer.early_stopping
        stopper = keras.callbacks.EarlyStopping(monitor=monitor, patience=es.patience, min_delta=es.min_delta,
                                                restore_best_weights=es.restore_best_weights,
                                                verbose=1 if trainer.verbose else 0)
        extra.append(stopper)
    started = time.perf_counter()
    if buckets is None:
        inputs = dict(x=model_inputs(model, data.x_train, data.full_train), y=data.y_train,
                      validation_data=(model_inputs(model, data.x_val, data.full_val), data.y_val), batch_size=trainer.batch_size)
    else:
        bag = reads_whole_text(model)
        inputs = dict(x=buckets.dataset(data.x_train, data.y_train, trainer.batch_size, seed, data.full_train if bag else None),
                      validation_data=buckets.dataset(data.x_val, data.y_val, trainer.batch_size, None,
                                                      data.full_val if bag else None),
                      shuffle=False)  # the dataset shuffles itself, bucket-wise
    history = model.fit(**inputs, epochs=trainer.epochs, verbose=keras_verbose(trainer.verbose), callbacks=[nan, *scorers, *extra, *callbacks])
    seconds = time.perf_counter() - started
    if nan.where is not None:
        epoch, batch = nan.where
        raise TrainingFailed(
            f"the loss became NaN/inf at epoch {epoch}, batch {batch}: lower trainer.learning_rate or check the data",
            reason="nan_loss",
        )
    restored = stopper.best_epoch if stopper is not None and stopper.best_weights is not None else None
    return Fitted(history.history, seconds, len(history.history.get("loss", [])), restored)


def predict_split(model, x, full, batch_size: int, buckets=None) -> np.ndarray:
    """The model's raw outputs on one split (sigmoid column or softmax rows), cut into the same buckets as training
    when bucketing; `full` is the split's whole texts, for a model with an n-gram bag."""
    full = full if reads_whole_text(model) else None
    if buckets is None:
        return np.asarray(model.predict(model_inputs(model, x, full), batch_size=batch_size, verbose=0))
    return buckets.predict(model, x, batch_size, full)


def split_scores(outputs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """loss (Keras's cross-entropy, outputs clipped to [1e-7, 1 - 1e-7]), accuracy and macro-F1 from the outputs."""
    y = np.asarray(y, dtype=np.int64).ravel()
    p = np.clip(outputs.astype(np.float64), 1e-7, 1 - 1e-7)
    if p.shape[-1] == 1:
        p = p[:, 0]
        loss, predicted = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), (p > 0.5).astype(np.int64)
        classes = 2
    else:
        loss, predicted = -np.mean(np.log(p[np.arange(len(y)), y])), np.argmax(p, axis=-1)
        classes = p.shape[-1]
    return {"loss": float(loss), "accuracy": float(np.mean(predicted == y)), "macro_f1": macro_f1(y, predicted, classes)}


def macro_f1(y: np.ndarray, predicted: np.ndarray, classes: int) -> float:
    """The mean over classes of F1 (scikit-learn's f1_score(average='macro'); a class never true nor predicted
    scores 0, as there)."""
    scores = []
    for c in range(classes):
        tp = np.sum((predicted == c) & (y == c))
        denominator = np.sum(predicted == c) + np.sum(y == c)
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))
