"""dataset=synthetic: seeded, offline review-like texts where word order decides the label.

Each text is one to three clauses joined by "but"; each clause carries one or two sentiment phrases of
the clause's polarity, each a sentiment word or its opposite negated ("not", "never", "hardly",
optionally with an intensifier between: "not very good" is negative). The label is the polarity of the
last clause after negation. A bag of words sees the same words for "good but not great" and "not good
but great", so it cannot solve the task the way a sequence model can: the tutorials' LSTM variants
separate from a bag-of-words baseline here, which is why the quickstart and the tests use it.
"""

import numpy as np

from textsweep.pipeline.datasets import Corpus, DatasetSource

POSITIVE = (
    "good great wonderful excellent calming delightful brilliant lovely superb enjoyable moving charming "
    "beautiful fantastic pleasant touching gripping witty"
).split()
NEGATIVE = (
    "bad awful terrible boring dull poor horrible dreadful weak tedious clumsy disappointing painful ugly "
    "annoying bland messy forgettable"
).split()
NEGATORS = ("not", "never", "hardly")
INTENSIFIERS = ("very", "really", "quite", "truly", "so")
FILLER = (
    "the film movie story plot actor actress scene camera landscape music this that was is it and with a of in "
    "on director ending dialogue cast character script score light sound first second half hour minute screen "
    "picture audience night city house road river sea town family friend year time way part moment show "
    "as for at by from to about through after before while during around over under between who which "
    "seemed felt looked became remained appeared sounded played shot cut edited written told shown made "
    "there here then still also just even again overall somehow perhaps mostly rather fairly largely"
).split()
CLASS_NAMES = ["negative", "positive"]


def _phrase(rng: np.random.Generator, polarity: int) -> list[str]:
    """A sentiment word of the clause's polarity, or its opposite under a negator ("not bad" is positive)."""
    negated = rng.random() < 0.4
    word_polarity = -polarity if negated else polarity
    phrase = [str(rng.choice(POSITIVE if word_polarity > 0 else NEGATIVE))]
    if rng.random() < 0.3:
        phrase.insert(0, str(rng.choice(INTENSIFIERS)))
    if negated:
        phrase.insert(0, str(rng.choice(NEGATORS)))
    return phrase


def _clause(rng: np.random.Generator, polarity: int, n_filler: int) -> list[str]:
    words = [str(w) for w in rng.choice(FILLER, size=n_filler)]
    for _ in range(int(rng.integers(1, 3))):  # one or two sentiment phrases, each placed among the filler
        at = int(rng.integers(0, len(words) + 1))
        words[at:at] = _phrase(rng, polarity)
    return words


def make_texts(num_samples: int, min_words: int, max_words: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, labels = [], np.empty(num_samples, dtype=np.int32)
    for i in range(num_samples):
        label = int(rng.integers(0, 2))
        n_clauses = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        length = int(rng.integers(min_words, max_words + 1))
        filler_per_clause = max(0, (length - 4 * n_clauses) // n_clauses)
        # Earlier clauses have random polarity; only the last one decides the label.
        polarities = [int(rng.choice([-1, 1])) for _ in range(n_clauses - 1)] + [1 if label else -1]
        words: list[str] = []
        for j, polarity in enumerate(polarities):
            if j:
                words.append("but")
            words += _clause(rng, polarity, filler_per_clause)
        texts.append(" ".join(words))
        labels[i] = label
    return texts, labels


def load_synthetic(d, seed: int) -> Corpus:
    texts, labels = make_texts(d.num_samples, d.min_words, d.max_words, seed)
    return Corpus(texts, labels, None, None, list(CLASS_NAMES))


class Synthetic(DatasetSource):
    """dataset=synthetic: generated from dataset.num_samples, min_words, max_words and the split seed."""

    def check(self, d) -> None:
        from textsweep.errors import ConfigError

        for key, least in (("num_samples", 20), ("min_words", 4)):
            if d[key] is None or d[key] < least:
                raise ConfigError(f"dataset.{key}={d[key]!r} must be >= {least}")
        if d.max_words < d.min_words:
            raise ConfigError(f"dataset.max_words={d.max_words} is below dataset.min_words={d.min_words}: raise it")

    def digest(self, d) -> str:
        return "generated"  # the settings in the cache key are all it depends on

    def read(self, d, seed: int) -> Corpus:
        return load_synthetic(d, seed)
