"""Composition and validation: every preset and experiment composes; bad values fail in one clear line."""


import pytest
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ValidationError

from textsweep.config.paths import config_dir
from textsweep.errors import ConfigError
from textsweep.config.validate import unknown_key_lines, unknown_keys, validate_config

PRESETS = sorted(p.stem for p in (config_dir() / "model").glob("*.yaml"))
EXPERIMENTS = sorted(p.stem for p in (config_dir() / "experiment").glob("*.yaml"))


def test_all_tutorial_presets_exist():
    assert set(PRESETS) >= {"lstm", "lstm_dropout", "lstm_recurrent_dropout", "cnn_lstm", "keras_docs_lstm",
                            "conv1d_gap", "glove_cnn_lstm"}


@pytest.mark.parametrize("preset", PRESETS)
def test_every_model_preset_composes_and_validates(compose, preset):
    cfg = compose(f"model={preset}", "dataset.maxlen=64")
    assert cfg.model.name == preset
    validate_config(cfg)
    assert unknown_keys(cfg) == []  # every key a preset sets is a setting of the schema


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes(compose, experiment):
    cfg = compose(f"experiment={experiment}", tiny=False)
    assert cfg.experiment_name
    assert cfg.model.blocks
    assert unknown_keys(cfg) == []


def test_imdb_article_experiment_has_the_tutorial_settings(compose):
    cfg = compose("experiment=imdb_article", tiny=False)
    assert (cfg.dataset.name, cfg.dataset.max_tokens, cfg.dataset.maxlen, cfg.dataset.padding) == ("imdb", 5000, 500, "pre")
    assert (cfg.embedding.dim, cfg.trainer.optimizer, cfg.trainer.epochs, cfg.trainer.batch_size) == (32, "adam", 3, 64)


def test_knobs_reach_the_blocks_through_interpolation(compose):
    cfg = compose("model=cnn_lstm", "model.units=64", "model.filters=16", "model.kernel_size=5", "model.pool_size=3")
    conv, pool, lstm = cfg.model.blocks
    assert (conv.filters, conv.kernel_size, pool.pool_size, lstm.units) == (16, 5, 3, 64)


@pytest.mark.parametrize("override, exception", [
    ("model.unitz=3", ConfigCompositionException),          # misspelled key
    ("trainer.epochs=three", ConfigCompositionException),   # wrong type
    ("model=lstmm", ConfigCompositionException),            # unknown group option
])
def test_schema_rejects_typos_and_wrong_types_at_compose_time(compose, override, exception):
    with pytest.raises((exception, ValidationError)) as err:
        compose(override)
    key = override.split("=")[0]
    assert key.split(".")[-1] in str(err.value) or "lstmm" in str(err.value)


def test_a_key_added_with_plus_that_nothing_reads_is_named_with_the_closest_setting(compose):
    """Hydra composes `+trainer.epochz=5` (the + says "add"); textsweep would then ignore it in silence."""
    cfg = compose("+trainer.epochz=5", "+trainer.early_stopping.patiense=2", "+foo=1", "+model.blocks.0.extra=1")
    assert set(unknown_keys(cfg)) == {("trainer.epochz", "trainer.epochs"),
                                      ("trainer.early_stopping.patiense", "trainer.early_stopping.patience"), ("foo", None)}
    lines = unknown_key_lines(cfg)
    assert any(line.startswith("trainer.epochz is not a textsweep setting") and line.endswith("did you mean trainer.epochs?")
               for line in lines)
    assert any(line.startswith("foo ") and "--cfg job lists every key" in line for line in lines)
    assert unknown_keys(compose("+sweeps=reviews", tiny=False)) == []  # a config group added with + is no key


@pytest.mark.parametrize("overrides, expected", [
    (["model=lstm_dropout", "model.dropout=1.5"], "model.dropout=1.5 is out of range"),
    (["model=lstm_dropout", "model.dropout=-0.1"], "model.dropout=-0.1 is out of range"),
    (["model=lstm_recurrent_dropout", "model.recurrent_dropout=1.0"], "model.recurrent_dropout=1.0"),
    (["model.units=0"], "model.units=0 must be >= 1"),
    (["model=cnn_lstm", "model.filters=-4"], "model.filters=-4 must be >= 1"),
    (["dataset.maxlen=0"], "dataset.maxlen=0 must be >= 1"),
    (["model.filters=32"], "model.filters=32 is not used by the model preset 'lstm'"),
    (["model=glove_cnn_lstm", "dataset.maxlen=4"], "kernel_size=5 is longer than the sequence"),
    (["model=glove_cnn_lstm", "dataset.maxlen=6"], "pool_size=4 is longer than the sequence"),
    (["model=conv1d_gap", "dataset.maxlen=8"], "is longer than the sequence"),
    (["trainer.optimizer=adamw"], "trainer.optimizer='adamw' is not valid: use one of adam, rmsprop, sgd"),
    (["trainer.learning_rate=0"], "trainer.learning_rate=0.0 must be > 0"),
    (["trainer.epochs=0"], "trainer.epochs=0 must be >= 1"),
    (["trainer.validation_split=1.2"], "trainer.validation_split=1.2 is out of range"),
    (["dataset.padding=middle"], "dataset.padding='middle' is not valid"),
    (["dataset=csv"], "dataset.path is not set"),
    (["dataset=csv", "dataset.path=/nonexistent/reviews.csv"], "dataset.path=/nonexistent/reviews.csv does not exist"),
    (["embedding=glove"], "embedding.path is not set"),
    (["embedding=glove", "embedding.path=/nonexistent/glove.txt"], "embedding.path=/nonexistent/glove.txt does not exist"),
    (["dataset.sha256=abc"], "is not a SHA-256 hex digest"),
    (["trainer.buckets=0"], "trainer.buckets=0 must be >= 1"),
    (["trainer.bucketing=true", "model.units=null", "model.cell=null", "model.bidirectional=null", "model.reduce=null",
     "model.blocks=[{type:conv1d,filters:4,kernel_size:3},{type:flatten}]"],
     "trainer.bucketing=true needs a model without a flatten block"),
])
def test_bad_values_fail_with_one_line_naming_the_key(compose, overrides, expected):
    cfg = compose(*overrides)
    with pytest.raises(ConfigError) as err:
        validate_config(cfg)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message


def test_block_list_errors_name_the_block(compose):
    from textsweep.config.blocks import check_blocks

    with pytest.raises(ConfigError, match=r"model.blocks\[1\].type='lstmm' is not a block type"):
        check_blocks([{"type": "dropout", "rate": 0.1}, {"type": "lstmm", "units": 3}], 10)
    with pytest.raises(ConfigError, match=r"model.blocks\[0\] \(lstm\) has unknown parameter\(s\) unit"):
        check_blocks([{"type": "lstm", "unit": 3}], 10)
    with pytest.raises(ConfigError, match="ends with a sequence"):
        check_blocks([{"type": "conv1d", "filters": 4, "kernel_size": 3}], 10)
    with pytest.raises(ConfigError, match="needs a sequence"):
        check_blocks([{"type": "lstm", "units": 3, "return_sequences": False}, {"type": "lstm", "units": 3}], 10)
