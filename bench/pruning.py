"""Pruning pays: the same TPE sweep of the CNN-LSTM with a median pruner and without, same seed and trial count.

    python bench/pruning.py --csv rt_snippets.csv [--n-trials 20] [--home DIR] [--json out.json]

Runs `textsweep sweep cnn_lstm` twice (studies bench_median and bench_none, alternating nothing else on the
machine), then reports per sweep: epochs trained over all trials, wall time, best validation accuracy, the
best trial's test accuracy, and the tutorial baseline's (trial 0: the CNN-LSTM preset's own settings).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def run_sweep(home: Path, csv: str, study: str, pruner: str, n_trials: int) -> float:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["TEXTSWEEP_HOME"] = str(home)
    cmd = [sys.executable, "-m", "textsweep", "sweep", "cnn_lstm", f"dataset.path={csv}", "--n-trials", str(n_trials),
           f"hydra.sweeper.study_name={study}", f"hydra.sweeper.pruner.name={pruner}", "tracking.log_model=false",
           "trainer.verbose=0"]
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
    p.add_argument("--home", default="bench-pruning")
    p.add_argument("--json")
    args = p.parse_args()
    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    csv = str(Path(args.csv).resolve())
    rows = []
    for study, pruner in (("bench_median", "median"), ("bench_none", "none")):
        wall = run_sweep(home, csv, study, pruner, args.n_trials)
        rows.append({"pruner": pruner, **summarize(home, study, wall)})
    print("| pruner | trials (complete/pruned/failed) | epochs trained | wall time (s) | best val acc | its test acc | baseline test acc |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['pruner']} | {r['trials']} ({r['complete']}/{r['pruned']}/{r['failed']}) | {r['epochs_trained']} | {r['wall_s']} "
              f"| {100 * r['best_val_accuracy']:.2f} % | {100 * r['best_test_accuracy']:.2f} % | {100 * r['baseline_test_accuracy']:.2f} % |")
    median, none = rows
    print(f"\nepochs saved by pruning: {1 - median['epochs_trained'] / none['epochs_trained']:.0%}; "
          f"wall time ratio (median/none): {median['wall_s'] / none['wall_s']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
