"""Value checks on a composed config, before any data is read or TensorFlow imported.

Types and key names are enforced by the schema at compose time; this module checks ranges, choices,
files and the model's block list, and raises ConfigError with one line: the key, the value, the fix.
"""

import math
import re

from omegaconf import DictConfig, OmegaConf

from textsweep.config.blocks import CELLS, NGRAM_WEIGHTINGS, REDUCTIONS, check_blocks
from textsweep.config.targets import target_class
from textsweep.errors import ConfigError

DATASET_SOURCE = "textsweep.pipeline.datasets.DatasetSource"
DATASET_EXAMPLE = "textsweep.pipeline.datasets.csv_file.CsvFile"
EMBEDDING_SOURCE = "textsweep.pipeline.embedding.EmbeddingSource"
EMBEDDING_EXAMPLE = "textsweep.pipeline.embedding.Glove"
OPTIMIZERS = ("adam", "rmsprop", "sgd")
KNOBS = ("units", "dropout", "recurrent_dropout", "input_dropout", "filters", "kernel_size", "pool_size", "cell", "bidirectional", "reduce",
         "ngrams", "weighting")


def _choice(key: str, value, choices) -> None:
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is not valid: use one of {', '.join(map(str, choices))}")


def _at_least(key: str, value, low) -> None:
    if value is None or value < low:
        raise ConfigError(f"{key}={value!r} must be >= {low}")


def _fraction(key: str, value, example: float) -> None:
    if value is None or not 0 < value < 1:
        raise ConfigError(f"{key}={value!r} is out of range: use a fraction in (0, 1), e.g. {key}={example}")


def check_seed(seed, key: str) -> None:
    """NumPy, Keras and Optuna take seeds in [0, 2**32): anything else fails deep inside them; say so in one line."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32):
        raise ConfigError(f"{key}={seed} is out of range: use an integer in [0, 4294967295], e.g. {key}=42")


def check_finite(node, key: str = "") -> None:
    """No NaN or infinity in any float setting: every comparison with NaN is false, so a range check passes it
    (`trainer.early_stopping.min_delta=nan` would stop nothing, silently)."""
    if isinstance(node, dict):
        for k, v in node.items():
            check_finite(v, f"{key}.{k}" if key else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            check_finite(v, f"{key}.{i}")
    elif isinstance(node, float) and not math.isfinite(node):
        raise ConfigError(f"{key}={node} is not a finite number: set a real number (or drop the override for the default)")


def unknown_keys(cfg: DictConfig) -> list[tuple[str, str | None]]:
    """Keys that Hydra's `+key=value` added but no field of the schema (config/schema.py) reads, each with the
    closest known key: `+trainer.epochz=5` composes (the + says "add"), and would then be ignored in silence.
    model.blocks' entries are free-form (a block's own arguments), so they are not walked."""
    import difflib

    from textsweep.config.schema import TextsweepConfig

    schema = OmegaConf.structured(TextsweepConfig)
    found = []

    def walk(node, known: DictConfig | None, prefix: str) -> None:
        names = set(known.keys()) if known is not None else set()  # keys(), not `in`: `in` is False for a MISSING value
        for key in node:
            dotted = f"{prefix}{key}"
            if key not in names:
                if not prefix and key == "hydra":  # Hydra's own node
                    continue
                close = difflib.get_close_matches(str(key), sorted(map(str, names)), n=1, cutoff=0.75)
                found.append((dotted, f"{prefix}{close[0]}" if close else None))
            elif OmegaConf.is_dict(known._get_node(key)) and OmegaConf.is_dict(node._get_node(key)):
                walk(node[key], known[key], dotted + ".")

    walk(cfg, schema, "")
    return found


def unknown_key_lines(cfg: DictConfig) -> list[str]:
    return [f"{key} is not a textsweep setting: Hydra added it (+), and only a component of your own would read it"
            + (f"; did you mean {close}?" if close else " (textsweep train --cfg job lists every key)")
            for key, close in unknown_keys(cfg)]


def validate_config(cfg: DictConfig, in_sweep: bool = False) -> list[str]:
    """Raises ConfigError on the first bad value. Returns the model knobs that are set but that the preset does
    not use: an error in a single run, but in a sweep that chooses among presets a knob may apply to only some
    of them, so there they are returned (the run logs them as not applicable) instead."""
    for key in cfg:
        if key != "hydra":  # Hydra's own node resolves only inside a running app; it holds no float setting of ours
            node = cfg[key]
            check_finite(OmegaConf.to_container(node, resolve=True, throw_on_missing=False)
                         if OmegaConf.is_config(node) else node, str(key))
    check_seed(cfg.seed, "seed")
    from textsweep.config.names import MAX_NAME

    if cfg.run_name is not None and len(str(cfg.run_name)) > MAX_NAME:
        raise ConfigError(f"run_name is {len(str(cfg.run_name))} characters long (at most {MAX_NAME}, within MLflow's "
                          "run name column): shorten it, or leave it null for the preset's name")
    validate_inputs(cfg)
    _at_least("tracking.outage_grace_s", cfg.tracking.outage_grace_s, 0)
    uses_embedding = not is_ngram_model(cfg.model)
    not_applicable = _validate_model(cfg, in_sweep)
    if cfg.model.wide < 0:
        raise ConfigError(f"model.wide={cfg.model.wide} must be >= 0 (units of the n-gram bag beside the blocks; 0 = off)")
    if not uses_embedding and cfg.model.wide:
        raise ConfigError(f"model.wide={cfg.model.wide} adds an n-gram bag beside a neural model; the preset "
                          f"'{cfg.model.name}' is one already: drop model.wide")
    if not uses_embedding and cfg.model.linear_blend:
        raise ConfigError(f"model.linear_blend=true blends a neural model with the linear baseline; the preset "
                          f"'{cfg.model.name}' is the linear model itself: drop model.linear_blend")
    _validate_trainer(cfg.trainer)
    return not_applicable


def validate_inputs(cfg: DictConfig, embedding: bool = True) -> None:
    """The part of `validate_config` about what a run reads: the dataset (values, the source's own check:
    path, columns, a readable file) and, with `embedding`, the embedding source. A sweep checks these once,
    before any trial: they fail every trial alike."""
    check_seed(cfg.dataset.get("split_seed"), "dataset.split_seed")
    _validate_dataset(cfg.dataset)
    if embedding and not is_ngram_model(cfg.model):
        _validate_embedding(cfg.embedding)


def is_ngram_model(model: DictConfig) -> bool:
    """A preset that reads token ids as a bag of n-grams (the linear baseline) and has no embedding."""
    blocks = model.blocks
    return bool(blocks) and blocks[0].get("type") == "ngram_bag"


def unused_knobs(model: DictConfig) -> list[str]:
    """Knobs set to a value that none of the preset's blocks references (${model.<knob>})."""
    raw_blocks = str(OmegaConf.to_container(model.blocks, resolve=False))
    return [knob for knob in KNOBS if model[knob] is not None and f"${{model.{knob}}}" not in raw_blocks]


def _validate_dataset(d: DictConfig) -> None:
    _at_least("dataset.max_tokens", d.max_tokens, 3)
    if d.maxlen is not None:  # null follows the data (pipeline.data.maxlen_from_lengths)
        _at_least("dataset.maxlen", d.maxlen, 1)
    if d.ngram_cap is not None:
        _at_least("dataset.ngram_cap", d.ngram_cap, 1)
    _choice("dataset.padding", d.padding, ("pre", "post"))
    _choice("dataset.truncating", d.truncating, ("pre", "post"))
    _fraction("dataset.test_split", d.test_split, 0.2)
    # the source's own keys (path, columns, ...): checked by the class dataset._target_ names
    target_class(d, "dataset", DATASET_SOURCE, DATASET_EXAMPLE)().check(d)
    if d.sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", d.sha256):
        raise ConfigError(f"dataset.sha256={d.sha256!r} is not a SHA-256 hex digest (64 hex characters)")


def _validate_embedding(e: DictConfig) -> None:
    _at_least("embedding.dim", e.dim, 1)
    # the kind's own keys (path, source, ...): checked by the class embedding._target_ names
    target_class(e, "embedding", EMBEDDING_SOURCE, EMBEDDING_EXAMPLE)().check(e)


def check_knob(knob: str, value) -> None:
    """What a model knob accepts. The same rule checks a run's config and the bounds and choices of a sweep's
    search space (before any trial runs)."""
    key = f"model.{knob}"
    if value is None:
        return
    if knob in ("units", "filters", "kernel_size", "pool_size"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{key}={value!r} must be >= 1 (an integer)")
    elif knob in ("dropout", "recurrent_dropout", "input_dropout"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
            raise ConfigError(f"{key}={value!r} is out of range: use a rate in [0, 1), e.g. {key}=0.2")
    else:
        allowed = {"cell": CELLS, "reduce": REDUCTIONS, "weighting": NGRAM_WEIGHTINGS, "ngrams": (1, 2, 3),
                   "bidirectional": (True, False)}[knob]
        if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
            shown = ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in allowed)
            raise ConfigError(f"{key}={value!r} is not valid: use one of {shown}")


def _validate_model(cfg: DictConfig, in_sweep: bool) -> list[str]:
    m = cfg.model
    for knob in KNOBS:
        check_knob(knob, m[knob])
    unused = unused_knobs(m)
    if unused and not in_sweep:
        knob = unused[0]
        raise ConfigError(
            f"model.{knob}={m[knob]} is not used by the model preset '{m.name}': its blocks do not reference "
            f"${{model.{knob}}}; drop the override or pick a preset that has it"
        )
    blocks = OmegaConf.to_container(m.blocks, resolve=True)
    check_blocks(blocks, cfg.dataset.maxlen)
    if cfg.trainer.bucketing and any(b["type"] == "flatten" for b in blocks):
        raise ConfigError(
            f"trainer.bucketing=true needs a model without a flatten block (its output size depends on the sequence "
            f"length), and preset '{m.name}' has one: use global_max_pool/global_avg_pool or trainer.bucketing=false"
        )
    return unused


def _validate_trainer(t: DictConfig) -> None:
    _choice("trainer.optimizer", t.optimizer, OPTIMIZERS)
    if t.learning_rate is not None and not t.learning_rate > 0:
        raise ConfigError(f"trainer.learning_rate={t.learning_rate!r} must be > 0 (or null for the optimizer's default)")
    _at_least("trainer.epochs", t.epochs, 1)
    _at_least("trainer.batch_size", t.batch_size, 1)
    _at_least("trainer.buckets", t.buckets, 1)
    if not t.validate_on_test:
        _fraction("trainer.validation_split", t.validation_split, 0.2)
    if t.verbose is not None:
        _choice("trainer.verbose", t.verbose, (0, 1, 2))
    if t.early_stopping.monitor is not None:
        _choice("trainer.early_stopping.monitor", t.early_stopping.monitor, ("val_loss", "val_accuracy", "loss", "accuracy"))
    _at_least("trainer.early_stopping.patience", t.early_stopping.patience, 0)
