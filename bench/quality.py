"""Model quality over several splits: the linear baselines, the tutorial presets and a shipped sweep's selection.

    python bench/quality.py --csv rt_snippets.csv [--seeds 1 2 3] [--sweep reviews] [--home DIR] [--json out.json]
    python bench/quality.py --data rt3 --dir DATA --no-tutorials     # one of bench/baseline.py's corpora
    python bench/quality.py --csv rt_snippets.csv --mask          # padding masks: mask_zero off vs on
    python bench/quality.py --csv x --combine s1.json s2.json s3.json   # one table from runs made apart

For each seed (= one test/validation split of the CSV; columns review, sentiment):
- TF-IDF (1-2 grams) + logistic regression, C chosen on the validation split (scikit-learn, the reference);
- textsweep's built-in baseline (`baseline=true`, the bag_of_ngrams preset) — trained by the sweep, once per study;
- the tutorial presets `lstm` and `cnn_lstm` with the tutorial's settings (experiment=rt_snippets, 3 epochs);
- the shipped sweep, run blind through the CLI as a user runs it; its selection and the baseline beside it are the
  sweep's own verdict (sweeping/verdict.py): the confirmed winner's mean over the confirmation seeds and the
  baseline's over the same seeds (validation and test), or single runs when the sweep confirms nothing.
Prints a Markdown table of mean ± std over the seeds and every seed's figures; --json keeps the raw numbers.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = ["dataset=csv", "dataset.text_column=review", "dataset.label_column=sentiment"]


def data_overrides(text_column: str, label_column: str) -> list[str]:
    return ["dataset=csv", f"dataset.text_column={text_column}", f"dataset.label_column={label_column}"]


def textsweep(home: Path, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["TEXTSWEEP_HOME"] = str(home)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "textsweep", *args], cwd=home, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def client_of(home: Path):
    import mlflow

    return mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")


def last_run(home: Path, experiment: str):
    client = client_of(home)
    exp = client.get_experiment_by_name(experiment)
    return client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"], max_results=1)[0]


def tfidf_reference(csv: str, seed: int, data: list[str] = DATA) -> dict:
    """scikit-learn's TF-IDF (1-2 grams, sublinear tf) + LogisticRegression, C by validation accuracy, on
    textsweep's own split: bench/baseline.py's reference, the one the built-in baseline is held to."""
    from baseline import scikit_learn

    from textsweep.config.compose import compose_config

    return scikit_learn(compose_config([*data, f"dataset.path={csv}", f"seed={seed}"]), seed)


def tutorial(home: Path, csv: str, seed: int, preset: str) -> dict:
    seconds = textsweep(home, "train", "experiment=rt_snippets", f"dataset.path={csv}", f"model={preset}", f"seed={seed}",
                        "tracking.log_model=false", "trainer.verbose=0", f"experiment_name=tutorial_{seed}")
    m = last_run(home, f"tutorial_{seed}").data.metrics
    return {"val": m["final_val_accuracy"], "test": m["test_accuracy"], "seconds": seconds}


def sweep(home: Path, csv: str, seed: int, name: str, extra: list[str]) -> tuple[dict, dict, dict]:
    """(the sweep's selection, its built-in baseline, facts about the sweep) for one split."""
    import optuna

    from textsweep.sweeping import verdict

    study_name = f"{name}_seed{seed}"
    seconds = textsweep(home, "sweep", name, f"dataset.path={csv}", f"seed={seed}", f"hydra.sweeper.study_name={study_name}",
                        "trainer.verbose=0", *extra)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=study_name, storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}")
    client = client_of(home)
    found = verdict.of_study(study, "val_accuracy")
    trial = study.trials[found.trial]
    run = client.get_run(trial.user_attrs["mlflow_run_id"]).data
    states = [t.state.name for t in study.trials]
    epochs = 0
    for t in study.trials:
        if "mlflow_run_id" in t.user_attrs:
            epochs += int(client.get_run(t.user_attrs["mlflow_run_id"]).data.metrics.get("epochs_run", 0))
    selection = {"val": found.value, "test": found.test, "runs": found.runs, "seconds": seconds, "trial": found.trial,
                 "preset": found.preset, "linear_weight": found.linear_weight,
                 "variant": run.tags.get("textsweep.variant"), "params": trial.params}
    facts = {"trials": len(states), "complete": states.count("COMPLETE"), "pruned": states.count("PRUNED"),
             "failed": states.count("FAIL"), "epochs_trained": epochs, "wall_s": seconds}
    baseline = {"val": found.baseline, "test": found.baseline_test, "runs": found.baseline_runs, "seconds": None}
    return selection, baseline, facts


def mean_std(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.fmean(values):.2f} ± {100 * std:.2f}"


def table(rows: dict[str, list[dict]]) -> str:
    lines = ["| model | val accuracy % | test accuracy % | per-seed test % | seconds (mean) |", "|---|---|---|---|---|"]
    for name, results in rows.items():
        per_seed = ", ".join("n/a" if r["test"] is None else f"{100 * r['test']:.2f}" for r in results)
        secs = [r["seconds"] for r in results if r.get("seconds") is not None]
        lines.append(f"| {name} | {mean_std([r['val'] for r in results])} | {mean_std([r['test'] for r in results])} | "
                     f"{per_seed} | {statistics.fmean(secs):.0f} |" if secs else
                     f"| {name} | {mean_std([r['val'] for r in results])} | {mean_std([r['test'] for r in results])} | "
                     f"{per_seed} | (in the sweep) |")
    return "\n".join(lines)


def masks(home: Path, csv: str, seeds: list[int]) -> dict:
    """The tutorial LSTM with padding masks off and on (alternating per seed): accuracy and train time."""
    out = {"off": [], "on": []}
    for seed in seeds:
        for mode in (("off", "on") if seed % 2 else ("on", "off")):
            name = f"mask_{mode}_{seed}"
            textsweep(home, "train", "experiment=rt_snippets", f"dataset.path={csv}", "model=lstm", f"seed={seed}",
                      f"embedding.mask_zero={'true' if mode == 'on' else 'false'}", "tracking.log_model=false",
                      "trainer.verbose=0", f"experiment_name={name}")
            m = last_run(home, name).data.metrics
            out[mode].append({"val": m["final_val_accuracy"], "test": m["test_accuracy"], "seconds": m["train_time_s"]})
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv", help="review CSV (columns review, sentiment), e.g. from get_rt_snippets.sh")
    p.add_argument("--data", help="or one of bench/baseline.py's corpora: rt, rt3, speeches (fetched into --dir)")
    p.add_argument("--dir", default=".", help="where --data's CSV is (fetched there when missing)")
    p.add_argument("--no-tutorials", action="store_true", help="skip the tutorial presets (their settings fit RT only)")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--sweep", default="reviews", help="the shipped sweep to run blind (sweeps/<name>.yaml)")
    p.add_argument("--sweep-args", nargs="*", default=[], help="extra overrides for the sweep (e.g. --n-trials 10)")
    p.add_argument("--mask", action="store_true", help="measure padding masks instead")
    p.add_argument("--home", default="bench-quality")
    p.add_argument("--json")
    p.add_argument("--combine", nargs="+", metavar="JSON",
                   help="print one table from the --json files of runs made apart (e.g. one seed per process)")
    args = p.parse_args()
    if args.combine:
        parts = [json.loads(Path(f).read_text()) for f in args.combine]
        merged = {k: [r for part in parts for r in part[k]] for k in parts[0]}
        print(table({k: v for k, v in merged.items() if k != "sweeps"}))
        for facts in merged["sweeps"]:
            print(f"sweep: {facts}")
        return
    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    data = DATA
    if args.data:
        from baseline import DATASETS, csv_of

        _, _, text_column, label_column = DATASETS[args.data]
        data = data_overrides(text_column, label_column)
        csv = str(csv_of(args.data, Path(args.dir)).resolve())
        args.sweep_args = [f"dataset.text_column={text_column}", f"dataset.label_column={label_column}", *args.sweep_args]
    else:
        csv = str(Path(args.csv).resolve())
    if args.mask:
        result = masks(home, csv, args.seeds)
        print(table({"lstm, mask_zero=false": result["off"], "lstm, mask_zero=true": result["on"]}))
    else:
        result = {"TF-IDF + logistic regression (scikit-learn)": [], "textsweep baseline (bag_of_ngrams)": [],
                  "tutorial lstm": [], "tutorial cnn_lstm": [], f"sweep {args.sweep}: selection": [], "sweeps": []}
        for seed in args.seeds:
            result["TF-IDF + logistic regression (scikit-learn)"].append(tfidf_reference(csv, seed, data))
            if not args.no_tutorials:
                result["tutorial lstm"].append(tutorial(home, csv, seed, "lstm"))
                result["tutorial cnn_lstm"].append(tutorial(home, csv, seed, "cnn_lstm"))
            selection, baseline, facts = sweep(home, csv, seed, args.sweep, args.sweep_args)
            result[f"sweep {args.sweep}: selection"].append(selection)
            result["textsweep baseline (bag_of_ngrams)"].append(baseline)
            result["sweeps"].append(facts)
            print(f"seed {seed}: " + json.dumps({k: v[-1] for k, v in result.items() if v}, default=str), flush=True)
        print(table({k: v for k, v in result.items() if k != "sweeps" and v}))
        for seed, facts in zip(args.seeds, result["sweeps"]):
            print(f"seed {seed}: sweep {facts}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
