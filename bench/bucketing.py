"""Length bucketing: `textsweep train trainer.bucketing=true` vs the tutorial script, speed and accuracy.

    python bench/bucketing.py [--train 25000] [--rounds 2] [--csv rt_snippets.csv --seeds 1,2,3 [--model lstm] [--epochs 3]] [--json out.json]

1. Throughput: IMDB-shaped reviews with IMDB's length distribution (median ~174 words, long tail,
   truncated at 500), the tutorial's model (Embedding(5000, 32) -> LSTM(100) -> Dense(1, sigmoid), adam,
   batch 64), 1 epoch with per-epoch validation for both. The tutorial script pads every review to 500;
   textsweep pads each batch to its bucket. Rounds alternate the two runners in one process.
   Goal: >= 1.8x training samples/s.
2. Accuracy (with --csv, the real snippets from `make rt_snippets.csv`): experiment=rt_snippets,
   model=--model (lstm), --epochs (3) epochs, for each seed with bucketing off (the tutorial's padding) and on,
   alternating, on the same splits: validation and test accuracy and train time, mean +- standard deviation
   over the seeds. Goal: equal accuracy within run-to-run noise.
"""

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def throughput(train: int, rounds: int) -> dict:
    from imdb_shaped import imdb_overrides, tutorial_fit, write_imdb_npz
    from textsweep.pipeline.buckets import sequence_lengths
    from textsweep.config.compose import compose_config
    from textsweep.pipeline.data import load_dataset
    from textsweep.train import run_training

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        npz = home / "imdb.npz"
        sha = write_imdb_npz(npz, n_train=train, length=None)
        overrides = [f"home={home}", *imdb_overrides(npz, sha), "trainer.epochs=1", "tracking.log_model=false",
                     "trainer.bucketing=true"]
        cfg = compose_config(overrides)
        data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, home / "mlruns" / "cache" / "datasets")
        lengths = sequence_lengths(data.x_train, "pre")
        n = len(data.y_train)
        results = {"tutorial": [], "bucketing": []}
        for _ in range(rounds):
            results["tutorial"].append(n / tutorial_fit(data, 1)[0])
            results["bucketing"].append(n / run_training(compose_config(overrides))["train_time_s"])
    tutorial, bucketing = statistics.mean(results["tutorial"]), statistics.mean(results["bucketing"])
    return {"train_samples": n, "median_length": float(np.median(lengths)), "mean_length": round(float(lengths.mean()), 1),
            "truncated_share": round(float((lengths == 500).mean()), 3),
            "tutorial_samples_per_s": [round(x, 1) for x in results["tutorial"]],
            "bucketing_samples_per_s": [round(x, 1) for x in results["bucketing"]],
            "speedup": round(bucketing / tutorial, 2)}


def accuracy(csv: Path, seeds: list[int], model: str = "lstm", epochs: int = 3) -> dict:
    from textsweep.config.compose import compose_config
    from textsweep.train import run_training

    rows = {"off": [], "on": []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            for mode in rows:  # alternating, so machine noise hits both
                cfg = compose_config([f"home={tmp}", "experiment=rt_snippets", f"model={model}", f"trainer.epochs={epochs}",
                                      f"dataset.path={csv}",
                                      f"seed={seed}", f"trainer.bucketing={mode == 'on'}", "trainer.verbose=0",
                                      "tracking.log_model=false", "tracking.explain_examples=0"])
                m = run_training(cfg)
                rows[mode].append({"seed": seed, "val_accuracy": m["final_val_accuracy"],
                                   "test_accuracy": m["test_accuracy"], "train_time_s": m["train_time_s"]})

    def summary(runs: list[dict]) -> dict:
        out = {"runs": runs}
        for key in ("val_accuracy", "test_accuracy", "train_time_s"):
            values = [r[key] for r in runs]
            out[key] = {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}
        return out

    return {name: summary(runs) for name, runs in rows.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train", type=int, default=25000, help="reviews in the training file (IMDB: 25,000)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--csv", type=Path, help="the real snippets CSV: also compare accuracy over seeds")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--model", default="lstm", help="the model preset of the accuracy comparison")
    p.add_argument("--epochs", type=int, default=3, help="epochs of each accuracy run")
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--json")
    args = p.parse_args()
    out = {}
    if not args.skip_throughput:
        t = out["throughput"] = throughput(args.train, args.rounds)
        print(f"IMDB lengths: {t['train_samples']} training reviews, median {t['median_length']:.0f}, mean "
              f"{t['mean_length']} tokens, {100 * t['truncated_share']:.1f} % truncated at 500\n")
        print("| runner | samples/s (each round) | mean |\n|---|---|---|")
        for name, key in (("tutorial script (pad to 500)", "tutorial"), ("textsweep trainer.bucketing=true", "bucketing")):
            values = t[f"{key}_samples_per_s"]
            print(f"| {name} | {', '.join(f'{x:.0f}' for x in values)} | {statistics.mean(values):.0f} |")
        print(f"\nspeed-up: {t['speedup']:.2f}x (goal >= 1.8x)\n")
    if args.csv:
        a = out["accuracy"] = accuracy(args.csv, [int(s) for s in args.seeds.split(",")], args.model, args.epochs)
        print(f"| rt_snippets, {args.model}, {args.epochs} epochs | val accuracy % | test accuracy % | train time s |\n|---|---|---|---|")
        for name, key in (("bucketing off (tutorial padding)", "off"), ("bucketing on", "on")):
            s = a[key]
            print(f"| {name} | {100 * s['val_accuracy']['mean']:.2f} +- {100 * s['val_accuracy']['std']:.2f} | "
                  f"{100 * s['test_accuracy']['mean']:.2f} +- {100 * s['test_accuracy']['std']:.2f} | "
                  f"{s['train_time_s']['mean']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
