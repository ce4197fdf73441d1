"""IMDB-shaped data and the tutorial's plain Keras script, shared by the benchmarks.

The full IMDB file cannot be downloaded here, and the compute only depends on the shapes (25,000 reviews,
vocabulary 5,000, maxlen 500) and, with bucketing, on the review lengths, which these reproduce.
"""

import hashlib
import time
from pathlib import Path

import numpy as np


def imdb_lengths(n: int, seed: int = 0) -> np.ndarray:
    """Words per review as in IMDB's training set: median ~174, mean ~235, long tail (a few over 1,000)."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.lognormal(np.log(174), 0.75, n).astype(int), 10, 2500)


def write_imdb_npz(path: Path, n_train: int = 25000, n_test: int = 1000, length: int | None = 499, seed: int = 0) -> str:
    """An imdb.npz (Keras format: ragged object arrays of word ranks). length=499: every review fills
    maxlen=500 exactly (499 words + the start mark), the tutorial's 25,000 x 500 of compute; length=None:
    IMDB's length distribution (imdb_lengths), truncated at maxlen when loaded. Returns its SHA-256."""
    rng = np.random.default_rng(seed)

    def reviews(n):
        sizes = np.full(n, length) if length is not None else imdb_lengths(n, int(rng.integers(1 << 30)))
        arr = np.empty(n, dtype=object)
        arr[:] = [list(rng.integers(1, 4996, size=size)) for size in sizes]
        return arr

    np.savez(path, x_train=reviews(n_train), y_train=rng.integers(0, 2, n_train),
             x_test=reviews(n_test), y_test=rng.integers(0, 2, n_test))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def imdb_overrides(path: Path, sha: str) -> list[str]:
    """The tutorial's settings on that file (textsweep overrides)."""
    return ["experiment=imdb_article", "model=lstm", f"dataset.path={path}", f"dataset.sha256={sha}",
            "trainer.verbose=0", "tracking.explain_examples=0"]


def tutorial_model(vocab_size: int, maxlen: int):
    """The tutorial's model, compiled: Embedding(vocab, 32) -> LSTM(100) -> Dense(1, sigmoid), adam."""
    import keras

    model = keras.Sequential([keras.Input((maxlen,)), keras.layers.Embedding(vocab_size, 32), keras.layers.LSTM(100),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def tutorial_fit(data, epochs: int, seed: int = 42, batch_size: int = 64) -> tuple[float, dict]:
    """The tutorial script on the padded arrays, with the validation split scored each epoch.
    Returns (fit seconds, history)."""
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = tutorial_model(data.vocab_size, data.x_train.shape[1])
    t = time.perf_counter()
    history = model.fit(data.x_train, data.y_train, validation_data=(data.x_val, data.y_val), epochs=epochs,
                        batch_size=batch_size, verbose=0)
    return time.perf_counter() - t, history.history
