"""Length bucketing (trainer.bucketing=true): batches of similar-length texts, each padded only to its bucket.

The tutorial pads every review to maxlen (500), so an LSTM steps through hundreds of padding ids for a
median review of ~174 words. Here a batch is drawn from one bucket and cut to that bucket's length: the
last L columns of the padded arrays when padding is 'pre' (the words sit at the end), the first L when
'post'. The cached arrays and the tutorial's truncation at maxlen are unchanged. Bucket lengths are a
small fixed set (quantiles of the training lengths, rounded up to a multiple of 8, plus maxlen), so
shapes repeat and nothing is retraced per batch; the same lengths are used for validation, test and
the logged model's predictions, so a model always sees the padding it was trained with.
"""

from dataclasses import dataclass

import numpy as np

from textsweep.pipeline.whole_text import MIN_WIDTH

ROUND_TO = 8  # bucket lengths are multiples of this (up to maxlen)


def bucketing_on(setting: bool | None, blocks: list[dict], in_sweep: bool) -> bool:
    """trainer.bucketing, resolved. Unset, it is on in sweeps, like early stopping: a sweep's trials need not
    reproduce the tutorials' padding, and shorter batches buy more trials in the same time. It stays off where it
    cannot work or saves nothing: a flatten block (its output size is the padded length) and the n-gram bag
    alone (no token sequence: it reads whole texts). Set, it is the user's choice (true with a flatten block fails
    validation), except for the n-gram bag alone, never bucketed."""
    if setting is not None:
        return setting
    types = {block["type"] for block in blocks}
    if blocks[0]["type"] == "ngram_bag":  # the bag alone reads whole texts: it has no token sequence to bucket
        return False
    return in_sweep and "flatten" not in types


def sequence_lengths(x: np.ndarray, padding: str) -> np.ndarray:
    """Words per row of a padded id array (id 0 is padding; 'pre' padding puts the words at the end)."""
    present = x != 0
    width = x.shape[1]
    if padding == "pre":
        first = np.argmax(present, axis=1)
        return np.where(present.any(axis=1), width - first, 0)
    last = width - np.argmax(present[:, ::-1], axis=1)
    return np.where(present.any(axis=1), last, 0)


def trim(x: np.ndarray, length: int, padding: str) -> np.ndarray:
    """Rows cut to `length` columns, keeping the words: a bucket's batch."""
    return x[:, x.shape[1] - length:] if padding == "pre" else x[:, :length]


def batch_inputs(x: np.ndarray, full: np.ndarray | None, idx: np.ndarray, length: int, padding: str):
    """A batch's model input: its token ids cut to the bucket's length, and with a wide & deep model the whole
    texts' ids (post-padded) cut to the batch's longest text."""
    tokens = trim(x[idx], length, padding)
    if full is None:
        return tokens
    rows = full[idx]
    longest = int(np.max(sequence_lengths(rows, "post"), initial=0))
    return {"token_ids": tokens, "full_ids": rows[:, :max(longest, MIN_WIDTH)]}


@dataclass(frozen=True)
class Buckets:
    lengths: tuple[int, ...]  # ascending; the last is maxlen, so every row fits one
    padding: str

    @classmethod
    def from_lengths(cls, lengths: np.ndarray, maxlen: int, count: int, min_length: int, padding: str) -> "Buckets":
        """`count` buckets at quantiles of the training lengths (then maxlen); none shorter than min_length,
        the shortest input the model's convs and pools accept."""
        quantiles = np.quantile(lengths, np.arange(1, count + 1) / count) if len(lengths) else np.array([maxlen])
        rounded = {min(maxlen, max(min_length, int(-(-q // ROUND_TO) * ROUND_TO))) for q in quantiles}
        return cls(tuple(sorted(rounded | {maxlen})), padding)

    def assign(self, x: np.ndarray) -> np.ndarray:
        """Bucket index of each row: the shortest bucket that holds all its words."""
        return np.searchsorted(np.asarray(self.lengths), sequence_lengths(x, self.padding))

    def groups(self, x: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """(bucket length, row indices) for each non-empty bucket, rows in their original order."""
        bucket = self.assign(x)
        return [(length, np.flatnonzero(bucket == b)) for b, length in enumerate(self.lengths) if (bucket == b).any()]

    def batches(self, x: np.ndarray, batch_size: int, rng: np.random.Generator | None) -> list[tuple[int, np.ndarray]]:
        """One epoch's batches as (length, row indices). With rng: rows shuffled within buckets and batches
        shuffled across them (Keras fit's shuffle=True, bucket-wise); without: in order, for evaluation."""
        plan = []
        for length, idx in self.groups(x):
            if rng is not None:
                idx = rng.permutation(idx)
            plan += [(length, idx[i:i + batch_size]) for i in range(0, len(idx), batch_size)]
        if rng is not None:
            plan = [plan[i] for i in rng.permutation(len(plan))]
        return plan

    def dataset(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None = None, full: np.ndarray | None = None):
        """A tf.data.Dataset of (ids, labels) batches with a variable time dimension, for Keras fit/evaluate.
        seed=None: no shuffling. Each pass over it (each epoch) reshuffles from one seeded generator.
        full: the whole texts' ids, for a model with an n-gram bag beside its network (both inputs by name)."""
        import tensorflow as tf

        rng = np.random.default_rng(seed) if seed is not None else None
        steps = len(self.batches(x, batch_size, None))

        def generate():
            for length, idx in self.batches(x, batch_size, rng):
                yield batch_inputs(x, full, idx, length, self.padding), y[idx]

        ids = tf.TensorSpec((None, None), tf.as_dtype(x.dtype))
        if full is not None:
            ids = {"token_ids": ids, "full_ids": tf.TensorSpec((None, None), tf.as_dtype(full.dtype))}
        signature = (ids, tf.TensorSpec((None, *y.shape[1:]), tf.as_dtype(y.dtype)))
        data = tf.data.Dataset.from_generator(generate, output_signature=signature)
        # the batch count is known: Keras shows progress and sizes epochs from it; prefetch overlaps the
        # slicing with the model's step
        return data.apply(tf.data.experimental.assert_cardinality(steps)).prefetch(2)

    def predict(self, model, x: np.ndarray, batch_size: int = 256, full: np.ndarray | None = None) -> np.ndarray:
        """model.predict bucket by bucket, rows back in their original order (full: as in `dataset`)."""
        out = None
        for length, idx in self.groups(x):
            raw = np.asarray(model.predict(batch_inputs(x, full, idx, length, self.padding), batch_size=batch_size, verbose=0))
            if out is None:
                out = np.empty((len(x), *raw.shape[1:]), dtype=raw.dtype)
            out[idx] = raw
        return out if out is not None else np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
