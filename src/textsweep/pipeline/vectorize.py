"""Text to padded id arrays, with the tutorials' semantics (Keras Tokenizer + pad_sequences), no TensorFlow.

Ids: 0 is padding, `oov_id` marks words outside the vocabulary, words follow by descending training
frequency. The vocabulary is built on the training split only. The same Vectorizer is saved with every
logged model, so the model predicts from raw text exactly as it was trained.
"""

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

import numpy as np

# Keras Tokenizer's default filters: punctuation and whitespace become separators; apostrophes stay.
_FILTERS = re.compile(r'[!"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~\t\n\r]')
_HTML_TAG = re.compile(r"<[^>]{0,40}>")  # "<br />" in IMDB reviews

PAD, OOV = "", "[UNK]"


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    if lowercase:
        text = text.lower()
    return _FILTERS.sub(" ", _HTML_TAG.sub(" ", text)).split()


def pad(sequences: Sequence[Sequence[int]], maxlen: int, padding: str = "pre", truncating: str = "pre") -> np.ndarray:
    """keras.utils.pad_sequences for int ids: 'pre' truncation keeps the last maxlen ids."""
    out = np.zeros((len(sequences), maxlen), dtype=np.int32)
    for i, seq in enumerate(sequences):
        if not len(seq):
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        if padding == "pre":
            out[i, maxlen - len(kept):] = kept
        else:
            out[i, : len(kept)] = kept
    return out


@dataclass
class Vectorizer:
    vocab: list[str]  # index = id
    maxlen: int
    padding: str = "pre"
    truncating: str = "pre"
    lowercase: bool = True
    oov_id: int = 1
    start_id: int | None = None  # IMDB marks the start of each review with id 1
    _index: dict = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        self._index = {word: i for i, word in enumerate(self.vocab) if i > 0 and word and not word.startswith("[")}

    @classmethod
    def fit(cls, texts: Iterable[str], max_tokens: int | None, maxlen: int, padding="pre", truncating="pre", lowercase=True):
        """Vocabulary of the max_tokens - 2 most frequent training words (ties: first seen first, as Keras);
        max_tokens=None: every training word (the n-gram bag's vocabulary)."""
        counts = Counter()
        for text in texts:
            counts.update(tokenize(text, lowercase))
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        words = [w for w, _ in (ranked if max_tokens is None else ranked[: max_tokens - 2])]
        return cls([PAD, OOV, *words], maxlen, padding, truncating, lowercase)

    @property
    def size(self) -> int:
        return len(self.vocab)

    @property
    def reads_text(self) -> bool:
        """False for a vocabulary of ids only (IMDB without imdb_word_index.json): raw text cannot be mapped."""
        return bool(self._index)

    def ids(self, text: str) -> list[int]:
        return self.ids_of_words(tokenize(text, self.lowercase))

    def ids_of_words(self, words: Sequence[str]) -> list[int]:
        """The ids of a tokenised text (the start mark first, where the vocabulary has one)."""
        if not self.reads_text:
            raise ValueError("this model's vocabulary has no words (IMDB ids without imdb_word_index.json): it cannot read raw text")
        index, oov = self._index, self.oov_id
        ids = [index.get(w, oov) for w in words]
        return [self.start_id, *ids] if self.start_id is not None else ids

    def decode(self, ids: Sequence[int]) -> str:
        """The words behind padded ids (padding and the start mark dropped; out-of-vocabulary as [UNK])."""
        return " ".join(self.vocab[i] if self.vocab[i] else OOV for i in ids if i > 0 and i != self.start_id and i < len(self.vocab))

    def transform(self, texts: Iterable[str]) -> np.ndarray:
        return pad([self.ids(t) for t in texts], self.maxlen, self.padding, self.truncating)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("_index")
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> "Vectorizer":
        return cls(**json.loads(text))
