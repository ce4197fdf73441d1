"""Parallel trials on one machine: throughput in trials per hour, one worker against two, threads capped or not.

    python bench/parallel.py --csv rt_snippets.csv [--trials 8] [--epochs 2] [--rounds 2] [--json out.json]

The same sweep in every arm: the CNN-LSTM preset on the CSV's seed-42 split, `--trials` TPE trials of exactly
`--epochs` epochs (no early stopping, no pruner, no baseline, no confirmation: the work is fixed), run through
the CLI as a user runs it. The arms, alternating each round (this machine drifts):
- basic: Hydra's basic launcher, one trial at a time, TensorFlow's thread pools sized to the machine;
- joblib2: `hydra/launcher=joblib` with n_jobs 2 (the sweeper asks for batches of 2), default threads:
  each worker sizes its pools to every core;
- joblib2_capped: the same with each worker's TensorFlow limited to cores / 2 intra-op threads and one
  inter-op thread (TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS, read when TensorFlow starts).
Throughput counts from the first trial's start to the last trial's end (MLflow run times): process start and
imports are paid once per sweep whatever the launcher.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ARMS = {
    "basic": ([], {}),
    "joblib2": (["hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2"], {}),
    "joblib2_capped": (["hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2"],
                       {"TF_NUM_INTRAOP_THREADS": str(max(1, (os.cpu_count() or 2) // 2)), "TF_NUM_INTEROP_THREADS": "1"}),
}


def sweep(home: Path, csv: str, study: str, arm: str, trials: int, epochs: int) -> float:
    overrides, env_extra = ARMS[arm]
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
    env.update(TEXTSWEEP_HOME=str(home), **env_extra)
    cmd = [sys.executable, "-m", "textsweep", "train", "-m", "hydra/sweeper=optuna", "dataset=csv", f"dataset.path={csv}",
           "dataset.text_column=review", "dataset.label_column=sentiment", "dataset.maxlen=60", "model=cnn_lstm",
           f"experiment_name={study}", f"hydra.sweeper.study_name={study}", f"hydra.sweeper.n_trials={trials}",
           "hydra.sweeper.sampler.seed=7", "model.units=choice(32, 64, 100)", "model.filters=choice(16, 32, 64)",
           f"trainer.epochs={epochs}", "trainer.early_stopping.enabled=false", "hydra/sweeper/pruner=none",
           "hydra.sweeper.baseline=false", "hydra.sweeper.confirm.top_k=0", "trainer.verbose=0", *overrides]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=home, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{arm} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def trial_span(home: Path, study: str) -> tuple[float, int]:
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(study)
    runs = [r for r in client.search_runs([experiment.experiment_id]) if "optuna.trial" in r.data.tags]
    return (max(r.info.end_time for r in runs) - min(r.info.start_time for r in runs)) / 1000, len(runs)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv", required=True)
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    p.add_argument("--home", default="bench-parallel")
    p.add_argument("--json")
    args = p.parse_args()
    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    csv = str(Path(args.csv).resolve())
    results = {arm: [] for arm in args.arms}
    for r in range(args.rounds):
        order = args.arms if r % 2 == 0 else list(reversed(args.arms))
        for arm in order:
            study = f"parallel_{arm}_{r}_{int(time.time())}"
            wall = sweep(home, csv, study, arm, args.trials, args.epochs)
            span, n = trial_span(home, study)
            results[arm].append({"wall_s": wall, "trials_span_s": span, "trials": n, "trials_per_hour": 3600 * n / span})
            print(f"round {r + 1} {arm}: {json.dumps(results[arm][-1])}", flush=True)
    base = statistics.mean(x["trials_per_hour"] for x in results[args.arms[0]])
    print(f"\n{args.trials} trials of {args.epochs} epochs, {os.cpu_count()} cores, {args.rounds} rounds alternating\n")
    print(f"| arm | trials per hour, each round | mean | vs {args.arms[0]} |\n|---|---|---|---|")
    for arm, rows in results.items():
        mean = statistics.mean(x["trials_per_hour"] for x in rows)
        each = ", ".join(f"{x['trials_per_hour']:.0f}" for x in rows)
        print(f"| {arm} | {each} | {mean:.0f} | {mean / base:.2f}x |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
