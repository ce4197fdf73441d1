"""Pruning pays: the same TPE sweep of the CNN-LSTM with a pruner and without, same seed, trial count and budget.

    python bench/pruning.py --csv rt_snippets.csv [--n-trials 20] [--epochs 10] [--pruners successive_halving median none]

Runs `textsweep sweep cnn_lstm` once per pruner (study bench_<pruner>), one after the other, with
`trainer.epochs` as the budget and early stopping on (the default in sweeps: every arm stops a trial at
its best epoch), then reports per sweep: epochs trained over all trials, wall time, best validation
accuracy, the best trial's test accuracy and the tutorial setting's (trial 0: the preset's own values).
Epoch counts do not depend on the machine's load; wall times do.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


# Each pruner with settings that suit an epoch budget on small data: successive halving uses epochs as its
# resource (rungs at 1, 3, 9 epochs); the median pruner waits for 5 complete trials and never cuts epoch 1.
PRUNERS = {
    "successive_halving": ["hydra/sweeper/pruner=successive_halving", "hydra.sweeper.pruner.min_resource=1",
                           "hydra.sweeper.pruner.reduction_factor=3"],
    # halving at every doubling of the epochs (rungs at 2, 3, 5, 9 epochs): more rungs, each keeping the top half
    "successive_halving_2": ["hydra/sweeper/pruner=successive_halving", "hydra.sweeper.pruner.min_resource=1",
                             "hydra.sweeper.pruner.reduction_factor=2"],
    "hyperband": ["hydra/sweeper/pruner=hyperband", "hydra.sweeper.pruner.min_resource=1",
                  "hydra.sweeper.pruner.reduction_factor=3"],
    "median": ["hydra/sweeper/pruner=median", "hydra.sweeper.pruner.n_startup_trials=5", "hydra.sweeper.pruner.n_warmup_steps=1"],
    "none": ["hydra/sweeper/pruner=none"],
}


def run_sweep(home: Path, csv: str, study: str, pruner: str, n_trials: int, epochs: int) -> float:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["TEXTSWEEP_HOME"] = str(home)
    cmd = [sys.executable, "-m", "textsweep", "sweep", "cnn_lstm", f"dataset.path={csv}", "--n-trials", str(n_trials),
           f"hydra.sweeper.study_name={study}", *PRUNERS[pruner], f"trainer.epochs={epochs}", "hydra.sweeper.baseline=false",
           "hydra.sweeper.confirm.top_k=0", "tracking.log_model=false", "trainer.verbose=0"]
    started = time.perf_counter()
    subprocess.run(cmd, cwd=home, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def summarize(home: Path, study_name: str, wall: float) -> dict:
    import mlflow
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=study_name, storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}")
    client = mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")
    metrics = {t.number: client.get_run(t.user_attrs["mlflow_run_id"]).data.metrics for t in study.trials if "mlflow_run_id" in t.user_attrs}
    best = study.best_trial
    states = [t.state.name for t in study.trials]
    return {
        "study": study_name, "trials": len(states), "complete": states.count("COMPLETE"), "pruned": states.count("PRUNED"),
        "failed": states.count("FAIL"), "epochs_trained": int(sum(m.get("epochs_run", 0) for m in metrics.values())),
        "wall_s": round(wall, 1), "best_val_accuracy": best.value, "best_trial": best.number, "best_params": best.params,
        "best_test_accuracy": metrics[best.number]["test_accuracy"],
        "baseline_val_accuracy": metrics[0]["final_val_accuracy"], "baseline_test_accuracy": metrics[0]["test_accuracy"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv", required=True, help="review CSV (columns review, sentiment), e.g. from get_rt_snippets.sh")
    p.add_argument("--n-trials", type=int, default=20)
    p.add_argument("--epochs", type=int, default=10, help="trainer.epochs: the budget of one trial")
    p.add_argument("--pruners", nargs="+", default=["successive_halving", "none"], choices=sorted(PRUNERS),
                   help="the last one is the reference the others are measured against")
    p.add_argument("--home", default="bench-pruning")
    p.add_argument("--json")
    args = p.parse_args()
    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    csv = str(Path(args.csv).resolve())
    rows = []
    for pruner in args.pruners:
        study = f"bench_{pruner}_{args.epochs}"
        wall = run_sweep(home, csv, study, pruner, args.n_trials, args.epochs)
        rows.append({"pruner": pruner, **summarize(home, study, wall)})
    print("| pruner | trials (complete/pruned/failed) | epochs trained | wall time (s) | best val acc | its test acc | baseline test acc |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['pruner']} | {r['trials']} ({r['complete']}/{r['pruned']}/{r['failed']}) | {r['epochs_trained']} | {r['wall_s']} "
              f"| {100 * r['best_val_accuracy']:.2f} % | {100 * r['best_test_accuracy']:.2f} % | {100 * r['baseline_test_accuracy']:.2f} % |")
    reference = rows[-1]
    for r in rows[:-1]:
        print(f"\n{r['pruner']} against {reference['pruner']}: epochs saved {1 - r['epochs_trained'] / reference['epochs_trained']:.0%}, "
              f"wall time ratio {r['wall_s'] / reference['wall_s']:.2f}, best val accuracy "
              f"{100 * (r['best_val_accuracy'] - reference['best_val_accuracy']):+.2f} points")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
