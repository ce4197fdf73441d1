"""Data path: first load (read, split, tokenise, pad) vs a cached load of IMDB-size datasets.

    python bench/data_path.py [--json out.json]

25,000 review-like texts with IMDB's length distribution (median ~174 words, long tail) in a CSV, and
an imdb.npz (Keras format) of 25,000 + 25,000 reviews of the same lengths; vocabulary 5,000, maxlen 500.
Goal: a cached load in <= 1 s.
"""

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def write_reviews(path: Path, n: int = 25000, seed: int = 0) -> None:
    from imdb_shaped import imdb_lengths
    from textsweep.pipeline.datasets.synthetic import make_texts

    lengths = imdb_lengths(n, seed)
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


def first_and_cached(overrides: list[str], cache: Path) -> tuple[float, float]:
    """Seconds for the first load (tokenise or encode, pad, write the cache) and the best of 3 cached loads."""
    from textsweep.config.compose import compose_config
    from textsweep.pipeline.data import load_dataset

    cfg = compose_config(overrides)
    t = time.perf_counter()
    first = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache)
    first_s = time.perf_counter() - t
    cached = []
    for _ in range(3):
        t = time.perf_counter()
        again = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache)
        cached.append(time.perf_counter() - t)
    assert again.from_cache and again.fingerprint == first.fingerprint
    return first_s, min(cached)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reviews", type=int, default=25000, help="per split (IMDB: 25,000)")
    p.add_argument("--json")
    args = p.parse_args()
    from imdb_shaped import imdb_overrides, write_imdb_npz

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, npz = Path(tmp) / "reviews.csv", Path(tmp) / "imdb.npz"
        write_reviews(csv_path, args.reviews)
        first, cached = first_and_cached(["dataset=csv", f"dataset.path={csv_path}", "dataset.text_column=review",
                                          "dataset.label_column=sentiment", "dataset.max_tokens=5000", "dataset.maxlen=500"],
                                         Path(tmp) / "cache")
        rows.append({"source": f"CSV of {args.reviews:,} review texts (tokenise)", "first_load_s": first, "cached_load_s": cached})
        sha = write_imdb_npz(npz, n_train=args.reviews, n_test=args.reviews, length=None)
        first, cached = first_and_cached([f"home={tmp}", *imdb_overrides(npz, sha)], Path(tmp) / "cache")
        rows.append({"source": f"imdb.npz, {args.reviews:,} + {args.reviews:,} reviews (word ranks)", "first_load_s": first, "cached_load_s": cached})
    print("| source (IMDB lengths, maxlen 500) | first load (s) | cached load (s, best of 3) | speed-up |\n|---|---|---|---|")
    for row in rows:
        row["speedup"] = row["first_load_s"] / row["cached_load_s"]
        print(f"| {row['source']} | {row['first_load_s']:.2f} | {row['cached_load_s']:.3f} | {row['speedup']:.1f}x |")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows}, indent=2))


if __name__ == "__main__":
    main()
