"""The data stage: a dataset config in, a TextData (padded id arrays for train/val/test) out, cached on disk.

Validation always comes from the training data (trainer.validation_split); the test split is scored once
at the end. The tutorials' protocol (test as validation) is available only as trainer.validate_on_test.
Cache entries are keyed by a hash of everything that shapes the arrays and checked by SHA-256 on load:
a corrupted entry is rebuilt, never used.

Two views of each text: `x_*`, the neural branch's padded ids (dataset.max_tokens, dataset.maxlen), and `full_*`,
the whole text for the n-gram bag (every training word, up to dataset.ngram_cap tokens: pipeline/ngrams.py),
built only for a model that has the bag (`whole_texts`): on IMDB they would double the memory of a network.
"""

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, OmegaConf

from textsweep.pipeline.datasets import Corpus, sha256_of, source_of
from textsweep.errors import DataError
from textsweep.pipeline.whole_text import cap_from_lengths, pad_whole
from textsweep.pipeline.vectorize import Vectorizer, pad, tokenize

log = logging.getLogger(__name__)
CACHE_FORMAT = 3  # 2: the whole texts for the n-gram bag (full_*); 3: labels compared under NFKC (a cache of before could hold a split class)
ARRAYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")
FULL_ARRAYS = ("full_train", "full_val", "full_test")


@dataclass
class TextData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    vectorizer: Vectorizer
    fingerprint: str  # hash of the arrays: two runs with equal fingerprints saw the same data
    validation_protocol: str  # "holdout" | "test_as_validation"
    from_cache: bool = False
    # the whole texts for the n-gram bag (None unless asked for): ids in full_vectorizer's vocabulary (every
    # training word), each text's first ngram_cap tokens, post-padded; texts_cut: how many texts (all splits)
    # were longer than the cap
    full_train: np.ndarray | None = None
    full_val: np.ndarray | None = None
    full_test: np.ndarray | None = None
    full_vectorizer: Vectorizer | None = None
    ngram_cap: int | None = None
    texts_cut: int | None = None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def vocab_size(self) -> int:
        return self.vectorizer.size


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held out): `fraction` of each class held out, at least one where a class has two."""
    rng = np.random.default_rng(seed)
    kept, held = [], []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n_held = int(round(len(idx) * fraction))
        if len(idx) >= 2:
            n_held = min(max(n_held, 1), len(idx) - 1)
        held.append(idx[:n_held])
        kept.append(idx[n_held:])
    return np.sort(np.concatenate(kept)), np.sort(np.concatenate(held))


def _take(items: list, idx: np.ndarray) -> list:
    return [items[i] for i in idx]


@dataclass
class Splits:
    """The texts (or id sequences) of each split, before vectorisation."""
    train: list
    y_train: np.ndarray
    val: list
    y_val: np.ndarray
    test: list
    y_test: np.ndarray
    protocol: str  # "holdout" | "test_as_validation"


def split_corpus(corpus: Corpus, d: DictConfig, trainer: DictConfig, seed: int) -> Splits:
    """Test split (the source's own, or seeded and stratified), then validation from the training data."""
    train, y_train, test, y_test = corpus.train, corpus.train_labels, corpus.test, corpus.test_labels
    if test is None:
        keep, held = stratified_split(y_train, d.test_split, seed)
        train, y_train, test, y_test = _take(train, keep), y_train[keep], _take(train, held), y_train[held]
    if trainer.validate_on_test:
        return Splits(train, y_train, test, y_test, test, y_test, "test_as_validation")
    keep, held = stratified_split(y_train, trainer.validation_split, seed + 1)
    splits = Splits(_take(train, keep), y_train[keep], _take(train, held), y_train[held], test, y_test, "holdout")
    check_splits(splits, corpus.class_names)
    return splits


MIN_PER_CLASS = {"training": 10, "validation": 2, "test": 1}  # below these a split cannot teach or measure a class


def check_splits(splits: Splits, class_names: list[str]) -> None:
    """Before any training: enough rows of every class in every split. A class with one or two rows leaves the
    validation or test split without it (or empty), and the run would fail, or score it silently, only after
    training; a training split of a few rows a class (`dataset.test_split=0.9995`) would train and report a
    number that means nothing."""
    named = (("training", splits.y_train), ("validation", splits.y_val), ("test", splits.y_test))
    counted = [(split, labels, np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(class_names)))
               for split, labels in named]
    shown = "; ".join(f"{split} " + ", ".join(f"{class_names[i]} {int(n)}" for i, n in enumerate(counts[:5]))
                      for split, _, counts in counted)
    for split, _, counts in counted:
        absent = [class_names[i] for i, n in enumerate(counts) if n == 0]
        if absent:
            raise DataError(f"too few rows to split: class(es) {', '.join(map(repr, absent[:5]))} have no row in the {split} "
                            "split (each class needs at least 10 rows to train, 2 to validate and 1 to test): add rows, or remove the "
                            f"rare classes (rows per class: {shown})")
    for split, labels, counts in counted:
        low = [(class_names[i], int(n)) for i, n in enumerate(counts) if n < MIN_PER_CLASS[split]]
        if low:
            named = ", ".join(f"{name!r}: {n}" for name, n in low[:5])
            raise DataError(f"the {split} split is too small to learn from: {named} row(s), at least {MIN_PER_CLASS[split]} "
                            f"a class needed (rows per class: {shown}): add rows, or lower dataset.test_split / "
                            "trainer.validation_split")


def build_text_data(d: DictConfig, trainer: DictConfig, seed: int, whole_texts: bool = False) -> TextData:
    corpus = source_of(d).read(d, seed)
    splits = split_corpus(corpus, d, trainer, seed)
    train, y_train, val, y_val, test, y_test = (splits.train, splits.y_train, splits.val, splits.y_val, splits.test,
                                                splits.y_test)
    protocol = splits.protocol

    if d.maxlen is None:  # follows the data
        lengths = [len(tokenize(t, d.lowercase)) for t in train] if corpus.vectorizer is None else [len(s) for s in train]
        maxlen = maxlen_from_lengths(np.asarray(lengths))
    else:
        maxlen = d.maxlen
    if corpus.vectorizer is None:  # raw texts: vocabulary from the training split only
        vectorizer = Vectorizer.fit(train, d.max_tokens, maxlen, d.padding, d.truncating, d.lowercase)
        check_words(vectorizer, d)
        to_array = vectorizer.transform
    else:  # pre-tokenised ids
        vectorizer = dataclasses.replace(corpus.vectorizer, maxlen=maxlen)
        to_array = lambda seqs: pad(seqs, maxlen, d.padding, d.truncating)  # noqa: E731
    arrays = dict(
        x_train=to_array(train), y_train=y_train, x_val=to_array(val), y_val=y_val, x_test=to_array(test), y_test=y_test,
    )
    if corpus.vectorizer is None:
        warn_if_unsegmented(arrays["x_train"], d)
    data = TextData(**arrays, class_names=corpus.class_names, vectorizer=vectorizer,
                    fingerprint=fingerprint(arrays), validation_protocol=protocol)
    return with_whole_texts(data, d, corpus, (train, val, test)) if whole_texts else data


TOKENISER = "lower-cased, HTML tags and punctuation dropped, split at spaces"


def _texts_of(d: DictConfig) -> str:
    # text_column is a key of every dataset (one schema), but only a CSV has columns
    reads_columns = str(d.get("_target_", "")).endswith("CsvFile")
    return f"dataset.text_column={d.text_column!r}" if reads_columns else f"the texts of dataset={d.name}"


def check_words(vectorizer: Vectorizer, d: DictConfig) -> None:
    """A vocabulary of the reserved ids alone (texts of punctuation, numbers lost to a wrong column) would train a
    model that sees nothing and fail later on raw text: one line now."""
    if len(vectorizer.vocab) <= 2:  # "" (padding) and "[UNK]"
        raise DataError(f"the training texts hold no word once tokenised ({TOKENISER}): check that {_texts_of(d)} "
                        "holds the texts")


def warn_if_unsegmented(x_train: np.ndarray, d: DictConfig) -> None:
    """Text written without spaces between words (Chinese, Japanese, Thai) tokenises to one token a sentence: the
    model can only memorise whole texts. It trains, with a warning that says how to segment."""
    if len(x_train) and np.median((np.asarray(x_train) != 0).sum(axis=1)) <= 1:
        log.warning("most training texts are a single token (%s; %s): for a language written without spaces, "
                    "segment the words first (e.g. with jieba or fugashi) and separate them with spaces", TOKENISER, _texts_of(d))


MAXLEN_PERCENTILE, MAXLEN_MULTIPLE, MAXLEN_RANGE = 95, 8, (16, 1000)


def maxlen_from_lengths(lengths: np.ndarray) -> int:
    """dataset.maxlen=null: the 95th percentile of the training texts' lengths in words, rounded up to a multiple
    of 8, within 16 to 1,000. It keeps nearly every word of 95 % of the texts without padding the rest to the
    longest one; the upper bound keeps a recurrent layer's steps affordable on a CPU (the n-gram bag and the
    linear model read whole texts regardless: dataset.ngram_cap)."""
    p = float(np.percentile(lengths, MAXLEN_PERCENTILE)) if len(lengths) else 0.0
    rounded = MAXLEN_MULTIPLE * int(np.ceil(p / MAXLEN_MULTIPLE))
    return int(min(max(rounded, MAXLEN_RANGE[0]), MAXLEN_RANGE[1]))


def with_whole_texts(data: TextData, d: DictConfig, corpus: Corpus, splits: tuple) -> TextData:
    """The n-gram bag's view: every token of each text (up to the cap) in a vocabulary of every training word."""
    if corpus.vectorizer is None:  # raw texts
        full_vectorizer = Vectorizer.fit(splits[0], None, 0, "post", "post", d.lowercase)
        ids = [[full_vectorizer.ids(t) for t in split] for split in splits]
    else:  # pre-tokenised ids: the source's own vocabulary
        full_vectorizer, ids = corpus.vectorizer, list(splits)
    cap = cap_from_lengths(np.array([len(seq) for seq in ids[0]]), d.ngram_cap)
    full, cut = zip(*(pad_whole(split, cap) for split in ids))
    return dataclasses.replace(data, full_train=full[0], full_val=full[1], full_test=full[2], ngram_cap=cap, texts_cut=sum(cut),
                               full_vectorizer=dataclasses.replace(full_vectorizer, maxlen=cap, padding="post", truncating="post"))


def fingerprint(arrays: dict) -> str:
    digest = hashlib.sha256()
    for name in ARRAYS:
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()[:16]


def cache_key(d: DictConfig, trainer: DictConfig, seed: int, whole_texts: bool = False) -> str:
    spec = {
        "whole_texts": whole_texts,
        "format": CACHE_FORMAT,
        "dataset": OmegaConf.to_container(d, resolve=True),
        "source": source_of(d).digest(d),
        "seed": seed,
        "validation_split": trainer.validation_split,
        "validate_on_test": trainer.validate_on_test,
    }
    spec["dataset"].pop("download", None)
    spec["dataset"].pop("split_seed", None)  # `seed` above is the split's seed already
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _write_atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def save_cache(data: TextData, folder: Path, key: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    npz = folder / f"{key}.npz"
    _write_atomic(npz, lambda tmp: _savez(tmp, data))
    meta = {
        "sha256": sha256_of(npz),
        "class_names": data.class_names,
        "vectorizer": data.vectorizer.to_json(),
        "full_vectorizer": data.full_vectorizer.to_json() if data.full_vectorizer else None,
        "ngram_cap": data.ngram_cap,
        "texts_cut": data.texts_cut,
        "fingerprint": data.fingerprint,
        "validation_protocol": data.validation_protocol,
    }
    meta["checksum"] = _meta_checksum(meta)
    _write_atomic(folder / f"{key}.json", lambda tmp: Path(tmp).write_text(json.dumps(meta)))


def _meta_checksum(meta: dict) -> str:
    """The sidecar's own SHA-256 (of every field but this one, the arrays' checksum included): swapped class
    names would silently invert the labels, and an extra or missing field is no entry textsweep wrote."""
    body = {k: v for k, v in meta.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _savez(tmp: str, data: TextData) -> None:
    with open(tmp, "wb") as f:
        np.savez(f, **{name: getattr(data, name) for name in ARRAYS + FULL_ARRAYS if getattr(data, name) is not None})


SIDECAR_FIELDS = {"sha256", "class_names", "vectorizer", "full_vectorizer", "ngram_cap", "texts_cut", "fingerprint",
                  "validation_protocol", "checksum"}


def load_cache(folder: Path, key: str) -> TextData | None:
    npz, meta_path = folder / f"{key}.npz", folder / f"{key}.json"
    if not (npz.is_file() and meta_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text())
        if not isinstance(meta, dict) or meta.get("checksum") != _meta_checksum(meta) or set(meta) != SIDECAR_FIELDS:
            log.warning("dataset cache %s has a sidecar that failed its checksum: rebuilding it", meta_path)
            return None
        if sha256_of(npz) != meta["sha256"]:
            log.warning("dataset cache %s failed its checksum: rebuilding it", npz)
            return None
        with np.load(npz, allow_pickle=False) as f:
            arrays = {name: f[name] for name in ARRAYS + FULL_ARRAYS if name in f.files}
        full = meta["full_vectorizer"]
        return TextData(**arrays, class_names=meta["class_names"], vectorizer=Vectorizer.from_json(meta["vectorizer"]),
                        fingerprint=meta["fingerprint"], validation_protocol=meta["validation_protocol"],
                        full_vectorizer=Vectorizer.from_json(full) if full else None, ngram_cap=meta["ngram_cap"],
                        texts_cut=meta["texts_cut"], from_cache=True)
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("dataset cache %s is unreadable (%s): rebuilding it", npz, e)
        return None


def load_dataset(d: DictConfig, trainer: DictConfig, seed: int, cache_dir: Path | None, whole_texts: bool = False) -> TextData:
    """The dataset of a run: from the cache when an intact entry exists, else built and cached.
    whole_texts: also the n-gram bag's view of each text (TextData.full_*), for a model that has the bag."""
    if cache_dir is None:
        return build_text_data(d, trainer, seed, whole_texts)
    key = cache_key(d, trainer, seed, whole_texts)
    data = load_cache(cache_dir, key)
    if data is None:
        data = build_text_data(d, trainer, seed, whole_texts)
        try:
            save_cache(data, cache_dir, key)
        except OSError as e:
            log.warning("could not write the dataset cache in %s (%s): continuing without it", cache_dir, e)
    return data
