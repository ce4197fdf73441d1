"""Side by side with the peers: textsweep, Keras Tuner and a plain Optuna loop on the same work, in one run.

    pip install -e '.[bench]'     # keras-tuner, optuna-integration: bench only, never runtime dependencies
    python bench/peers.py --csv rt_snippets.csv [--trials 12] [--epochs 9] [--seeds 1 2] [--time-budget] [--confirm]
                          [--retrain 3] [--json out.json]
    python bench/peers.py --csv rt_snippets.csv --from out.json [--confirm] --retrain 3   # add to an earlier run

The same work for every side:
- one split of the CSV (textsweep's split with dataset.split_seed=42, columns review/sentiment), vectorised once: the top 5,000
  words, 60 tokens; every side reads the same padded arrays (textsweep from its cache, the peers from an .npz),
  which textsweep feeds in length buckets (its default in sweeps) and the peers as they are;
- the same model family, the CNN-LSTM: Embedding(5000, 32) -> SpatialDropout1D(dropout) -> Conv1D(filters, 3,
  same, relu) -> MaxPooling1D(2) -> LSTM(units) -> Dense(1, sigmoid), adam, batch 64;
- the same space: units {32, 64, 100, 128}, filters {16, 32, 64, 128}, dropout [0, 0.5], learning rate
  [1e-4, 1e-2] on a log scale;
- the same budget: `--trials` trials of at most `--epochs` epochs, early stopping on val_accuracy (patience 3,
  best weights restored: textsweep's default in sweeps). Hyperband sizes its own brackets from max_epochs.
The sides, each in a fresh process, in an order that rotates with the seed (this machine drifts):
- textsweep: `textsweep sweep peers` through the CLI, a sweep file in the user's ./sweeps as a user writes one
  (TPE, successive halving on epochs; no baseline run, no confirmation: the same trial count as the others). As
  in any textsweep sweep, its first trial is the sweep file's own values (units 100, filters 32, dropout 0, Adam's
  default rate: the tutorial's CNN-LSTM), and `seed` (here the bench seed) initialises every trial;
- optuna: a plain loop, TPESampler + SuccessiveHalvingPruner with optuna_integration.TFKerasPruningCallback;
- kt_hyperband and kt_bayesian: Keras Tuner's Hyperband and BayesianOptimization;
- with --time-budget, textsweep_timed: textsweep again, last in each seed, with the slowest peer's wall time
  of that seed as its budget (`--timeout`) instead of the trial count: the same wall-clock budget;
- with --confirm, textsweep_confirmed: the same, with the confirmation step of the shipped sweeps (the top 2
  trials re-trained with 2 more seeds each, selected by the mean) inside that wall time: the sweep's
  --timeout is the slowest peer's wall time less 4 times the mean complete training of that seed's
  textsweep side. Its trainings and epochs count the trials only, its wall time the confirmation too.
Per side: wall time, epochs trained, best validation accuracy and that trial's test accuracy (every side
scores the test split after each training, so "its test" is the selected trial's own), the time from launch
until a trial came within 0.5 points of the side's final best, and the overhead per trial besides
training: the median, over trials after the first, of the time between two trainings' ends minus the
second one's fit and test evaluation (imports and store setup are paid once per process and not counted).
With --retrain N, each side's selected configuration (its best trial, seed by seed) is trained again with N
initialisation seeds on the same split by the same plain Keras loop: what the configuration is worth with the
sweep's luck taken out. A best val is the maximum over a side's trainings, and one training's val moves by
the initialisation alone, so a side that trains more configurations in full collects a higher best val
without selecting a better model; the retrained val and test are read against each other, the spread of the
N seeds against the sides' differences.
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

SIDES = ["textsweep", "optuna", "kt_hyperband", "kt_bayesian"]
TIMED = "textsweep_timed"  # --time-budget: textsweep with the slowest peer's wall time instead of a trial count
CONFIRMED = "textsweep_confirmed"  # --confirm: the same, with textsweep's confirmation step inside that time
CONFIRM = {"top_k": 2, "seeds": 3}  # the shipped sweeps' confirmation: the top 2 re-trained, 3 seeds each
SPLIT_SEED = 42  # the one split every side and every seed trains on
DATA = ["dataset=csv", "dataset.text_column=review", "dataset.label_column=sentiment", "dataset.max_tokens=5000",
        "dataset.maxlen=60"]
UNITS, FILTERS, DROPOUT, LEARNING_RATE = [32, 64, 100, 128], [16, 32, 64, 128], (0.0, 0.5), (1e-4, 1e-2)
PATIENCE = 3
STARTUP_TRIALS = 5  # TPE's random start, the same for textsweep and the plain loop

SWEEP = f"""# @package _global_
# bench/peers.py: the CNN-LSTM over units, filters, dropout and learning rate (the peers' space)
defaults:
  - override /dataset: csv
  - override /model: cnn_lstm
  - override /hydra/sweeper: optuna
  - override /hydra/sweeper/pruner: successive_halving   # min_resource 1, reduction_factor 3
experiment_name: peers
dataset: {{text_column: review, label_column: sentiment, max_tokens: 5000, maxlen: 60, split_seed: {SPLIT_SEED}}}
embedding: {{dim: 32}}
model:
  blocks:
    - {{type: spatial_dropout, rate: "${{model.dropout}}"}}
    - {{type: conv1d, filters: "${{model.filters}}", kernel_size: 3, padding: same, activation: relu}}
    - {{type: maxpool1d, pool_size: 2}}
    - {{type: rnn, cell: lstm, units: "${{model.units}}"}}
  dropout: 0.0
trainer: {{optimizer: adam, batch_size: 64, early_stopping: {{patience: {PATIENCE}}}}}
hydra:
  sweeper:
    study_name: peers
    direction: maximize
    objective: val_accuracy
    baseline: false
    confirm: {{top_k: 0}}
    sampler: {{n_startup_trials: {STARTUP_TRIALS}}}
    params:
      model.units: choice({", ".join(map(str, UNITS))})
      model.filters: choice({", ".join(map(str, FILTERS))})
      model.dropout: interval({DROPOUT[0]}, {DROPOUT[1]})
      trainer.learning_rate: tag(log, interval({LEARNING_RATE[0]}, {LEARNING_RATE[1]}))
"""


# ---------------------------------------------------------------- the peers (run in a child process each)

def cnn_lstm(vocab_size: int, maxlen: int, units: int, filters: int, dropout: float, learning_rate: float):
    import keras

    model = keras.Sequential([
        keras.Input((maxlen,)), keras.layers.Embedding(vocab_size, 32), keras.layers.SpatialDropout1D(dropout),
        keras.layers.Conv1D(filters, 3, padding="same", activation="relu"), keras.layers.MaxPooling1D(2),
        keras.layers.LSTM(units), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate), metrics=["accuracy"])
    return model


def early_stopping():
    import keras

    return keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=PATIENCE, restore_best_weights=True)


class Trainings:
    """What each training of a child did: end time, fit and test seconds, epochs, best val, its test."""

    def __init__(self, data: dict):
        self.data, self.records = data, []

    def fit(self, model, epochs: int, callbacks: list, initial_epoch: int = 0, params: dict | None = None) -> dict:
        d = self.data
        started = time.perf_counter()
        try:
            history = model.fit(d["x_train"], d["y_train"], validation_data=(d["x_val"], d["y_val"]), epochs=epochs,
                                initial_epoch=initial_epoch, batch_size=64, verbose=0, callbacks=callbacks)
        finally:  # a pruned trial raises out of fit: its epochs still count
            fit_s = time.perf_counter() - started
        started = time.perf_counter()
        _, test = model.evaluate(d["x_test"], d["y_test"], batch_size=256, verbose=0)
        self.records.append({"end": time.time(), "fit_s": fit_s, "eval_s": time.perf_counter() - started,
                             "epochs": len(history.history["val_accuracy"]), "val": max(history.history["val_accuracy"]),
                             "test": test, "params": params})
        return history  # Keras Tuner reads the trial's score from the History


def optuna_child(data: dict, seed: int, trials: int, epochs: int) -> list:
    import keras
    import optuna
    from optuna_integration import TFKerasPruningCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    log = Trainings(data)
    maxlen, vocab = data["x_train"].shape[1], int(data["vocab_size"])

    class Pruned(keras.callbacks.Callback):  # the epochs of a pruned trial, before the callback raises
        def on_epoch_end(self, epoch, logs=None):
            self.epochs, self.best = epoch + 1, max(getattr(self, "best", 0.0), logs["val_accuracy"])

    def objective(trial):
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed * 1000 + trial.number)
        model = cnn_lstm(vocab, maxlen, trial.suggest_categorical("units", UNITS),
                         trial.suggest_categorical("filters", FILTERS), trial.suggest_float("dropout", *DROPOUT),
                         trial.suggest_float("learning_rate", *LEARNING_RATE, log=True))
        params = dict(trial.params)
        seen = Pruned()
        started = time.perf_counter()
        try:
            history = log.fit(model, epochs, [early_stopping(), seen, TFKerasPruningCallback(trial, "val_accuracy")],
                              params=params)
        except optuna.TrialPruned:
            log.records.append({"end": time.time(), "fit_s": time.perf_counter() - started, "eval_s": 0.0,
                                "epochs": seen.epochs, "val": seen.best, "test": None, "params": params})
            raise
        return max(history.history["val_accuracy"])

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=STARTUP_TRIALS),
                                pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
    study.optimize(objective, n_trials=trials)
    return log.records


def keras_tuner_child(data: dict, seed: int, trials: int, epochs: int, kind: str, folder: str) -> list:
    import keras
    import keras_tuner

    log = Trainings(data)
    maxlen, vocab = data["x_train"].shape[1], int(data["vocab_size"])

    class CnnLstm(keras_tuner.HyperModel):
        def build(self, hp):
            return cnn_lstm(vocab, maxlen, hp.Choice("units", UNITS), hp.Choice("filters", FILTERS),
                            hp.Float("dropout", *DROPOUT), hp.Float("learning_rate", *LEARNING_RATE, sampling="log"))

        def fit(self, hp, model, *args, **kwargs):  # each training, timed and scored like the other sides'
            return log.fit(model, kwargs["epochs"], kwargs.get("callbacks", []), kwargs.get("initial_epoch", 0),
                           params=dict(hp.values))

    common = dict(objective="val_accuracy", seed=seed, directory=folder, project_name=kind, overwrite=True)
    if kind == "kt_hyperband":
        tuner = keras_tuner.Hyperband(CnnLstm(), max_epochs=epochs, factor=3, hyperband_iterations=1, **common)
    else:
        tuner = keras_tuner.BayesianOptimization(CnnLstm(), max_trials=trials, **common)
    keras.utils.set_random_seed(seed)
    tuner.search(epochs=epochs, callbacks=[early_stopping()], verbose=0)
    return log.records


def retrain_child(data: dict, params: dict, seeds: int, epochs: int) -> list:
    """One configuration trained with `seeds` initialisation seeds on the same split."""
    import keras

    log = Trainings(data)
    for seed in range(1, seeds + 1):
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        # textsweep's first trial is the sweep file's own values: no learning rate, i.e. Adam's default
        model = cnn_lstm(int(data["vocab_size"]), data["x_train"].shape[1], int(params["units"]), int(params["filters"]),
                         float(params["dropout"]), float(params.get("learning_rate") or 1e-3))
        log.fit(model, epochs, [early_stopping()], params=params)
    return log.records


def child(args) -> None:
    import numpy as np

    with np.load(args.data) as f:
        data = {k: f[k] for k in f.files}
    with tempfile.TemporaryDirectory() as folder:
        if args.side == "optuna":
            records = optuna_child(data, args.seed, args.trials, args.epochs)
        elif args.side == "retrain":
            records = retrain_child(data, json.loads(args.params), args.trials, args.epochs)
        else:
            records = keras_tuner_child(data, args.seed, args.trials, args.epochs, args.side, folder)
    Path(args.out).write_text(json.dumps(records))


# ---------------------------------------------------------------- the parent: data once, sides in turn

def user_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["TEXTSWEEP_HOME"] = str(home)
    return env


def prepare(home: Path, csv: str) -> Path:
    """Vectorise the CSV once with textsweep (its cache then serves every textsweep trial) and write the same
    padded arrays for the peers."""
    import numpy as np
    from textsweep.config.compose import compose_config
    from textsweep.pipeline.data import load_dataset

    cfg = compose_config([f"home={home}", *DATA, f"dataset.path={csv}"])
    data = load_dataset(cfg.dataset, cfg.trainer, SPLIT_SEED, home / "mlruns" / "cache" / "datasets")
    npz = home / "arrays.npz"
    np.savez(npz, x_train=data.x_train, y_train=data.y_train, x_val=data.x_val, y_val=data.y_val, x_test=data.x_test,
             y_test=data.y_test, vocab_size=data.vocab_size)
    (home / "sweeps").mkdir(exist_ok=True)
    (home / "sweeps" / "peers.yaml").write_text(SWEEP)
    return npz


def textsweep_side(home: Path, csv: str, seed: int, trials: int, epochs: int,
                   timeout: float | None = None, confirm: bool = False) -> tuple[float, float, list]:
    import mlflow
    import optuna
    from textsweep.sweeping.confirm import recorded

    study = f"peers_{seed}" if timeout is None else f"peers_{'confirmed' if confirm else 'timed'}_{seed}"
    confirming = [f"hydra.sweeper.confirm.{k}={v}" for k, v in CONFIRM.items()] if confirm else []
    budget = ["--n-trials", str(trials)] if timeout is None else ["--n-trials", "1000", "--timeout", str(int(timeout))]
    launched = time.time()
    done = subprocess.run([sys.executable, "-m", "textsweep", "sweep", "peers", f"dataset.path={csv}", *budget,
                           # the seed moves the sampler and the trials' initialisation, as it does the peers'; never the split
                           f"hydra.sweeper.study_name={study}", f"hydra.sweeper.sampler.seed={seed}", f"seed={seed}",
                           f"trainer.epochs={epochs}", *confirming,
                           "trainer.verbose=0"], cwd=home, env=user_env(home), capture_output=True, text=True)
    wall = time.time() - launched
    if done.returncode:
        raise SystemExit(f"textsweep failed:\n{done.stderr[-3000:]}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    loaded = optuna.load_study(study_name=study, storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}")
    trials_of, chosen = loaded.trials, (recorded(loaded) or {}).get("selected")
    client = mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")
    records = []
    for t in trials_of:
        if t.datetime_start is None or t.datetime_start.timestamp() < launched:
            continue  # an earlier run's trial in a reused --home
        run = client.get_run(t.user_attrs["mlflow_run_id"])
        m = run.data.metrics
        val = t.value if t.value is not None else max(t.intermediate_values.values(), default=0.0)
        records.append({"end": run.info.end_time / 1000, "fit_s": m["train_time_s"], "eval_s": m.get("time_evaluate_s", 0.0),
                        "epochs": int(m["epochs_run"]), "val": val,
                        "test": m.get("test_accuracy") if t.state.name == "COMPLETE" else None,
                        "params": {k.split(".")[-1]: v for k, v in t.params.items()}, "selected": t.number == chosen})
    records.sort(key=lambda r: r["end"])
    return launched, wall, records


def peer_side(side: str, npz: Path, seed: int, trials: int, epochs: int, *extra: str) -> tuple[float, float, list]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        launched = time.time()
        subprocess.run([sys.executable, __file__, "--side", side, "--data", str(npz), "--seed", str(seed), "--trials", str(trials),
                        "--epochs", str(epochs), "--out", out.name, *extra], check=True, stdout=subprocess.DEVNULL)
        wall = time.time() - launched
        return launched, wall, json.loads(Path(out.name).read_text())


def retrain(results: dict, npz: Path, seeds: int, epochs: int, earlier: dict) -> dict:
    """Each side's selected configuration, seed by seed, trained again with `seeds` initialisation seeds (a
    configuration two runs selected is trained once; one an earlier run retrained as often is taken)."""
    done, out = {}, {}
    for side, runs in results.items():
        out[side] = []
        for run in runs:
            taken = [r for r in earlier.get(side, []) if r["seed"] == run["seed"] and len(r["vals"]) == seeds]
            if taken:
                out[side].append(taken[0])
                continue
            best = selection(run["trials"])
            # the four hyperparameters only: Keras Tuner's bookkeeping (tuner/epochs, ...) names no other model
            key = json.dumps({k: best["params"].get(k) for k in ("units", "filters", "dropout", "learning_rate")}, sort_keys=True)
            if key not in done:
                done[key] = peer_side("retrain", npz, 0, seeds, epochs, "--params", key)[2]
            out[side].append({"seed": run["seed"], "params": best["params"], "in_its_sweep": best["val"],
                              "vals": [r["val"] for r in done[key]], "tests": [r["test"] for r in done[key]]})
            print(f"retrained seed {run['seed']} {side}: {json.dumps(out[side][-1])}", flush=True)
    return out


def retrain_table(retrained: dict) -> str:
    """Mean over the bench seeds of each selection's mean over its retrainings, ± the std of those means."""
    lines = ["| side | selected trial's val in its sweep (%) | retrained val (%) | retrained test (%) | spread of one selection's retrained val (pt) |",
             "|---|---|---|---|---|"]
    for side, runs in retrained.items():
        spread = statistics.mean(statistics.stdev(r["vals"]) for r in runs) if len(runs[0]["vals"]) > 1 else None
        lines.append(f"| {side} | {cell([r['in_its_sweep'] for r in runs], PERCENT)} "
                     f"| {cell([statistics.mean(r['vals']) for r in runs], PERCENT)} "
                     f"| {cell([statistics.mean(r['tests']) for r in runs], PERCENT)} | "
                     + (f"{100 * spread:.2f}" if spread is not None else "-") + " |")
    return "\n".join(lines)


def selection(records: list) -> dict:
    """The trial a side selects: the one its confirmation step chose, else the best scored val."""
    chosen = [r for r in records if r.get("selected")]
    return chosen[0] if chosen else max((r for r in records if r["test"] is not None), key=lambda r: r["val"])


def summarize(launched: float, wall: float, records: list) -> dict:
    best = selection(records)
    running, reached = 0.0, None
    for r in records:
        running = max(running, r["val"])
        if reached is None and running >= best["val"] - 0.005:
            reached = r["end"] - launched
    between = [b["end"] - a["end"] - b["fit_s"] - b["eval_s"] for a, b in zip(records, records[1:])]
    return {"wall_s": wall, "trainings": len(records), "epochs": sum(r["epochs"] for r in records), "best_val": best["val"],
            "its_test": best["test"], "within_half_point_s": reached, "overhead_per_trial_s": statistics.median(between) if between else None,
            "curve": [(r["end"] - launched, r["val"]) for r in records], "trials": records}


def time_to(curve: list, target: float) -> float | None:
    running = 0.0
    for t, val in curve:
        running = max(running, val)
        if running >= target:
            return t
    return None


def cell(values: list, fmt) -> str:
    """A table cell: mean ± std of the values that are there ("-" for none)."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.mean(values))} ± {fmt(statistics.stdev(values))}"


PERCENT = lambda v: f"{100 * v:.2f}"  # noqa: E731


def table(results: dict) -> str:
    pct, sec = PERCENT, (lambda v: f"{v:.0f}")
    lines = ["| side | trainings | epochs | wall (s) | best val acc (%) | its test acc (%) | within 0.5 pt of its best (s) | overhead per trial (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for side, runs in results.items():
        col = lambda key: [r[key] for r in runs]  # noqa: E731
        lines.append(f"| {side} | {cell(col('trainings'), sec)} | {cell(col('epochs'), sec)} | {cell(col('wall_s'), sec)} | "
                     f"{cell(col('best_val'), pct)} | {cell(col('its_test'), pct)} | {cell(col('within_half_point_s'), sec)} | "
                     f"{cell(col('overhead_per_trial_s'), lambda v: f'{v:.2f}')} |")
    return "\n".join(lines)


def goals(results: dict) -> list[str]:
    """textsweep against the best peer (by mean best val): does it reach that score within that peer's wall time;
    and its overhead per trial against the plain Optuna loop's."""
    peers = {s: r for s, r in results.items() if not s.startswith("textsweep")}
    if "textsweep" not in results or not peers:
        return []
    mean = lambda runs, key: statistics.mean(r[key] for r in runs)  # noqa: E731
    best_peer = max(peers, key=lambda s: mean(peers[s], "best_val"))
    lines = []
    for side in [s for s in results if s.startswith("textsweep")]:
        for ours, theirs in zip(results[side], peers[best_peer]):
            reached = time_to(ours["curve"], theirs["best_val"])
            lines.append(f"seed {ours['seed']}: {side} reaches {best_peer}'s best val {100 * theirs['best_val']:.2f} % "
                         + (f"after {reached:.0f} s" if reached is not None else "never")
                         + f" ({best_peer}'s wall time {theirs['wall_s']:.0f} s)")
    if "optuna" in results:
        ratio = mean(results["textsweep"], "overhead_per_trial_s") / mean(results["optuna"], "overhead_per_trial_s")
        lines.append(f"overhead per trial, textsweep / plain Optuna loop: {ratio:.2f}x (goal <= 1.1x)")
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv", help="review CSV (columns review, sentiment), e.g. from `make rt_snippets.csv`")
    p.add_argument("--trials", type=int, default=12, help="trials per side (Hyperband: its own count, max_epochs = --epochs)")
    p.add_argument("--epochs", type=int, default=9, help="the epoch budget of one trial")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2], help="sampler/tuner seeds; the side order rotates with each")
    p.add_argument("--sides", nargs="+", default=SIDES, choices=SIDES)
    p.add_argument("--time-budget", action="store_true",
                   help=f"per seed, after the others: {TIMED}, textsweep given the slowest peer's wall time (--timeout) "
                        "instead of the trial count, the same wall-clock budget")
    p.add_argument("--confirm", action="store_true",
                   help=f"per seed, last: {CONFIRMED}, textsweep with the slowest peer's wall time and its confirmation step "
                        "(top 2 re-trained with 2 more seeds, selected by the mean) within it")
    p.add_argument("--home", help="work folder (default: a temporary one)")
    p.add_argument("--json")
    p.add_argument("--retrain", type=int, default=0, metavar="N",
                   help="after the sides: each side's selected configuration, seed by seed, trained again with N "
                        "initialisation seeds on the same split")
    p.add_argument("--from", dest="earlier", metavar="JSON",
                   help="an earlier run's --json: take its sides' results and run only the sides it lacks (then --retrain)")
    p.add_argument("--side", choices=SIDES[1:] + ["retrain"], help=argparse.SUPPRESS)
    p.add_argument("--params", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.side:
        return child(args)
    if not args.csv:
        p.error("--csv is required")
    if args.earlier and not Path(args.earlier).is_file():
        p.error(f"--from {args.earlier}: no such file; give the --json of an earlier run")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(args.home or tmp).resolve()
        home.mkdir(parents=True, exist_ok=True)
        csv = str(Path(args.csv).resolve())
        npz = prepare(home, csv)
        earlier = json.loads(Path(args.earlier).read_text()) if args.earlier else {}
        extra = ([TIMED] if args.time_budget else []) + ([CONFIRMED] if args.confirm else [])
        results = {side: [] for side in args.sides + extra}
        if args.earlier:
            results |= {side: runs for side, runs in earlier.items() if side in SIDES + [TIMED, CONFIRMED]}
            args.seeds, args.trials = [r["seed"] for r in results[args.sides[0]]], earlier.get("trials", args.trials)
        for i, seed in enumerate(args.seeds):
            of_seed = lambda side: next((r for r in results[side] if r["seed"] == seed), None)  # noqa: E731
            order = args.sides[i % len(args.sides):] + args.sides[:i % len(args.sides)]
            for side in order + extra:
                if of_seed(side):
                    continue  # taken from --from
                slowest = lambda: max(of_seed(s)["wall_s"] for s in args.sides if s != "textsweep")  # noqa: E731
                if side == "textsweep":
                    run = textsweep_side(home, csv, seed, args.trials, args.epochs)
                elif side == TIMED:  # the seconds the slowest peer took in this seed, the textsweep sweep's --timeout
                    run = textsweep_side(home, csv, seed, args.trials, args.epochs, timeout=slowest())
                elif side == CONFIRMED:  # less the confirmation's 4 trainings, at the textsweep side's mean complete one
                    complete = [t["fit_s"] + t["eval_s"] for t in of_seed("textsweep")["trials"] if t["test"] is not None]
                    extra_runs = CONFIRM["top_k"] * (CONFIRM["seeds"] - 1)
                    run = textsweep_side(home, csv, seed, args.trials, args.epochs,
                                         timeout=max(1.0, slowest() - extra_runs * statistics.mean(complete)), confirm=True)
                else:
                    run = peer_side(side, npz, seed, args.trials, args.epochs)
                results[side].append({"seed": seed, **summarize(*run)})
                print(f"seed {seed} {side}: {json.dumps({k: v for k, v in results[side][-1].items() if k not in ('curve', 'trials')})}", flush=True)
        retrained = retrain(results, npz, args.retrain, args.epochs, earlier.get("retrained") or {}) if args.retrain else None
    print(f"\n{args.trials} trials of up to {args.epochs} epochs, seeds {args.seeds}; mean ± std over the seeds\n")
    print(table(results))
    for line in goals(results):
        print(line)
    if retrained:
        print(f"\nEach side's selected configuration, trained again with {args.retrain} initialisation seeds on the same split\n")
        print(retrain_table(retrained))
    if args.json:
        Path(args.json).write_text(json.dumps({**results, "trials": args.trials, "retrained": retrained}, indent=2))


if __name__ == "__main__":
    main()
