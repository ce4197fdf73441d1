"""The MLflow hook of every epoch: a Keras callback that logs the epoch's metrics to the run."""

import logging
import math
import time

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
    loses no curve point. At the end of training, kept metrics wait up to `grace_s` seconds for the store to
    come back (tracking.outage_grace_s: a restarted server can take a minute on a busy machine); still
    unreachable then, a TrackingError says so.
    """

    def __init__(self, client, run_id: str | None, grace_s: float = 0.0):
        super().__init__()
        self.client, self.run_id, self.pending, self.grace_s = client, run_id, [], grace_s

    def on_epoch_end(self, epoch, logs=None):
        metrics = {k: v for k, v in (logs or {}).items() if k in EPOCH_METRICS and v is not None and math.isfinite(v)}
        if metrics:
            self.pending.append((epoch + 1, metrics))
        self.flush(final=False)

    def on_train_end(self, logs=None):
        deadline, pause = time.monotonic() + max(0.0, self.grace_s), 1.0
        while not self.flush(final=time.monotonic() + pause > deadline):
            log.warning("MLflow tracking store still unreachable: %d epoch(s) of metrics kept; retrying for up to %.0f s "
                        "more (tracking.outage_grace_s)", len(self.pending), deadline - time.monotonic())
            time.sleep(pause)
            pause = min(2 * pause, 15.0)

    def flush(self, final: bool) -> bool:
        """Send the kept epochs in order; True when none is left. final: an unreachable store raises."""
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
                return False
            self.pending.pop(0)
        return True
