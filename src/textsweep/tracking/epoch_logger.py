"""The MLflow hook of every epoch: a Keras callback that logs the epoch's metrics to the run."""

import logging
import math

import keras

from textsweep.errors import TrackingError
from textsweep.interrupts import store_write
from textsweep.tracking.runs import log_metrics

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
