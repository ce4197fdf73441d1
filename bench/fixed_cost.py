"""Fixed cost per trial: what a trial spends besides training and evaluating, and where it goes.

    python bench/fixed_cost.py [--trials 5] [--json out.json]

1. One `textsweep train` process on an IMDB-size dataset already in the cache, with the model logged:
   wall time minus training and evaluation, split into imports (Python, TensorFlow, MLflow), data (cache
   load), model build, MLflow logging (including the model), and the rest (Hydra, store setup).
2. The trials of one Optuna sweep (`textsweep train -m hydra/sweeper=optuna`, trials in one process as
   the basic launcher runs them): per trial after the first, the time between one run's end and the next
   one's end, minus its training and evaluation. Imports and the first store setup are paid once per sweep.
Evaluation (the test split) is shown but not counted: the tutorial script scores the test split too, and
its cost scales with the split (IMDB's real test split is 25,000 reviews), so it is work, not overhead.
Shares are of a 3-epoch IMDB-size trial, with the epoch time measured in part 1. Goal: <= 3 s and <= 2 %.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def textsweep(home: Path, *args: str) -> float:
    """Run the command as a user would (own process, no inherited tracking URI); wall seconds."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["TEXTSWEEP_HOME"] = str(home)
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "textsweep", *args], cwd=home, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"textsweep {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - t


def runs(home: Path, experiment: str) -> list:
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    found = client.search_runs([experiment_id], order_by=["attributes.start_time ASC"])
    return [r for r in found if "train_time_s" in r.data.metrics]  # trials, not a sweep's parent run


def fill_cache(home: Path, overrides: list[str]) -> None:
    """Load the dataset once here (no TensorFlow needed), so the measured process reads it from the cache."""
    from textsweep.compose import compose_config
    from textsweep.data import load_dataset

    cfg = compose_config([f"home={home}", *overrides])
    load_dataset(cfg.dataset, cfg.trainer, cfg.seed, home / "mlruns" / "cache" / "datasets")


def per_process(home: Path, train: int, import_runs: int) -> dict:
    from imdb_shaped import imdb_overrides, write_imdb_npz

    npz = home / "imdb.npz"
    sha = write_imdb_npz(npz, n_train=train)
    command = ["train", *imdb_overrides(npz, sha), "trainer.epochs=1"]
    fill_cache(home, command[1:])
    wall = textsweep(home, *command)
    imports = []
    for _ in range(import_runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import textsweep.train, tensorflow, mlflow"], check=True, capture_output=True)
        imports.append(time.perf_counter() - t)
    run = runs(home, "imdb_article")[-1]
    m = run.data.metrics
    assert run.data.tags["textsweep.data_cache"] == "hit"
    parts = {"imports (Python, TensorFlow, MLflow)": min(imports), "data (cache load)": m["time_data_s"],
             "model build": m["time_build_s"], "MLflow logging, including the model": m["time_log_s"]}
    fixed = wall - m["train_time_s"] - m["time_evaluate_s"]
    parts["rest (Hydra, store setup, run bookkeeping)"] = fixed - sum(parts.values())
    return {"wall_s": wall, "epoch_s": m["train_time_s"], "evaluate_s": m["time_evaluate_s"], "fixed_s": fixed,
            "parts": parts}


def in_sweep(home: Path, trials: int, train: int) -> dict:
    from imdb_shaped import imdb_overrides, write_imdb_npz

    npz = home / "imdb_small.npz"
    sha = write_imdb_npz(npz, n_train=train, n_test=200)  # the cost measured here does not grow with the data
    wall = textsweep(home, "train", "-m", *imdb_overrides(npz, sha), "trainer.epochs=1", "hydra/sweeper=optuna",
                     "hydra.sweeper.study_name=fixed_cost", f"hydra.sweeper.n_trials={trials}",
                     "hydra.sweeper.sampler.n_startup_trials=100", "model.units=choice(96, 100)")
    done = runs(home, "imdb_article")[-trials:]
    per_trial, parts = [], {"data (cache load)": [], "model build": [], "MLflow logging, including the model": []}
    for before, run in zip(done, done[1:]):
        m = run.data.metrics
        span = (run.info.end_time - before.info.end_time) / 1000
        per_trial.append(span - m["train_time_s"] - m["time_evaluate_s"])
        for key, metric in zip(parts, ("time_data_s", "time_build_s", "time_log_s")):
            parts[key].append(m[metric])
    fixed = statistics.median(per_trial)
    parts = {k: statistics.median(v) for k, v in parts.items()}
    parts["rest (Hydra job, Optuna ask/tell, run bookkeeping)"] = fixed - sum(parts.values())
    work = sum(r.data.metrics["train_time_s"] + r.data.metrics["time_evaluate_s"] for r in done)
    return {"trials": trials, "wall_s": wall, "fixed_per_trial_s": fixed, "each_trial_s": per_trial, "parts": parts,
            "once_per_sweep_s": wall - work - fixed * trials}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--train", type=int, default=25000, help="reviews in the training file of part 1 (IMDB: 25,000)")
    p.add_argument("--sweep-train", type=int, default=2000, help="reviews in the sweep's training file (part 2)")
    p.add_argument("--import-runs", type=int, default=3, help="the import time is the best of this many")
    p.add_argument("--json")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process = per_process(Path(tmp), args.train, args.import_runs)
        sweep = in_sweep(Path(tmp), args.trials, args.sweep_train)
    trial_s = 3 * process["epoch_s"] * 25000 / args.train  # an IMDB-size epoch at the measured speed
    for result in (process, sweep):
        fixed = result.get("fixed_s", result.get("fixed_per_trial_s"))
        result["share_of_3_epoch_trial"] = fixed / (fixed + trial_s)
    print("| part | one `textsweep train` process (s) | each further trial of a sweep (s) |\n|---|---|---|")
    for name in dict.fromkeys([*process["parts"], *sweep["parts"]]):
        a, b = process["parts"].get(name), sweep["parts"].get(name)
        print(f"| {name} | {'' if a is None else f'{a:.2f}'} | {'' if b is None else f'{b:.2f}'} |")
    print(f"| **fixed cost** | **{process['fixed_s']:.2f}** | **{sweep['fixed_per_trial_s']:.2f}** |")
    print(f"| share of a 3-epoch IMDB-size trial ({trial_s:.0f} s) | {100 * process['share_of_3_epoch_trial']:.1f} % | "
          f"{100 * sweep['share_of_3_epoch_trial']:.1f} % |")
    print(f"\nnot counted: evaluation of the test split {process['evaluate_s']:.2f} s (1,000 reviews); paid once per sweep: "
          f"{sweep['once_per_sweep_s']:.1f} s (process start, imports, first store setup). Goals <= 3 s and <= 2 %.")
    if args.json:
        Path(args.json).write_text(json.dumps({"process": process, "sweep": sweep}, indent=2))


if __name__ == "__main__":
    main()
