"""The MLflow hook of every epoch: a Keras callback that logs the epoch's metrics to the run."""

import logging
import math
import time

import keras

from textsweep.errors import TrackingError
from textsweep.interrupts import store_write
from textsweep.tracking.databases import disk_full, error_line
from textsweep.tracking.runs import log_metrics

# the blend (model.linear_blend) adds the network's own validation scores and its linear weight
EPOCH_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "network_val_loss", "network_val_accuracy", "linear_weight")
# The objective is logged a second time as "objective/<name>" so that its chart comes first on a run's page: the MLflow
# UI (3.x; the static getBaseChartAndSectionConfigs in mlflow/server/js/build/static/js/main.*.js) sorts a run's
# metric keys alphabetically, groups "prefix/" keys into a section named after the prefix, and lists those sections
# before its default "Model metrics" one. Logging order does not count (the keys are sorted), and no tag pins a
# chart (the layout a user arranges stays in the browser's localStorage). See docs/results.md.
OBJECTIVE_SECTION = "objective/"
log = logging.getLogger("textsweep")


class MlflowEpochLogger(keras.callbacks.Callback):
    """loss, accuracy, val_loss, val_accuracy after each epoch, with step = epoch number (1-based), and the
    objective (a per-epoch metric, optuna.objective) again as objective/<name>, the run page's first chart.

    MLflow's client already retries a request with backoff; if the store stays away longer than that,
    the epoch's metrics are kept and sent with the next epoch's, so an outage costs no training and
    loses no curve point. At the end of training, kept metrics, and then the end-of-run writes (wait_for_store),
    wait up to `grace_s` seconds for the store to come back (tracking.outage_grace_s: a restarted server can take a
    minute on a busy machine); still unreachable then, a TrackingError says so.
    """

    def __init__(self, client, run_id: str | None, grace_s: float = 0.0, objective: str = "val_accuracy"):
        super().__init__()
        self.client, self.run_id, self.pending, self.grace_s, self.objective = client, run_id, [], grace_s, objective

    def on_epoch_end(self, epoch, logs=None):
        metrics = {k: v for k, v in (logs or {}).items() if k in EPOCH_METRICS and v is not None and math.isfinite(v)}
        if self.objective in metrics:
            metrics[OBJECTIVE_SECTION + self.objective] = metrics[self.objective]
        if metrics:
            self.pending.append((epoch + 1, metrics))
        self.flush(final=False)

    def on_train_end(self, logs=None):
        self.within_grace(self.flush, lambda: f"{len(self.pending)} epoch(s) of metrics kept")

    def wait_for_store(self) -> None:
        """Before the end-of-run writes (final metrics, artifacts, model): an outage that began after the last
        epoch's write is waited out too, up to the same grace, rather than failing a finished training."""
        self.within_grace(self.reachable, lambda: "the end-of-run metrics and artifacts wait")

    def within_grace(self, attempt, kept, pause: float = 1.0) -> None:
        """attempt(final) until it returns True; past grace_s, final=True makes it raise."""
        deadline = time.monotonic() + max(0.0, self.grace_s)
        while not attempt(final=time.monotonic() + pause > deadline):
            log.warning("MLflow tracking store still unreachable: %s; retrying for up to %.0f s more "
                        "(tracking.outage_grace_s)", kept(), deadline - time.monotonic())
            time.sleep(pause)
            pause = min(2 * pause, 15.0)

    def reachable(self, final: bool) -> bool:
        try:
            self.client.get_run(self.run_id)
            return True
        except Exception as e:
            if final:
                raise TrackingError(f"the MLflow tracking store stayed unreachable ({error_line(e)}): training finished "
                                    "but its final metrics and model could not be logged; check tracking.uri and rerun") from None
            return False

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
                        f"the MLflow tracking store stayed unreachable ({error_line(e)}): training finished "
                        f"but {len(self.pending)} epoch(s) of metrics could not be logged; check tracking.uri and rerun"
                    ) from None
                log.warning("MLflow tracking store %s (%s): keeping epoch %d's metrics to send later",
                            "full (the disk is full)" if disk_full(e) else "unreachable", type(e).__name__, step)
                return False
            self.pending.pop(0)
        return True
