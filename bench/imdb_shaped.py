"""IMDB-shaped data for benchmarks: the full IMDB file cannot be downloaded here, and the compute only
depends on the shapes (25,000 reviews x 500 token ids, vocabulary 5,000), which these reproduce."""

import hashlib
from pathlib import Path

import numpy as np


def write_imdb_npz(path: Path, n_train: int = 25000, n_test: int = 1000, length: int = 499, seed: int = 0) -> str:
    """An imdb.npz (Keras format: ragged object arrays of word ranks) whose reviews fill maxlen=500 exactly
    (499 words + the start mark), so padded arrays are the tutorial's 25,000 x 500. Returns its SHA-256."""
    rng = np.random.default_rng(seed)

    def reviews(n):
        arr = np.empty(n, dtype=object)
        arr[:] = [list(rng.integers(1, 4996, size=length)) for _ in range(n)]
        return arr

    np.savez(path, x_train=reviews(n_train), y_train=rng.integers(0, 2, n_train),
             x_test=reviews(n_test), y_test=rng.integers(0, 2, n_test))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def imdb_overrides(path: Path, sha: str) -> list[str]:
    """The tutorial's settings on that file (textsweep overrides)."""
    return ["experiment=imdb_article", "model=lstm", f"dataset.path={path}", f"dataset.sha256={sha}",
            "trainer.verbose=0", "tracking.explain_examples=0"]
