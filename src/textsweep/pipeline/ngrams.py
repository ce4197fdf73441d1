"""The n-gram bag: a TF-IDF weighted bag of uni- and bigrams over every token of a text, computed inside the model.

Its input is the whole text as word ids (TextData.full_*, the model input `full_ids`): every training word has
an id there (no dataset.max_tokens cap), 0 is padding and 1 a word unseen in training, ignored as scikit-learn
ignores it. dataset.maxlen, the neural branch's length, does not cut it; dataset.ngram_cap bounds it for memory.

Features: a unigram is its word id; a bigram (trigram) is looked up among the training split's own bigrams
(trigrams), kept in the layer as sorted codes id1 * V + id2 (non-trainable int64 weights), so an n-gram never
seen in training is ignored: scikit-learn's TfidfVectorizer(ngram_range=(1, n)) vocabulary, all of it.
Weighting as TfidfVectorizer: tf = the count, or 1 + ln(count) with sublinear_tf; times the smoothed idf
ln((1 + n) / (1 + df)) + 1 ('count' drops the idf, 'binary' sets tf to 1); the vector is L2-normalised per
text, and is the zero vector for a text with no known n-gram (never NaN). The layer returns that vector times
one weight matrix. The vocabulary and the idf are weights of the model, so the logged model reads raw text
exactly as it was trained and loads with Keras safe_mode (a registered layer, no Lambda, nothing pickled).

`tfidf_matrix` computes the same vectors as a SciPy sparse matrix, for the linear fit (pipeline/linear.py)
and the document frequencies; `feature_ids` is the one formula both use (numpy, or keras.ops in the layer).
"""

import keras
import numpy as np
from keras import ops

FIRST_WORD_ID = 2  # ids 0 (padding) and 1 (a word unseen in training) are no feature


def ngram_codes(ids, vocab_size: int, n: int, xp=np):
    """(codes, valid) of the order-n n-grams of each row: the ids combined in base vocab_size."""
    code = ids[:, : -(n - 1) or None]
    ok = code >= FIRST_WORD_ID
    for k in range(1, n):
        following = ids[:, k: k - (n - 1) or None]
        code = code * vocab_size + following
        ok = xp.logical_and(ok, following >= FIRST_WORD_ID)
    return code, ok


def known_ngrams(ids: np.ndarray, vocab_size: int, ngrams: int) -> list[np.ndarray]:
    """The sorted codes of the bigrams (trigrams) the training texts hold: the bag's vocabulary beyond words."""
    if vocab_size ** ngrams >= 2**63:
        raise ValueError(f"a vocabulary of {vocab_size} words is too large for {ngrams}-gram codes in 64 bits")
    return [np.unique(np.concatenate([c[ok] for c, ok in _chunks(ids, vocab_size, n)] or [np.zeros(0, np.int64)]))
            for n in range(2, ngrams + 1)]


def _chunks(ids: np.ndarray, vocab_size: int, n: int, rows: int = 4096):
    for start in range(0, len(ids), rows):
        yield ngram_codes(ids[start:start + rows].astype(np.int64), vocab_size, n)


def feature_ids(ids, vocab_size: int, known: list, xp=np):
    """(features, valid) for a batch of int64 id rows: unigrams (the word ids), then each known order's n-grams
    (offset + their index among that order's codes). `xp` is numpy (the sparse matrix) or keras.ops (the
    layer): one formula, so the linear fit and the logged model compute the same features."""
    parts, valid, offset = [ids], [ids >= FIRST_WORD_ID], vocab_size
    for n, codes in enumerate(known, start=2):
        size = int(codes.shape[0])
        if size == 0:  # no text of the training split has a known n-gram of this order
            continue
        code, ok = ngram_codes(ids, vocab_size, n, xp)
        at = xp.minimum(xp.reshape(xp.searchsorted(codes, xp.reshape(code, (-1,))), xp.shape(code)), size - 1)
        parts.append(offset + at)
        valid.append(xp.logical_and(ok, xp.take(codes, at) == code))
        offset += size
    return xp.concatenate(parts, axis=1), xp.concatenate(valid, axis=1)


def feature_count(vocab_size: int, known: list) -> int:
    return vocab_size + sum(int(codes.shape[0]) for codes in known)


def count_matrix(ids: np.ndarray, vocab_size: int, known: list):
    """(texts, features) SciPy CSR matrix of raw n-gram counts."""
    from scipy import sparse

    size, blocks = feature_count(vocab_size, known), []
    for start in range(0, max(len(ids), 1), 2048):  # bounded memory on long texts
        chunk = ids[start:start + 2048].astype(np.int64)
        features, valid = feature_ids(chunk, vocab_size, known)
        rows = np.broadcast_to(np.arange(len(chunk))[:, None], features.shape)[valid]
        block = sparse.csr_matrix((np.ones(rows.size), (rows, features[valid])), shape=(len(chunk), size))
        block.sum_duplicates()
        blocks.append(block)
    return sparse.vstack(blocks, format="csr")


def smoothed_idf(counts, n_texts: int) -> np.ndarray:
    """scikit-learn's smooth idf from a count matrix: ln((1 + n) / (1 + df)) + 1."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1 + n_texts) / (1 + df)) + 1


def tfidf_matrix(counts, idf: np.ndarray | None, weighting: str = "tfidf", sublinear_tf: bool = True):
    """The layer's feature vectors, as a sparse matrix: tf (raw, 1 + ln, or 1), times idf, L2-normalised rows."""
    from scipy import sparse

    m = counts.astype(np.float64, copy=True)
    if weighting == "binary":
        m.data[:] = 1.0
    elif sublinear_tf:
        m.data = 1.0 + np.log(m.data)
    if weighting == "tfidf":
        m.data *= idf[m.indices]
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ m


@keras.saving.register_keras_serializable(package="textsweep")
class NgramVector(keras.layers.Layer):
    """Whole-text word ids (batch, time) -> (batch, units): the weighted, L2-normalised n-gram vector times a matrix."""

    def __init__(self, vocab_size: int, units: int, ngrams: int = 2, weighting: str = "tfidf", sublinear_tf: bool = True,
                 known_sizes: tuple = (), **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.units, self.ngrams = int(vocab_size), int(units), int(ngrams)
        self.weighting, self.sublinear_tf, self.known_sizes = weighting, bool(sublinear_tf), [int(s) for s in known_sizes]
        self.known = [self.add_weight(shape=(size,), dtype="int64", initializer="zeros", trainable=False, name=f"known_{n}grams")
                      for n, size in enumerate(self.known_sizes, start=2)]
        self.num_features = self.vocab_size + sum(self.known_sizes)
        # zeros: the output layer after it starts random, so the product still learns (no saddle at 0)
        self.kernel = self.add_weight(shape=(self.num_features, self.units), initializer="zeros", name="kernel")
        self.idf = self.add_weight(shape=(self.num_features,), initializer="ones", trainable=False, name="idf")

    @classmethod
    def fitted(cls, full_train: np.ndarray, vocab_size: int, units: int, ngrams: int = 2, weighting: str = "tfidf",
               sublinear_tf: bool = True, name: str = "ngram_bag") -> "NgramVector":
        """A layer whose n-gram vocabulary and idf come from the training split's whole texts."""
        known = known_ngrams(full_train, vocab_size, ngrams)
        layer = cls(vocab_size, units, ngrams, weighting, sublinear_tf, [len(k) for k in known], name=name)
        for weight, codes in zip(layer.known, known):
            weight.assign(codes)
        if weighting == "tfidf":
            layer.idf.assign(smoothed_idf(count_matrix(full_train, vocab_size, known), len(full_train)).astype("float32"))
        return layer

    def known_codes(self) -> list[np.ndarray]:
        return [np.asarray(weight.numpy()) for weight in self.known]

    def call(self, ids):
        features, valid = feature_ids(ops.cast(ids, "int64"), self.vocab_size, self.known, xp=ops)
        features = ops.sort(ops.where(valid, features, -1), axis=1)  # equal features side by side, invalid first
        valid = features >= 0
        starts = ops.concatenate([ops.ones_like(features[:, :1], dtype="bool"), features[:, 1:] != features[:, :-1]], axis=1)
        rows, width = ops.shape(features)[0], ops.shape(features)[1]
        # each run of equal features is one feature of the text: its count is the run's length
        run = ops.cumsum(ops.cast(starts, "int32"), axis=1) - 1 + ops.expand_dims(ops.arange(rows, dtype="int32") * width, 1)
        run = ops.reshape(run, (-1,))
        per_run = ops.segment_sum(ops.reshape(ops.cast(valid, "float32"), (-1,)), run, num_segments=rows * width)
        count = ops.reshape(ops.take(per_run, run), (rows, width))
        if self.weighting == "binary":
            tf = ops.ones_like(count)
        elif self.sublinear_tf:
            tf = 1.0 + ops.log(ops.maximum(count, 1.0))
        else:
            tf = count
        index = ops.where(valid, features, 0)
        value = ops.where(ops.logical_and(starts, valid), tf, 0.0)  # one value per feature, at its run's start
        if self.weighting == "tfidf":
            value = value * ops.take(self.idf, index)
        norm = ops.sqrt(ops.sum(ops.square(value), axis=1, keepdims=True))
        value = value / ops.maximum(norm, 1e-12)
        return ops.sum(ops.expand_dims(value, -1) * ops.take(self.kernel, index, axis=0), axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "units": self.units, "ngrams": self.ngrams,
                "weighting": self.weighting, "sublinear_tf": self.sublinear_tf, "known_sizes": self.known_sizes}


@keras.saving.register_keras_serializable(package="textsweep")
class NgramBag(keras.layers.Layer):
    """Models logged before the bag read whole texts (2026-12-07) hold this layer: hashed uni+bigrams of the padded
    token ids (the last dataset.maxlen). Kept so that those models still load and predict; new models use
    NgramVector."""

    def __init__(self, vocab_size: int, units: int, ngrams: int = 2, weighting: str = "tfidf", buckets: int = 2**18, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.units, self.ngrams = int(vocab_size), int(units), int(ngrams)
        self.weighting, self.buckets = weighting, int(buckets)
        self.num_features = self.vocab_size + (self.buckets if self.ngrams > 1 else 0)
        self.kernel = self.add_weight(shape=(self.num_features, self.units), initializer="zeros", name="kernel")
        self.idf = self.add_weight(shape=(self.num_features,), initializer="ones", trainable=False, name="idf")

    def call(self, ids):
        ids = ops.cast(ids, "int64")
        parts, valid = [ids], [ids > 0]
        for n in range(2, self.ngrams + 1):
            code, ok = ids[:, : -(n - 1)], ids[:, : -(n - 1)] > 0
            for k in range(1, n):
                following = ids[:, k: k - (n - 1) or None]
                code, ok = code * self.vocab_size + following, ops.logical_and(ok, following > 0)
            parts.append(self.vocab_size + code % self.buckets)
            valid.append(ok)
        features = ops.where(ops.concatenate(valid, axis=1), ops.concatenate(parts, axis=1), -1)
        features = ops.sort(features, axis=1)
        valid = features >= 0
        starts = ops.concatenate([ops.ones_like(features[:, :1], dtype="bool"), features[:, 1:] != features[:, :-1]], axis=1)
        index = ops.where(valid, features, 0)
        weight = ops.cast(valid, "float32")
        if self.weighting == "tfidf":
            weight = weight * ops.take(self.idf, index)
        elif self.weighting == "binary":
            weight = weight * ops.cast(starts, "float32")
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
