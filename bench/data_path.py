"""Data path: first load (read, split, tokenise, pad) vs a cached load of an IMDB-size text dataset.

    python bench/data_path.py [--json out.json]

25,000 review-like texts with IMDB's length distribution (median ~174 words, long tail) in a CSV,
vocabulary 5,000, maxlen 500. Goal: a cached load in <= 1 s.
"""

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def write_reviews(path: Path, n: int = 25000, seed: int = 0) -> None:
    from textsweep.datasets.synthetic import make_texts

    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(174), 0.6, n).astype(int), 10, 2400)  # IMDB-like: median ~174, long tail
    texts, labels = make_texts(n, 8, 40, seed)
    words = " ".join(texts).split()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["review", "sentiment"])
        start = 0
        for length, label in zip(lengths, labels):
            chunk = words[start:start + length] if start + length < len(words) else words[:length]
            start = (start + length) % max(len(words) - 2500, 1)
            w.writerow([" ".join(chunk), "positive" if label else "negative"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json")
    args = p.parse_args()
    from textsweep.compose import compose_config
    from textsweep.data import load_dataset

    with tempfile.TemporaryDirectory() as tmp:
        csv_path, cache = Path(tmp) / "reviews.csv", Path(tmp) / "cache"
        write_reviews(csv_path)
        cfg = compose_config(["dataset=csv", f"dataset.path={csv_path}", "dataset.text_column=review",
                              "dataset.label_column=sentiment", "dataset.max_tokens=5000", "dataset.maxlen=500"])
        t = time.perf_counter()
        first = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache)
        first_s = time.perf_counter() - t
        cached = []
        for _ in range(3):
            t = time.perf_counter()
            again = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache)
            cached.append(time.perf_counter() - t)
        assert again.from_cache and again.fingerprint == first.fingerprint
    result = {"reviews": 25000, "maxlen": 500, "first_load_s": round(first_s, 2), "cached_load_s": round(min(cached), 3),
              "speedup": round(first_s / min(cached), 1)}
    print("| reviews | first load (s) | cached load (s, best of 3) | speed-up |\n|---|---|---|---|")
    print(f"| 25,000 (IMDB lengths, maxlen 500) | {result['first_load_s']} | {result['cached_load_s']} | {result['speedup']}x |")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
