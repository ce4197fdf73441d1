"""The MLflow parent run of one sweep invocation of textsweep's app: its settings, the progress, the best trial,
plots and the trials table. Fed plain values (the run's params and note, the objective), never the sweeper."""

import logging
import time

log = logging.getLogger("textsweep.sweep")


class SweepTracker:
    def __init__(self, config, study_name: str):
        self.config, self.study_name = config, study_name
        self.client = self.experiment_id = self.run_id = None

    def start(self, params: dict, note: str) -> None:
        from textsweep.tracking.runs import log_params, open_experiment, open_run

        self.client, self.experiment_id = open_experiment(self.config)  # closes the runs of dead local owners
        self.started = time.monotonic()  # for the ETA on a terminal
        from textsweep.tracking.links import invocation_run_name

        self.run_id = open_run(self.client, self.experiment_id, invocation_run_name("sweep", self.study_name), {
            "textsweep.sweep": self.study_name, "optuna.study": self.study_name, "textsweep.role": "sweep",
            "mlflow.note.content": note})
        log_params(self.client, self.run_id, {k: str(v)[:6000] for k, v in params.items()})

    def close_runs_of_dead_trials(self, study) -> None:
        """A trial failed by heartbeat (its process was killed) left its MLflow run RUNNING: end it FAILED."""
        from textsweep.tracking.runs import close_run

        for trial in study.get_trials(deepcopy=False):
            run_id = trial.user_attrs.get("mlflow_run_id")
            if trial.state.name != "FAIL" or not run_id:
                continue
            try:
                if self.client.get_run(run_id).info.status == "RUNNING":
                    close_run(self.client, run_id, "FAILED", "process_lost")
            except Exception as e:  # a run in another tracking store: leave it
                log.debug("could not close run %s: %s", run_id, e)

    def progress(self, study, done: int, total: int, objective: str, budget_s: float | None = None) -> None:
        """Metrics on the parent run, a log line, and the progress line with an ETA (within the time budget)."""
        from textsweep.sweeping.progress import show
        from textsweep.sweeping.study import best_trial, trial_counts
        from textsweep.tracking.runs import log_metrics

        counts = trial_counts(study)
        metrics = {f"trials_{state.lower()}": n for state, n in counts.items()}
        best = best_trial(study)
        if best is not None:
            metrics["best_value"] = best.value
        if len(study.directions) > 1:
            metrics["pareto_size"] = len(study.best_trials)
        log_metrics(self.client, self.run_id, metrics, step=done)
        log.info("trial %d/%d done: best %s=%s (trial %s), %d pruned, %d failed", done, total, objective,
                 f"{best.value:.4f}" if best else "-", best.number if best else "-", counts["PRUNED"], counts["FAIL"])
        show(done, total, time.monotonic() - self.started, best.value if best else None, objective, budget_s=budget_s)

    def finish(self, study, status: str, tags: dict[str, str] | None = None) -> None:
        """End the parent run (FINISHED, FAILED or KILLED) with the best trial's tags, `tags` (the verdict) and
        the sweep's report."""
        from textsweep.sweeping.report import log_sweep_report
        from textsweep.sweeping.study import best_trial
        from textsweep.tracking.runs import close_run

        try:
            best = best_trial(study)
            if best is not None:
                tags = {f"best.{k}": str(v) for k, v in best.params.items()}
                tags.update({"best.trial": str(best.number), "best.value": f"{best.value:.6f}"})
                if "mlflow_run_id" in best.user_attrs:
                    tags["best.run_id"] = best.user_attrs["mlflow_run_id"]
                for k, v in tags.items():
                    self.client.set_tag(self.run_id, k, v)
            for k, v in (tags or {}).items():
                self.client.set_tag(self.run_id, k, v)
            if len(study.directions) > 1:
                self.client.set_tag(self.run_id, "pareto.trials", ",".join(str(t.number) for t in study.best_trials))
            log_sweep_report(self.client, self.run_id, study)
        except Exception as e:  # the report is a convenience; the study itself is already saved
            log.warning("could not write the sweep report: %s", e)
        finally:
            reason = None if status == "FINISHED" else "interrupted" if status == "KILLED" else "error"
            close_run(self.client, self.run_id, status, reason)
