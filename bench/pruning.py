"""Pruning pays: the same TPE sweep of the CNN-LSTM with a pruner and without, same seed, trial count and budget.

    python bench/pruning.py --csv rt_snippets.csv [--n-trials 20] [--epochs 10] [--pruners successive_halving median none]
                            [--seeds 1 2 3]

Runs `textsweep sweep cnn_lstm` once per pruner and seed (study bench_<pruner>_<epochs>_s<seed>), one after
the other, with `trainer.epochs` as the budget and early stopping on (the default in sweeps: every arm stops a
trial at its best epoch), then reports per sweep: epochs trained over all trials, wall time, best validation
accuracy, the best trial's test accuracy and the tutorial setting's (trial 0: the preset's own values).
The seed is the sampler's, the trials' initialisation and the split's (`hydra.sweeper.sampler.seed`, `seed`;
`dataset.split_seed` follows `seed`), the same for every arm of that seed, so arms compare in pairs: one
20-trial sweep per arm swings by a point either way (which trial TPE happens to draw), so the verdict is
the mean over several seeds, each a different split. Epoch counts do not depend on the machine's load; wall times do.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


# Each pruner with settings that suit an epoch budget on small data: successive halving uses epochs as its
# resource (rungs at 1, 3, 9 epochs); the median pruner waits for 5 complete trials and never cuts epoch 1.
PRUNERS = {
    # Optuna's own rule: any trial may be pruned from the first rung of the first trials on
    "successive_halving": ["hydra/sweeper/pruner=successive_halving", "hydra.sweeper.pruner.min_resource=1",
                           "hydra.sweeper.pruner.reduction_factor=3", "hydra.sweeper.pruner.n_startup_trials=0"],
    # halving at every doubling of the epochs (rungs at 2, 3, 5, 9 epochs): more rungs, each keeping the top half
    "successive_halving_2": ["hydra/sweeper/pruner=successive_halving", "hydra.sweeper.pruner.min_resource=1",
                             "hydra.sweeper.pruner.reduction_factor=2", "hydra.sweeper.pruner.n_startup_trials=0"],
    # the shipped one: the same, with the first 3 complete trials never pruned (the preset and two searched ones),
    # a field for the rungs to rank against before anything is halved (sweeping/startup_pruner.py)
    "successive_halving_startup": ["hydra/sweeper/pruner=successive_halving", "hydra.sweeper.pruner.min_resource=1",
                                   "hydra.sweeper.pruner.reduction_factor=3", "hydra.sweeper.pruner.n_startup_trials=3"],
    "hyperband": ["hydra/sweeper/pruner=hyperband", "hydra.sweeper.pruner.min_resource=1",
                  "hydra.sweeper.pruner.reduction_factor=3"],
    "median": ["hydra/sweeper/pruner=median", "hydra.sweeper.pruner.n_startup_trials=5", "hydra.sweeper.pruner.n_warmup_steps=1"],
    "none": ["hydra/sweeper/pruner=none"],
}


def run_sweep(home: Path, csv: str, study: str, pruner: str, n_trials: int, epochs: int, seed: int) -> float:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["TEXTSWEEP_HOME"] = str(home)
    cmd = [sys.executable, "-m", "textsweep", "sweep", "cnn_lstm", f"dataset.path={csv}", "--n-trials", str(n_trials),
           f"hydra.sweeper.study_name={study}", *PRUNERS[pruner], f"trainer.epochs={epochs}", "hydra.sweeper.baseline=false",
           "hydra.sweeper.confirm.top_k=0", "tracking.log_model=false", "trainer.verbose=0",
           f"hydra.sweeper.sampler.seed={seed}", f"seed={seed}"]
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
        "failed": states.count("FAIL"), "searched_complete": states[1:].count("COMPLETE"),  # all but trial 0, the preset
        "epochs_trained": int(sum(m.get("epochs_run", 0) for m in metrics.values())),
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
    p.add_argument("--seeds", type=int, nargs="+", default=[42],
                   help="sampler, initialisation and split seeds (42: the sweep file's own); the arm order rotates with each")
    p.add_argument("--home", default="bench-pruning")
    p.add_argument("--json")
    args = p.parse_args()
    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    csv = str(Path(args.csv).resolve())
    rows = []
    for i, seed in enumerate(args.seeds):
        order = args.pruners[i % len(args.pruners):] + args.pruners[:i % len(args.pruners)]
        for pruner in order:
            study = f"bench_{pruner}_{args.epochs}_s{seed}"
            wall = run_sweep(home, csv, study, pruner, args.n_trials, args.epochs, seed)
            rows.append({"pruner": pruner, "seed": seed, **summarize(home, study, wall)})
            print(json.dumps({k: v for k, v in rows[-1].items() if k != "best_params"}), flush=True)
    print("\n| pruner | seed | trials (complete/pruned/failed) | searched complete | best trial | epochs trained | wall time (s) "
          "| best val acc | its test acc | preset's test acc |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (args.pruners.index(r["pruner"]), r["seed"])):
        print(f"| {r['pruner']} | {r['seed']} | {r['trials']} ({r['complete']}/{r['pruned']}/{r['failed']}) | {r['searched_complete']} "
              f"| {r['best_trial']} | {r['epochs_trained']} "
              f"| {r['wall_s']} | {100 * r['best_val_accuracy']:.2f} % | {100 * r['best_test_accuracy']:.2f} % "
              f"| {100 * r['baseline_test_accuracy']:.2f} % |")
    print()
    for line in verdicts(rows, args.pruners):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def mean_sd(xs: list[float], fmt: str) -> str:
    return format(statistics.mean(xs), fmt) + (f" ± {statistics.stdev(xs):.2f}" if len(xs) > 1 else "")


def verdicts(rows: list[dict], pruners: list[str]) -> list[str]:
    """Each pruner against the reference (the last one), seed by seed, then the mean over the seeds: epochs saved
    and the best validation accuracy's gap, the two halves of the goal (>= 50 % saved, within 0.5 points)."""
    by = {(r["pruner"], r["seed"]): r for r in rows}
    reference, lines = pruners[-1], []
    for pruner in pruners[:-1]:
        saved, gap, wall = [], [], []
        for seed in sorted({r["seed"] for r in rows}):
            ours, ref = by[pruner, seed], by[reference, seed]
            saved.append(1 - ours["epochs_trained"] / ref["epochs_trained"])
            gap.append(100 * (ours["best_val_accuracy"] - ref["best_val_accuracy"]))
            wall.append(ours["wall_s"] / ref["wall_s"])
        lines.append(f"{pruner} against {reference} over {len(saved)} seed(s): epochs saved {mean_sd([100 * x for x in saved], '.0f')} % "
                     f"(per seed {', '.join(f'{x:.0%}' for x in saved)}), wall time ratio {statistics.mean(wall):.2f}, best val "
                     f"accuracy {mean_sd(gap, '+.2f')} points (per seed {', '.join(f'{g:+.2f}' for g in gap)})")
    return lines


if __name__ == "__main__":
    main()
