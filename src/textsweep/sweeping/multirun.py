"""A Hydra callback that groups a plain multirun's runs under one MLflow parent run.

`textsweep train -m model=lstm,cnn_lstm` (Hydra's basic sweeper) gets a parent run, so its runs nest
in the MLflow UI like a sweep's trials. textsweep's Optuna sweeper makes its own parent and is skipped.
Jobs learn the parent from TEXTSWEEP_PARENT_RUN_ID, which also reaches joblib's worker processes.
"""

import atexit
import logging
import os

from hydra.experimental.callback import Callback

PARENT_ENV = "TEXTSWEEP_PARENT_RUN_ID"
log = logging.getLogger("textsweep")


class MultirunParentRun(Callback):
    def __init__(self) -> None:
        self.client = self.run_id = None

    def on_multirun_start(self, config, **kwargs) -> None:
        if "textsweep_optuna_sweeper" in str(config.hydra.sweeper.get("_target_", "")):
            return
        from textsweep.errors import Escalated, TextsweepError
        from textsweep.tracking.runs import mask_secrets, open_experiment, open_run

        try:
            self.client, experiment_id = open_experiment(config)
        except TextsweepError as e:
            raise Escalated(e) from None  # Hydra turns a callback's Exception into a warning; the CLI prints this
        overrides = " ".join(config.hydra.overrides.task)
        self.run_id = open_run(self.client, experiment_id, f"multirun-{config.experiment_name}", {
            "textsweep.role": "multirun", "textsweep.overrides": mask_secrets(overrides),
            "mlflow.note.content": f"Hydra multirun: textsweep train -m {mask_secrets(overrides)}",
        })
        os.environ[PARENT_ENV] = self.run_id
        atexit.register(self._end, "FAILED")  # the multirun stopped before on_multirun_end

    def on_multirun_end(self, config, **kwargs) -> None:
        self._end("FINISHED")

    def _end(self, status: str) -> None:
        if self.run_id is None:
            return
        run_id, self.run_id = self.run_id, None
        os.environ.pop(PARENT_ENV, None)
        try:
            children = self.client.search_runs([self.client.get_run(run_id).info.experiment_id],
                                               filter_string=f"tags.mlflow.parentRunId = '{run_id}'", max_results=10000)
            statuses = [c.info.status for c in children]
            for name in ("FINISHED", "FAILED", "KILLED"):
                self.client.log_metric(run_id, f"runs_{name.lower()}", statuses.count(name))
            from textsweep.tracking.runs import close_run

            close_run(self.client, run_id, status, None if status == "FINISHED" else "multirun_aborted")
        except Exception as e:  # the store may be what failed
            log.warning("could not close the multirun's parent run %s: %s", run_id, e)
