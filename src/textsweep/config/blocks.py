"""The block vocabulary of model presets, without TensorFlow: names, parameters, and the sequence-length check.

`textsweep.pipeline.model` turns these specs into Keras layers; `textsweep.config.validate` uses them to reject a bad
block list before any data is loaded.
"""

from dataclasses import dataclass

from textsweep.errors import ConfigError

RNN_PARAMS = {"units", "dropout", "recurrent_dropout", "return_sequences", "activation"}
# The structural choices every recurrent preset understands (the `rnn` block; model.cell, model.bidirectional,
# model.reduce): which cell, whether it reads both ways, and how the sequence becomes one vector.
CELLS = ("lstm", "gru")
REDUCTIONS = ("last", "max", "avg")  # the last state, or max/average pooling over every step's state
NGRAM_WEIGHTINGS = ("tfidf", "count", "binary")


@dataclass(frozen=True)
class BlockSpec:
    required: frozenset
    optional: frozenset
    keeps_sequence: bool  # output is still (batch, time, features)
    needs_sequence: bool  # input must be (batch, time, features)


def _spec(required=(), optional=(), keeps_sequence=True, needs_sequence=True) -> BlockSpec:
    return BlockSpec(frozenset(required), frozenset(optional), keeps_sequence, needs_sequence)


BLOCKS: dict[str, BlockSpec] = {
    "dropout": _spec(["rate"], needs_sequence=False),
    "spatial_dropout": _spec(["rate"]),  # SpatialDropout1D: drops whole feature channels
    "embedding_dropout": _spec(["rate"]),  # drops whole words (time steps)
    "conv1d": _spec(["filters", "kernel_size"], ["padding", "activation", "strides"]),
    "maxpool1d": _spec(["pool_size"], ["padding"]),
    "global_avg_pool": _spec(keeps_sequence=False),
    "global_max_pool": _spec(keeps_sequence=False),
    "lstm": _spec(["units"], RNN_PARAMS - {"units"}, keeps_sequence=False),
    "gru": _spec(["units"], RNN_PARAMS - {"units"}, keeps_sequence=False),
    "simple_rnn": _spec(["units"], RNN_PARAMS - {"units"}, keeps_sequence=False),
    "bidirectional": _spec(["layer"], ["merge_mode"], keeps_sequence=False),
    # cell: lstm | gru; bidirectional: true | false; reduce: last | max | avg
    "rnn": _spec(["units", "cell"], ["bidirectional", "reduce", "dropout", "recurrent_dropout", "return_sequences"],
                 keeps_sequence=False),
    # The whole text -> a TF-IDF (or count) weighted bag of uni- and bigrams (textsweep.pipeline.ngrams). It reads
    # the text, not embeddings, so it comes first. Alone and without `units` it is a linear model (logistic
    # regression over n-grams, the baseline) fitted by scikit-learn's solver with its L2 strength `C` chosen on
    # validation (null) or given (pipeline/linear.py); with `units` it is projected to that width and trained with
    # the blocks after it by Keras.
    "ngram_bag": _spec([], ["units", "ngrams", "weighting", "sublinear_tf", "C"], keeps_sequence=False, needs_sequence=False),
    "dense": _spec(["units"], ["activation"], needs_sequence=False),
    "flatten": _spec(keeps_sequence=False),
}
RECURRENT = {"lstm", "gru", "simple_rnn", "bidirectional", "rnn"}
RATE_PARAMS = {"rate", "dropout", "recurrent_dropout"}
POSITIVE_INT_PARAMS = {"units", "filters", "kernel_size", "pool_size", "strides"}


def block_name(index: int) -> str:
    return f"model.blocks[{index}]"


def check_block(block: dict, where: str) -> None:
    """One block's type and parameters: unknown names, missing or out-of-range values."""
    kind = block.get("type")
    if kind not in BLOCKS:
        raise ConfigError(f"{where}.type={kind!r} is not a block type: use one of {', '.join(sorted(BLOCKS))}")
    spec = BLOCKS[kind]
    params = {k: v for k, v in block.items() if k != "type"}
    unknown = set(params) - spec.required - spec.optional
    if unknown:
        allowed = ", ".join(sorted(spec.required | spec.optional)) or "none"
        raise ConfigError(f"{where} ({kind}) has unknown parameter(s) {', '.join(sorted(unknown))}: allowed are {allowed}")
    for name in sorted(spec.required):
        if params.get(name) is None:
            raise ConfigError(f"{where} ({kind}) needs '{name}': set it in the preset or its model.* knob")
    for name, value in params.items():
        if name in RATE_PARAMS and value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ConfigError(f"{where} ({kind}) {name}={value!r} is out of range: use a rate in [0, 1), e.g. 0.2")
        if name in POSITIVE_INT_PARAMS and value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{where} ({kind}) {name}={value!r} must be an integer >= 1")
    _check_enumerated(kind, params, where)
    if kind == "ngram_bag":
        c = params.get("C")
        if c is not None and (isinstance(c, bool) or not isinstance(c, (int, float)) or not c > 0):
            raise ConfigError(f"{where} (ngram_bag) C={c!r} must be a number > 0 (the inverse L2 strength), or null to "
                              "choose it on validation")
        if params.get("sublinear_tf") not in (None, True, False):
            raise ConfigError(f"{where} (ngram_bag) sublinear_tf={params['sublinear_tf']!r} must be true or false")
        if params.get("units") is not None and c is not None:
            raise ConfigError(f"{where} (ngram_bag) C={c} is the linear fit's L2 strength, and units={params['units']} makes "
                              "the bag a trained projection (Keras): drop C, or units for the linear model")
    if kind == "bidirectional":
        inner = params["layer"]
        if not isinstance(inner, dict) or inner.get("type") not in {"lstm", "gru", "simple_rnn"}:
            raise ConfigError(f"{where}.layer must be an lstm, gru or simple_rnn block, e.g. {{type: lstm, units: 64}}")
        check_block(inner, f"{where}.layer")


def _check_enumerated(kind: str, params: dict, where: str) -> None:
    """The structural knobs of `rnn` and `ngram_bag` take a fixed set of values."""
    allowed = {"cell": CELLS, "reduce": REDUCTIONS, "weighting": NGRAM_WEIGHTINGS, "ngrams": (1, 2, 3),
               "bidirectional": (True, False)}
    for name, values in allowed.items():
        value = params.get(name)
        if value is not None and (value not in values or isinstance(value, bool) != isinstance(values[0], bool)):
            shown = ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
            raise ConfigError(f"{where} ({kind}) {name}={value!r} is not valid: use one of {shown}")


def min_sequence_length(blocks: list[dict]) -> int:
    """The shortest input sequence the convs and pools accept (a bucket is never shorter), found backwards:
    each block needs enough input steps to give the next one the length it needs."""
    need = 1
    for block in reversed(blocks):
        same = block.get("padding") == "same"
        if block["type"] == "conv1d":
            stride = block.get("strides") or 1
            need = (need - 1) * stride + (1 if same else block["kernel_size"])
        elif block["type"] == "maxpool1d":
            need = (need - 1) * block["pool_size"] + 1 if same else need * block["pool_size"]
    return need


def check_blocks(blocks: list, maxlen: int | None) -> None:
    """The whole list: each block, the sequence/vector order, and the sequence length through convs and pools
    (maxlen None, dataset.maxlen=null: the length follows the data, and train.py checks it once it is known).

    Catches, before training, a kernel longer than the sequence left after pooling (Keras would fail at
    build time with a shape error) and a list that ends while still holding a sequence.
    """
    if not blocks:
        raise ConfigError("model.blocks is empty: a preset needs at least one block, e.g. [{type: lstm, units: 100}]")
    if any(isinstance(b, dict) and b.get("type") == "ngram_bag" for b in blocks[1:]):
        raise ConfigError("model.blocks: an ngram_bag block reads the text itself, so it must be the first block")
    if blocks and isinstance(blocks[0], dict) and blocks[0].get("type") == "ngram_bag" and blocks[0].get("units") is None \
            and len(blocks) > 1:
        raise ConfigError("model.blocks[0] (ngram_bag) without units is the linear model and stands alone: give it units "
                          "(a projection the later blocks train on), or drop the later blocks")
    length, is_sequence = maxlen, True
    for i, block in enumerate(blocks):
        where = block_name(i)
        if not isinstance(block, dict):
            raise ConfigError(f"{where} must be a mapping like {{type: lstm, units: 100}}, got {block!r}")
        check_block(block, where)
        kind, spec = block["type"], BLOCKS[block["type"]]
        if spec.needs_sequence and not is_sequence:
            raise ConfigError(
                f"{where} ({kind}) needs a sequence but an earlier block already reduced it to a vector: "
                "move it before the lstm/pooling block or set return_sequences: true there"
            )
        if length is None:
            pass
        elif kind == "conv1d":
            strides = block.get("strides") or 1
            if block.get("padding", "valid") == "same":
                length = -(-length // strides)
            else:
                if block["kernel_size"] > length:
                    raise ConfigError(
                        f"{where} (conv1d) kernel_size={block['kernel_size']} is longer than the sequence at that "
                        f"point ({length} steps, from dataset.maxlen={maxlen} after pooling): lower the kernel size "
                        "or pool size, raise dataset.maxlen, or use padding: same"
                    )
                length = (length - block["kernel_size"]) // strides + 1
        elif kind == "maxpool1d":
            if block.get("padding", "valid") == "same":
                length = -(-length // block["pool_size"])
            else:
                if block["pool_size"] > length:
                    raise ConfigError(
                        f"{where} (maxpool1d) pool_size={block['pool_size']} is longer than the sequence at that "
                        f"point ({length} steps): lower model.pool_size or raise dataset.maxlen"
                    )
                length //= block["pool_size"]
        if kind in RECURRENT:
            later_needs_sequence = any(BLOCKS[b.get("type")].needs_sequence for b in blocks[i + 1:] if b.get("type") in BLOCKS)
            returns = block.get("return_sequences")
            is_sequence = later_needs_sequence if returns is None else bool(returns)
        elif not spec.keeps_sequence:
            is_sequence = False
    if is_sequence:
        raise ConfigError(
            "model.blocks ends with a sequence: end with an lstm/gru block or a global_avg_pool/global_max_pool/flatten block"
        )


def cudnn_blockers(blocks: list[dict]) -> list[str]:
    """Why an lstm/gru block would run on Keras's generic kernel instead of cuDNN on a GPU.

    Keras picks cuDNN only for the default activations (tanh, sigmoid) and recurrent_dropout=0 (its
    layers/rnn/lstm.py and gru.py); anything else silently runs the step-by-step loop, several times slower.
    """
    reasons = []
    for i, block in enumerate(blocks):
        inner = (block.get("layer") or {}) if block.get("type") == "bidirectional" else block
        kind = inner.get("cell") if inner.get("type") == "rnn" else inner.get("type")
        if kind not in ("lstm", "gru"):
            continue
        where = f"{block_name(i)} ({kind})"
        if inner.get("recurrent_dropout"):
            reasons.append(f"{where} recurrent_dropout={inner['recurrent_dropout']} (use dropout on the inputs, "
                           "or a dropout block, to keep cuDNN)")
        if inner.get("activation") not in (None, "tanh"):
            reasons.append(f"{where} activation={inner['activation']!r} (cuDNN needs tanh)")
    return reasons
