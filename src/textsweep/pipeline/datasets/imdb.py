"""dataset=imdb: the Keras IMDB file (imdb.npz) with keras.datasets.imdb semantics.

Reviews are id sequences: id = word rank + index_from, each review starts with start_char, ids at or
above max_tokens (the tutorial's top_words) become oov_char. The file holds pickled object arrays, so
it is opened only after its SHA-256 matches dataset.sha256 (the Keras file's hash by default; set the
hash of your own file, or null to trust it explicitly). With imdb_word_index.json beside it (or at
dataset.word_index_path) the model also reads raw text.
"""

import json
import shutil
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from textsweep.pipeline.datasets import Corpus, DatasetSource, path_digest, sha256_of
from textsweep.errors import DataError
from textsweep.pipeline.vectorize import PAD, Vectorizer

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
KERAS_CACHE = Path("~/.keras/datasets/imdb.npz")
CLASS_NAMES = ["negative", "positive"]


def _download(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as tmp:
        try:
            with urllib.request.urlopen(ORIGIN, timeout=30) as response:
                shutil.copyfileobj(response, tmp)
        except BaseException:
            Path(tmp.name).unlink(missing_ok=True)
            raise
    Path(tmp.name).replace(path)


def imdb_path(d) -> Path:
    path = Path(d.path).expanduser() if d.path else KERAS_CACHE.expanduser()
    if path.is_file():
        return path
    if d.download:
        try:
            _download(path)
            return path
        except OSError as e:
            reason = getattr(e, "reason", e)
            raise DataError(
                f"IMDB file not found at {path} and the download failed ({reason}): put imdb.npz there "
                f"(from {ORIGIN}) or set dataset.path=/path/to/imdb.npz"
            ) from None
    raise DataError(f"IMDB file not found at {path} (dataset.download=false): put imdb.npz there or set dataset.path")


def _word_index_vocab(d, npz: Path) -> list[str] | None:
    path = Path(d.word_index_path).expanduser() if d.word_index_path else npz.with_name("imdb_word_index.json")
    if not path.is_file():
        if d.word_index_path:
            raise DataError(f"dataset.word_index_path={path} does not exist: point it at imdb_word_index.json or set it to null")
        return None
    try:
        ranks = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DataError(f"dataset.word_index_path={path} is not a JSON word index ({e})") from None
    vocab = [f"[{i}]" for i in range(d.max_tokens)]  # ids without a word (reserved, unused) stay unreadable
    vocab[0] = PAD
    for word, rank in ranks.items():
        if 0 < rank + d.index_from < d.max_tokens:
            vocab[rank + d.index_from] = word
    return vocab


def load_imdb(d) -> Corpus:
    path = imdb_path(d)
    if d.sha256 is not None:
        actual = sha256_of(path)
        if actual != d.sha256.lower():
            raise DataError(
                f"IMDB file {path} has SHA-256 {actual[:12]}..., expected {d.sha256[:12]}...: it is corrupt or not the "
                "Keras imdb.npz; download it again, or set dataset.sha256=<its full hash> if you trust this file"
            )
    try:
        with np.load(path, allow_pickle=True) as f:  # safe: checksum verified above, or trusted explicitly
            x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"IMDB file {path} is not an imdb.npz with x_train, y_train, x_test, y_test ({e})") from None

    # plain ints, not config lookups, in the per-word loop: OmegaConf attribute access costs ~7 us, and
    # IMDB has 6 million words (it made a first load take minutes)
    index_from, max_tokens, oov, start = int(d.index_from), int(d.max_tokens), int(d.oov_char), d.start_char
    prefix = [int(start)] if start is not None else []

    def encode(reviews):
        out = []
        for review in reviews:
            ids = np.asarray(review, dtype=np.int64) + index_from
            ids[ids >= max_tokens] = oov
            out.append(prefix + ids.tolist())
        return out

    vocab = _word_index_vocab(d, path)
    vectorizer = Vectorizer(
        vocab or [f"[{i}]" for i in range(d.max_tokens)],
        d.maxlen, d.padding, d.truncating, d.lowercase, oov_id=d.oov_char, start_id=d.start_char,
    )
    return Corpus(
        encode(x_train), np.asarray(y_train, dtype=np.int32), encode(x_test), np.asarray(y_test, dtype=np.int32),
        CLASS_NAMES, vectorizer,
    )


class ImdbFile(DatasetSource):
    """dataset=imdb: the Keras IMDB file (dataset.path, else Keras's own cache)."""

    def digest(self, d) -> str:
        return path_digest(Path(d.path).expanduser() if d.path else KERAS_CACHE.expanduser())

    def read(self, d, seed: int) -> Corpus:
        return load_imdb(d)
