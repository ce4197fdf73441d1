"""The whole-text view of each text, for the n-gram bag (pipeline/ngrams.py): every token up to a cap, as ids in a
vocabulary of every training word, post-padded; and how a model with the bag is fed. No TensorFlow here: the data
stage builds these arrays before Keras is imported.
"""

import numpy as np

MIN_WIDTH = 3  # the narrowest id array: room for a trigram, so a batch of empty texts still has a shape


def cap_from_lengths(lengths: np.ndarray, setting: int | None) -> int:
    """dataset.ngram_cap resolved: null is twice the 99th percentile of the training lengths (at least 64),
    far above typical lengths; it only bounds the memory of a few extreme texts."""
    if setting is not None:
        return int(setting)
    p99 = float(np.percentile(lengths, 99)) if len(lengths) else 0.0
    return max(64, 2 * int(np.ceil(p99)))


def pad_whole(sequences, cap: int) -> tuple[np.ndarray, int]:
    """(ids, how many texts were cut): each text's first `cap` ids, post-padded with 0 to the longest kept text."""
    width = max(MIN_WIDTH, min(cap, max((len(s) for s in sequences), default=0)))
    out = np.zeros((len(sequences), width), dtype=np.int32)
    cut = 0
    for i, seq in enumerate(sequences):
        kept = seq[:cap]
        cut += len(kept) < len(seq)
        out[i, :len(kept)] = kept
    return out, cut


def reads_whole_text(model) -> bool:
    """Whether a Keras model has the bag's input `full_ids` (the baseline, a wide & deep model)."""
    return any(t.name == "full_ids" for t in model.inputs)


def model_inputs(model, x: np.ndarray, full: np.ndarray | None):
    """What a model reads, by its input names: the padded token ids `x`, the whole texts' ids `full`, or both."""
    names = [t.name for t in model.inputs]
    if "full_ids" not in names:  # a network without a bag, or a model logged before the bag read whole texts
        return x
    return {name: {"token_ids": x, "full_ids": full}[name] for name in names}
