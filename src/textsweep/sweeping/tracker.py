"""The MLflow parent run of one sweep invocation of textsweep's app: its settings, the progress, the best trial,
plots and the trials table. Fed plain values (the run's params and note, the objective), never the sweeper."""

import logging
import time

log = logging.getLogger("textsweep.sweep")


class SweepTracker:
    def __init__(self, config, study_name: str):
        self.config, self.study_name = config, study_name
        self.client = self.experiment_id = self.run_id = None

    def start(self, study, params: dict, note: str) -> None:
        from textsweep.reclaim import dead_parents, mark_parent
        from textsweep.tracking.runs import log_params, open_experiment, open_run

        self.client, self.experiment_id = open_experiment(self.config)  # closes the runs of dead local owners
        self.started = time.monotonic()  # for the ETA on a terminal
        from textsweep.tracking.links import invocation_run_name

        self.run_id = open_run(self.client, self.experiment_id, invocation_run_name("sweep", self.study_name), {
            "textsweep.sweep": self.study_name, "optuna.study": self.study_name, "textsweep.role": "sweep",
            "mlflow.note.content": note})
        log_params(self.client, self.run_id, {k: str(v)[:6000] for k, v in params.items()})
        for run_id in dead_parents(study):  # ended just now by open_experiment, as runs of dead local owners
            mark_parent(study, run_id, running=False)
        mark_parent(study, self.run_id, running=True)

    def end_runs_of_ended_trials(self, study) -> None:
        """Runs that a killed job or a lost worker left RUNNING end as their trials did (reclaim.py)."""
        from textsweep.reclaim import end_runs_of_ended_trials

        end_runs_of_ended_trials(self.client, study, [self.experiment_id])

    def run(self, run_id: str | None):
        """A run of this sweep's store, or None (no id, or the store cannot tell)."""
        try:
            return self.client.get_run(run_id) if run_id else None
        except Exception as e:
            log.debug("could not read run %s: %s", run_id, e)
            return None

    def end_run(self, run, status: str, reason: str, message: str = "") -> None:
        """End a trial's run that is still RUNNING (its job can no longer end it)."""
        from textsweep.tracking.runs import close_run

        if run is not None and run.info.status == "RUNNING":
            try:
                close_run(self.client, run.info.run_id, status, reason, message)
            except Exception as e:  # ended meanwhile by its own process
                log.debug("could not end run %s: %s", run.info.run_id, e)

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
        from textsweep.config.names import mlflow_key
        from textsweep.reclaim import mark_parent
        from textsweep.sweeping.report import log_sweep_report
        from textsweep.sweeping.study import best_trial
        from textsweep.tracking.runs import close_run

        try:
            best = best_trial(study)
            if best is not None:
                best_tags = {f"best.{mlflow_key(k)}": str(v) for k, v in best.params.items()}
                best_tags.update({"best.trial": str(best.number), "best.value": f"{best.value:.6f}"})
                if "mlflow_run_id" in best.user_attrs:
                    best_tags["best.run_id"] = best.user_attrs["mlflow_run_id"]
                tags = {**best_tags, **(tags or {})}  # the verdict beside them: `compare` reads it from here
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
            mark_parent(study, self.run_id, running=False)
