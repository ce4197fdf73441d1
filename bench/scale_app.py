"""The scale bench's worker with a fake objective: textsweep's own Hydra app and sweeper, without TensorFlow.

It composes textsweep's config (so `hydra/sweeper=optuna` treats it as textsweep's app: persistent study,
per-trial MLflow runs under a parent run, heartbeats, the study-stored pruner) and replaces the training by
a known function: each epoch sleeps `SCALE_EPOCH_S` seconds and reports a validation accuracy that depends
smoothly on the trial's parameters, so TPE has something to learn and successive halving something to cut.
Each run logs what a real trial logs per epoch (4 metrics), its params, final metrics and config.yaml.
What it leaves out: data loading, model building and the model itself (TensorFlow's cost, not textsweep's).

    python bench/scale_app.py -m hydra/sweeper=optuna hydra.sweeper.storage=URL hydra.sweeper.baseline=false \
        'model.units=int(interval(8, 256))' 'trainer.learning_rate=tag(log, interval(1e-4, 1e-2))'

bench/scale.py starts many of these at once; this file is the worker only.
"""

import math
import os
import time

import hydra
from omegaconf import DictConfig

import textsweep.config.schema  # noqa: F401  (registers the structured config schema)
from textsweep.config.paths import config_dir

OBJECTIVE_ATTR = "bench.objective_s"  # seconds the fake objective slept: the rest of a trial is the framework
JOB_START_ATTR = "bench.job_start"  # wall-clock time the job's task function began


def accuracy(cfg: DictConfig, epoch: int) -> float:
    """A learning curve whose plateau peaks at units≈96, learning rate≈3e-3, batch 32, and rises with epochs."""
    units = float(cfg.model.units or 64)
    rate = float(cfg.trainer.learning_rate)
    batch = float(cfg.trainer.batch_size)
    plateau = 0.9 - 0.05 * (math.log2(units / 96)) ** 2 - 0.04 * (math.log10(rate / 3e-3)) ** 2 \
        - 0.02 * (math.log2(batch / 32)) ** 2
    return max(0.5, plateau) * (1 - 0.5 * math.exp(-(epoch + 1) / 2))


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")
def main(cfg: DictConfig) -> dict:
    from textsweep.tracking.runs import config_params, log_metrics, log_params, mlflow_run, open_experiment, redacted_yaml
    from textsweep.train import open_trial

    started = time.time()
    epoch_s = float(os.environ.get("SCALE_EPOCH_S", "0.05"))
    trial = open_trial(cfg)
    client, experiment_id = open_experiment(cfg)
    tags = {"textsweep.variant": "fake", "optuna.study": str(cfg.optuna.study_name)}
    if trial is not None:
        tags["optuna.trial"] = str(trial.number)
    if cfg.optuna.parent_run_id:
        tags["mlflow.parentRunId"] = cfg.optuna.parent_run_id
    slept, best, pruned_at = 0.0, 0.0, None
    try:
        with mlflow_run(client, experiment_id, f"fake-t{trial.number if trial else 0}", tags) as run_id:
            if trial is not None:
                trial.set_user_attr("mlflow_run_id", run_id)
            log_params(client, run_id, config_params(cfg))
            client.log_text(run_id, redacted_yaml(cfg), "config.yaml")
            for epoch in range(cfg.trainer.epochs):
                time.sleep(epoch_s)
                slept += epoch_s
                value = accuracy(cfg, epoch)
                best = max(best, value)
                log_metrics(client, run_id, {"val_accuracy": value, "accuracy": min(1.0, value + 0.03),
                                             "val_loss": 1 - value, "loss": 0.97 - value}, step=epoch + 1)
                if trial is not None and trial.report(best, epoch) and epoch + 1 < cfg.trainer.epochs:
                    pruned_at = epoch + 1
                    break
            final = {"final_val_accuracy": best, "final_val_loss": 1 - best, "test_accuracy": best - 0.01,
                     "epochs_run": float(pruned_at or cfg.trainer.epochs), "train_time_s": slept}
            done = {"pruned": "true" if pruned_at else "false"}
            if not pruned_at:  # a stand-in for the model a finished trial keeps, so `promote` has candidates
                client.log_text(run_id, "flavors: {}\n", "model/MLmodel")
                done["textsweep.model_uri"] = f"runs:/{run_id}/model"
            log_metrics(client, run_id, final, tags=done)
        if trial is not None:
            trial.set_user_attr(OBJECTIVE_ATTR, slept)
            trial.set_user_attr(JOB_START_ATTR, started)
            if pruned_at:
                trial.tell_pruned()
    finally:
        if trial is not None:
            trial.close()
    return {**final, "pruned_at_epoch": float(pruned_at or 0), "run_id": run_id}


if __name__ == "__main__":
    main()
