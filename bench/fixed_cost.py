"""Fixed cost per trial: what a trial spends besides training and evaluating, and where it goes.

    python bench/fixed_cost.py [--trials 5] [--train 25000] [--json out.json]

1. One process each, on the same IMDB-size imdb.npz, 1 epoch: the tutorial's plain Keras script (read
   imdb.npz, index and pad the reviews as keras.datasets.imdb.load_data and pad_sequences do, build,
   fit, evaluate) and `textsweep train` (dataset already in textsweep's cache, model logged). Each one's
   wall time minus fitting and evaluating, split into Python start, importing TensorFlow/Keras,
   importing MLflow and Hydra and opening the SQLite store, data, model build, MLflow logging (including
   the model) and the rest (Hydra compose, run bookkeeping, exit).
2. The trials of one Optuna sweep (`textsweep train -m hydra/sweeper=optuna`, trials in one process as
   the basic launcher runs them): per trial after the first, the time between one run's end and the next
   one's end, minus its training and evaluation. Imports and the first store setup are paid once per sweep.
Evaluation (the test split) is shown but not counted: both score the test split, and its cost scales
with the split (IMDB's is 25,000 reviews), so it is work, not overhead. Shares are of a 3-epoch
IMDB-size trial, with the epoch time measured in part 1. Goal: <= 3 s and <= 2 % per trial.
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
    from textsweep.config.compose import compose_config
    from textsweep.pipeline.data import load_dataset

    cfg = compose_config([f"home={home}", *overrides])
    load_dataset(cfg.dataset, cfg.trainer, cfg.seed, home / "mlruns" / "cache" / "datasets")


def tutorial_process(path: str) -> dict:
    """In a child process: the tutorial script on imdb.npz, 1 epoch; the seconds of each part."""
    started = time.perf_counter()
    import keras
    import numpy as np
    from imdb_shaped import tutorial_model

    imported = time.perf_counter()
    with np.load(path, allow_pickle=True) as f:
        x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]

    def prepare(reviews):  # keras.datasets.imdb.load_data(num_words=5000): start mark 1, index_from=3, OOV 2
        indexed = [[1] + [w + 3 if w + 3 < 5000 else 2 for w in review] for review in reviews]
        return keras.utils.pad_sequences(indexed, maxlen=500)

    x_train, x_test = prepare(x_train), prepare(x_test)
    loaded = time.perf_counter()
    model = tutorial_model(5000, 500)
    built = time.perf_counter()
    model.fit(x_train, y_train, epochs=1, batch_size=64, verbose=0)
    fitted = time.perf_counter()
    model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    return {"in_process_s": time.perf_counter() - started, "imports_s": imported - started, "data_s": loaded - imported,
            "build_s": built - loaded, "fit_s": fitted - built, "evaluate_s": time.perf_counter() - fitted}


def library_costs(home: Path, runs: int) -> dict:
    """Seconds to start Python (a whole `python -c pass`), then, timed inside fresh processes, to import
    TensorFlow/Keras and to import MLflow and Hydra and open the SQLite store: the best of `runs` each.
    Timed inside, as the tutorial's import is, so that exiting the process stays in "rest" for both."""
    store = f"sqlite:///{home / 'mlruns' / 'mlflow.db'}"
    code = ("import time; t0 = time.perf_counter(); import keras; t1 = time.perf_counter(); import textsweep.train, mlflow; "
            f"from mlflow.tracking import MlflowClient; MlflowClient({store!r}).get_experiment_by_name('imdb_article'); "
            "print(t1 - t0, time.perf_counter() - t1)")
    starts, imports = [], []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        starts.append(time.perf_counter() - t)
        imports.append([float(x) for x in subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                                         text=True).stdout.split()])
    return {"Python start": min(starts), "import TensorFlow/Keras": min(i[0] for i in imports),
            "import MLflow and Hydra, open the SQLite store": min(i[1] for i in imports)}


def per_process(home: Path, train: int, import_runs: int, test: int = 1000) -> dict:
    """The tutorial script and `textsweep train`, one fresh process each on the same file."""
    from imdb_shaped import imdb_overrides, write_imdb_npz

    npz = home / "imdb.npz"
    sha = write_imdb_npz(npz, n_train=train, n_test=test)
    command = ["train", *imdb_overrides(npz, sha), "trainer.epochs=1"]
    fill_cache(home, command[1:])
    wall = textsweep(home, *command)
    libraries = library_costs(home, import_runs)
    run = runs(home, "imdb_article")[-1]
    m = run.data.metrics
    assert run.data.tags["textsweep.data_cache"] == "hit"
    parts = {**libraries, "data": m["time_data_s"], "model build": m["time_build_s"],
             "MLflow logging, including the model": m["time_log_s"]}
    fixed = wall - m["train_time_s"] - m["time_evaluate_s"]
    parts["rest"] = fixed - sum(parts.values())

    t = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--tutorial-child", str(npz)], check=True, capture_output=True,
                         text=True).stdout
    tutorial_wall = time.perf_counter() - t
    tm = json.loads(out.split("RESULT ", 1)[1])
    tutorial_fixed = tutorial_wall - tm["fit_s"] - tm["evaluate_s"]
    tutorial = {"Python start": libraries["Python start"], "import TensorFlow/Keras": tm["imports_s"],
                "data": tm["data_s"], "model build": tm["build_s"]}
    tutorial["rest"] = tutorial_fixed - sum(tutorial.values())
    return {"wall_s": wall, "epoch_s": m["train_time_s"], "evaluate_s": m["time_evaluate_s"], "fixed_s": fixed,
            "parts": parts, "tutorial": {"wall_s": tutorial_wall, "epoch_s": tm["fit_s"], "evaluate_s": tm["evaluate_s"],
                                         "fixed_s": tutorial_fixed, "parts": tutorial}}


def in_sweep(home: Path, trials: int, train: int) -> dict:
    from imdb_shaped import imdb_overrides, write_imdb_npz

    npz = home / "imdb_small.npz"
    sha = write_imdb_npz(npz, n_train=train, n_test=200)  # the cost measured here does not grow with the data
    wall = textsweep(home, "train", "-m", *imdb_overrides(npz, sha), "trainer.epochs=1", "hydra/sweeper=optuna",
                     "hydra.sweeper.study_name=fixed_cost", f"hydra.sweeper.n_trials={trials}",
                     "hydra.sweeper.sampler.n_startup_trials=100", "model.units=choice(96, 100)",
                     # the per-trial cost alone: no baseline run before the trials, no confirmation after
                     "hydra.sweeper.baseline=false", "hydra.sweeper.confirm.top_k=0")
    done = runs(home, "imdb_article")[-trials:]
    per_trial, parts = [], {"data": [], "model build": [], "MLflow logging, including the model": []}
    for before, run in zip(done, done[1:]):
        m = run.data.metrics
        span = (run.info.end_time - before.info.end_time) / 1000
        per_trial.append(span - m["train_time_s"] - m["time_evaluate_s"])
        for key, metric in zip(parts, ("time_data_s", "time_build_s", "time_log_s")):
            parts[key].append(m[metric])
    fixed = statistics.median(per_trial)
    parts = {k: statistics.median(v) for k, v in parts.items()}
    parts["rest"] = fixed - sum(parts.values())
    work = sum(r.data.metrics["train_time_s"] + r.data.metrics["time_evaluate_s"] for r in done)
    return {"trials": trials, "wall_s": wall, "fixed_per_trial_s": fixed, "each_trial_s": per_trial, "parts": parts,
            "once_per_sweep_s": wall - work - fixed * trials}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--train", type=int, default=25000, help="reviews in the training file of part 1 (IMDB: 25,000)")
    p.add_argument("--sweep-train", type=int, default=2000, help="reviews in the sweep's training file (part 2)")
    p.add_argument("--test", type=int, default=1000, help="test reviews in part 1's file (scored, not counted)")
    p.add_argument("--import-runs", type=int, default=3, help="each library's import time is the best of this many")
    p.add_argument("--json")
    p.add_argument("--tutorial-child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.tutorial_child:
        print("RESULT " + json.dumps(tutorial_process(args.tutorial_child)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        process = per_process(Path(tmp), args.train, args.import_runs, args.test)
        sweep = in_sweep(Path(tmp), args.trials, args.sweep_train)
    tutorial = process["tutorial"]
    trial_s = 3 * process["epoch_s"] * 25000 / args.train  # an IMDB-size epoch at the measured speed
    columns = {"the tutorial script, one process": tutorial, "`textsweep train`, one process": process,
               "each further trial of a textsweep sweep": {"fixed_s": sweep["fixed_per_trial_s"], "parts": sweep["parts"]}}
    for result in columns.values():
        result["share_of_3_epoch_trial"] = result["fixed_s"] / (result["fixed_s"] + trial_s)
    print(f"| part (s) | {' | '.join(columns)} |\n|---|---|---|---|")
    for name in dict.fromkeys(k for c in columns.values() for k in c["parts"]):
        cells = (c["parts"].get(name) for c in columns.values())
        print(f"| {name} | {' | '.join('' if v is None else f'{v:.2f}' for v in cells)} |")
    fixed = " | ".join(f"**{c['fixed_s']:.2f}**" for c in columns.values())
    shares = " | ".join(f"{100 * c['share_of_3_epoch_trial']:.1f} %" for c in columns.values())
    print(f"| **fixed cost** | {fixed} |\n| share of a 3-epoch IMDB-size trial ({trial_s:.0f} s) | {shares} |")
    print(f"\nnot counted: evaluation of the test split ({args.train:,} training reviews; {args.test:,} test reviews): tutorial "
          f"{tutorial['evaluate_s']:.2f} s, textsweep {process['evaluate_s']:.2f} s. Paid once per sweep: "
          f"{sweep['once_per_sweep_s']:.1f} s (process start, imports, first store setup). Goal <= 3 s and <= 2 % per trial.")
    if args.json:
        Path(args.json).write_text(json.dumps({"process": process, "sweep": sweep}, indent=2))


if __name__ == "__main__":
    main()
