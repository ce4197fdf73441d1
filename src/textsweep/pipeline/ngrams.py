"""The linear baseline's features: a weighted bag of uni- and bigrams of token ids, computed inside the model.

Feature ids: a unigram is its token id; a bigram (trigram) is a hash of the adjacent ids into `buckets`
slots after the vocabulary. Weighting as scikit-learn's TfidfVectorizer defaults: raw counts times the
smoothed idf ln((1 + n) / (1 + df)) + 1, the vector L2-normalised per text ('count' drops the idf,
'binary' counts each n-gram once). The layer returns that vector times one weight matrix (features x
units): followed by the output layer, a linear model over n-grams. The document frequencies come from the
training split and are saved as a weight of the model, so the logged model reads raw text exactly as it
was trained, and it loads with Keras safe_mode (a registered layer, no Lambda).

Repeated n-grams are summed per text by sorting the features of each row and summing runs of equal ids
(segment_sum): exact, and O(L log L) per text where a pairwise comparison would be O(L^2).
"""

import keras
import numpy as np
from keras import ops

DEFAULT_BUCKETS = 2**18  # hashed bigram slots: collisions stay rare below ~100,000 distinct bigrams


def ngram_features(ids, vocab_size: int, ngrams: int, buckets: int, xp=np):
    """(features, valid) for a batch of padded int64 id rows: unigrams, then hashed bigrams (and trigrams).

    `xp` is numpy (document frequencies at build time) or keras.ops (inside the model): one formula, so the
    training statistics and the model's features always agree. Padding (id 0) makes an n-gram invalid."""
    parts, valid = [ids], [ids > 0]
    for n in range(2, ngrams + 1):
        code = ids[:, : -(n - 1)]
        ok = code > 0
        for k in range(1, n):
            following = ids[:, k: k - (n - 1) or None]
            code = code * vocab_size + following
            ok = xp.logical_and(ok, following > 0)
        parts.append(vocab_size + code % buckets)
        valid.append(ok)
    return xp.concatenate(parts, axis=1), xp.concatenate(valid, axis=1)


def document_frequencies(x: np.ndarray, vocab_size: int, ngrams: int, buckets: int) -> np.ndarray:
    """How many training texts hold each feature (each text counted once per feature)."""
    size = vocab_size + (buckets if ngrams > 1 else 0)
    df = np.zeros(size, dtype=np.float64)
    for start in range(0, len(x), 4096):  # bounded memory on long texts
        features, valid = ngram_features(x[start:start + 4096].astype(np.int64), vocab_size, ngrams, buckets)
        features = np.where(valid, features, -1)
        features.sort(axis=1)
        first = np.ones_like(features, dtype=bool)
        first[:, 1:] = features[:, 1:] != features[:, :-1]
        kept = features[first & (features >= 0)]
        df += np.bincount(kept, minlength=size)
    return df


@keras.saving.register_keras_serializable(package="textsweep")
class NgramBag(keras.layers.Layer):
    """Token ids (batch, time) -> (batch, units): the weighted, L2-normalised n-gram vector times a weight matrix."""

    def __init__(self, vocab_size: int, units: int, ngrams: int = 2, weighting: str = "tfidf",
                 buckets: int = DEFAULT_BUCKETS, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.units, self.ngrams = int(vocab_size), int(units), int(ngrams)
        self.weighting, self.buckets = weighting, int(buckets)
        self.num_features = self.vocab_size + (self.buckets if self.ngrams > 1 else 0)
        # zeros: the output layer after it starts random, so the product still learns (no saddle at 0)
        self.kernel = self.add_weight(shape=(self.num_features, self.units), initializer="zeros", name="kernel")
        self.idf = self.add_weight(shape=(self.num_features,), initializer="ones", trainable=False, name="idf")

    @classmethod
    def fitted(cls, x_train: np.ndarray, vocab_size: int, units: int, ngrams: int = 2, weighting: str = "tfidf",
               buckets: int | None = None) -> "NgramBag":
        """A layer whose idf comes from the training split (scikit-learn's smooth_idf formula)."""
        layer = cls(vocab_size, units, ngrams, weighting, buckets or DEFAULT_BUCKETS, name="ngram_bag")
        if weighting == "tfidf":
            df = document_frequencies(x_train, vocab_size, ngrams, layer.buckets)
            layer.idf.assign((np.log((1 + len(x_train)) / (1 + df)) + 1).astype("float32"))
        return layer

    def call(self, ids):
        features, valid = ngram_features(ops.cast(ids, "int64"), self.vocab_size, self.ngrams, self.buckets, xp=ops)
        features = ops.where(valid, features, -1)
        order = ops.argsort(features, axis=1)
        features = ops.take_along_axis(features, order, axis=1)
        valid = features >= 0
        starts = ops.concatenate([ops.ones_like(features[:, :1], dtype="bool"), features[:, 1:] != features[:, :-1]], axis=1)
        index = ops.where(valid, features, 0)
        weight = ops.cast(valid, "float32")
        if self.weighting == "tfidf":
            weight = weight * ops.take(self.idf, index)
        elif self.weighting == "binary":
            weight = weight * ops.cast(starts, "float32")
        # L2 norm of the feature vector: each run of equal features is one feature's value
        rows, width = ops.shape(features)[0], ops.shape(features)[1]
        run = ops.cumsum(ops.cast(starts, "int32"), axis=1) - 1 + ops.expand_dims(ops.arange(rows, dtype="int32") * width, 1)
        values = ops.segment_sum(ops.reshape(weight, (-1,)), ops.reshape(run, (-1,)), num_segments=rows * width)
        norm = ops.sqrt(ops.sum(ops.reshape(ops.square(values), (rows, width)), axis=1, keepdims=True))
        weight = weight / ops.maximum(norm, 1e-12)
        return ops.sum(ops.expand_dims(weight, -1) * ops.take(self.kernel, index, axis=0), axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "units": self.units, "ngrams": self.ngrams,
                "weighting": self.weighting, "buckets": self.buckets}
