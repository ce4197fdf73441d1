"""The model stage: a Keras model from the preset's ordered block list.

Input ids -> Embedding -> blocks -> output. The output follows from the number of classes: Dense(1, sigmoid)
with binary cross-entropy for two, Dense(n, softmax) with sparse categorical cross-entropy for more.
A recurrent block returns sequences exactly when a later block needs one (another RNN, a conv, a pool).
"""

import logging

import keras
import numpy as np
from keras import layers

from textsweep.config.blocks import BLOCKS, cudnn_blockers
from textsweep.pipeline.embedding import PretrainedEmbedding

RNN_LAYERS = {"lstm": layers.LSTM, "gru": layers.GRU, "simple_rnn": layers.SimpleRNN}
log = logging.getLogger("textsweep")
_warned_off_cudnn: set[str] = set()  # one warning per reason and process, however many trials it runs


def _returns_sequences(blocks: list[dict], i: int) -> bool:
    explicit = blocks[i].get("return_sequences")
    if explicit is not None:
        return bool(explicit)
    return any(BLOCKS[b["type"]].needs_sequence for b in blocks[i + 1:])


def _rnn(block: dict, return_sequences: bool) -> layers.Layer:
    params = {k: v for k, v in block.items() if k not in ("type", "return_sequences") and v is not None}
    return RNN_LAYERS[block["type"]](return_sequences=return_sequences, **params)


def _generic_rnn(block: dict, return_sequences: bool) -> layers.Layer:
    """The `rnn` block: cell lstm|gru, optionally bidirectional, the sequence reduced to its last state or pooled."""
    reduce = block.get("reduce") or "last"
    keep_steps = return_sequences or reduce != "last"
    cell = {"type": block["cell"], **{k: block.get(k) for k in ("units", "dropout", "recurrent_dropout")}}
    layer = _rnn(cell, keep_steps)
    if block.get("bidirectional"):
        layer = layers.Bidirectional(layer)
    if return_sequences or reduce == "last":
        return [layer]
    return [layer, layers.GlobalMaxPooling1D() if reduce == "max" else layers.GlobalAveragePooling1D()]


def _bidirectional(block: dict, return_sequences: bool) -> list[layers.Layer]:
    return [layers.Bidirectional(_rnn(block["layer"], return_sequences), merge_mode=block.get("merge_mode") or "concat")]


# The one registry of block builders: type -> (block, whether it must return sequences) -> Keras layers, in
# order. The vocabulary (parameters, sequence in/out) is config.blocks.BLOCKS, readable without TensorFlow so
# a bad block list fails before any import; a test keeps the two key sets equal. A new block type is an entry
# in each. `ngram_bag` reads token ids, not embeddings: build_model builds it in the embedding's place.
BUILDERS: dict = {
    "lstm": lambda b, seq: [_rnn(b, seq)],
    "gru": lambda b, seq: [_rnn(b, seq)],
    "simple_rnn": lambda b, seq: [_rnn(b, seq)],
    "bidirectional": _bidirectional,
    "rnn": _generic_rnn,
    "dropout": lambda b, seq: [layers.Dropout(b["rate"])],
    "spatial_dropout": lambda b, seq: [layers.SpatialDropout1D(b["rate"])],
    "embedding_dropout": lambda b, seq: [layers.Dropout(b["rate"], noise_shape=(None, None, 1))],  # whole words
    "conv1d": lambda b, seq: [layers.Conv1D(b["filters"], b["kernel_size"], strides=b.get("strides") or 1,
                                            padding=b.get("padding") or "valid", activation=b.get("activation", "relu"))],
    "maxpool1d": lambda b, seq: [layers.MaxPooling1D(b["pool_size"], padding=b.get("padding") or "valid")],
    "global_avg_pool": lambda b, seq: [layers.GlobalAveragePooling1D()],
    "global_max_pool": lambda b, seq: [layers.GlobalMaxPooling1D()],
    "dense": lambda b, seq: [layers.Dense(b["units"], activation=b.get("activation", "relu"))],
    "flatten": lambda b, seq: [layers.Flatten()],
    "ngram_bag": None,
}


def block_layers(blocks: list[dict], i: int) -> list[layers.Layer]:
    """The Keras layers of block i, in order (one, except an `rnn` block that pools its steps)."""
    return BUILDERS[blocks[i]["type"]](blocks[i], _returns_sequences(blocks, i))


def output_units(num_classes: int) -> int:
    """Width of the output layer: one sigmoid for two classes, one softmax unit per class for more."""
    return 1 if num_classes == 2 else num_classes


def build_model(blocks: list[dict], *, vocab_size: int, embedding_dim: int, trainable_embedding: bool,
                maxlen: int | None, num_classes: int, pretrained: PretrainedEmbedding | None = None,
                name: str = "textsweep", mask_zero: bool = False, full_train: np.ndarray | None = None,
                full_vocab_size: int = 0, wide: int = 0) -> keras.Model:
    """maxlen=None: a variable time dimension (trainer.bucketing feeds batches of different lengths).

    A preset that starts with an `ngram_bag` block (the linear baseline) reads the whole text (input `full_ids`,
    TextData.full_*), with no embedding; its n-gram vocabulary and document frequencies come from `full_train`,
    the training split, in a vocabulary of `full_vocab_size` words. Without `units` the bag is as wide as the
    output layer: a linear model, which pipeline/linear.py fits. `wide` > 0 adds such a bag (of `wide` units)
    beside the blocks, joined to their output before the output layer (wide & deep); the model then has two
    inputs, `token_ids` and `full_ids` (pipeline.whole_text.model_inputs feeds them by name)."""
    from textsweep.pipeline.ngrams import NgramVector

    token_ids = keras.Input(shape=(maxlen,), dtype="int32", name="token_ids")
    full_ids = keras.Input(shape=(None,), dtype="int32", name="full_ids")
    if blocks and blocks[0]["type"] == "ngram_bag":
        bag = blocks[0]
        x = NgramVector.fitted(full_train, full_vocab_size, units=bag.get("units") or output_units(num_classes),
                               ngrams=bag.get("ngrams") or 2, weighting=bag.get("weighting") or "tfidf",
                               sublinear_tf=bag.get("sublinear_tf", True) is not False)(full_ids)
        inputs, first = {"full_ids": full_ids}, 1
    else:
        embedding = layers.Embedding(vocab_size, embedding_dim, trainable=trainable_embedding, mask_zero=mask_zero,
                                     name="embedding")
        x = embedding(token_ids)
        if pretrained is not None:  # set after building: an initializer would copy the matrix into the model config
            embedding.set_weights([pretrained.matrix])
        inputs, first = token_ids, 0
    for i in range(first, len(blocks)):
        for layer in block_layers(blocks, i):
            x = layer(x)
    if wide and not first:
        x = layers.Concatenate(name="wide_and_deep")([x, NgramVector.fitted(full_train, full_vocab_size, units=wide)(full_ids)])
        inputs = {"token_ids": token_ids, "full_ids": full_ids}
    activation = "sigmoid" if num_classes == 2 else "softmax"
    outputs = layers.Dense(output_units(num_classes), activation=activation, name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def is_linear_bag(blocks: list[dict]) -> bool:
    """The n-gram bag alone, without units: a linear model over n-grams (pipeline/linear.py fits it)."""
    return len(blocks) == 1 and blocks[0]["type"] == "ngram_bag" and blocks[0].get("units") is None


def compile_model(model: keras.Model, optimizer: str, learning_rate: float | None, num_classes: int) -> None:
    kwargs = {"learning_rate": learning_rate} if learning_rate is not None else {}
    loss = "binary_crossentropy" if num_classes == 2 else "sparse_categorical_crossentropy"
    # by Keras's own name (trainer.optimizer: the names config.validate.OPTIMIZERS accepts)
    optimizer = keras.optimizers.get({"class_name": optimizer, "config": kwargs})
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])


def parameter_counts(model: keras.Model) -> tuple[int, int]:
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    non_trainable = int(sum(np.prod(w.shape) for w in model.non_trainable_weights))
    return trainable, non_trainable


def warn_off_cudnn(blocks: list[dict], gpu: bool | None = None) -> list[str]:
    """Warn once when a GPU is there and the model's recurrent blocks will not use cuDNN; returns the reasons
    warned about now. On a CPU there is no faster kernel to lose, so nothing is said."""
    if gpu is None:
        import tensorflow as tf

        gpu = bool(tf.config.list_physical_devices("GPU"))
    new = [r for r in cudnn_blockers(blocks) if r not in _warned_off_cudnn] if gpu else []
    if new:
        _warned_off_cudnn.update(new)
        log.warning("this model runs on Keras's generic recurrent kernel, not cuDNN, on this GPU (several times "
                    "slower) because of: %s", "; ".join(new))
    return new
