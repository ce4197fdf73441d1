"""Model presets build with the tutorials' shapes and parameter counts; GloVe alignment on a written file."""

import numpy as np
import pytest
from omegaconf import OmegaConf

from textsweep.config.validate import validate_config
from textsweep.errors import ConfigError, DataError
from textsweep.pipeline.embedding import EmbeddingSource, PretrainedEmbedding, build_embedding


def build(cfg, vocab_size, num_classes, pretrained=None):
    from textsweep.pipeline.model import build_model

    return build_model(OmegaConf.to_container(cfg.model.blocks, resolve=True), vocab_size=vocab_size,
                       embedding_dim=cfg.embedding.dim, trainable_embedding=cfg.embedding.trainable,
                       maxlen=cfg.dataset.maxlen, num_classes=num_classes, pretrained=pretrained)


def counts(model):
    from textsweep.pipeline.model import parameter_counts

    return parameter_counts(model)


@pytest.mark.parametrize("preset, expected_total", [
    ("lstm", 213_301),                    # the tutorial's model.summary(): 213,301
    ("lstm_dropout", 213_301),
    ("lstm_recurrent_dropout", 213_301),
    ("cnn_lstm", 216_405),                # + Conv1D(32, 3): 3,104
])
def test_imdb_variants_match_the_tutorial_summaries(compose, preset, expected_total):
    cfg = compose("experiment=imdb_article", f"model={preset}", tiny=False)
    model = build(cfg, vocab_size=5000, num_classes=2)
    trainable, non_trainable = counts(model)
    assert (trainable + non_trainable, non_trainable) == (expected_total, 0)
    assert model.output_shape == (None, 1)


def test_glove_cnn_lstm_matches_the_tutorial_summary(compose, home):
    cfg = compose("model=glove_cnn_lstm", "embedding=glove", "embedding.source=kumo", "embedding.dim=100",
                  "dataset.maxlen=50", tiny=False)
    pretrained = type("P", (), {"matrix": np.zeros((20000, 100), dtype=np.float32)})()
    model = build(cfg, vocab_size=20000, num_classes=3, pretrained=pretrained)
    assert counts(model) == (98_367, 2_000_000)
    assert model.output_shape == (None, 3)
    assert model.layers[-1].activation.__name__ == "softmax"


def test_keras_docs_presets_build(compose):
    cfg = compose("experiment=keras_docs_lstm", "dataset.maxlen=100", tiny=False)
    assert sum(counts(build(cfg, vocab_size=1024, num_classes=2))) == 262_144 + 197_120 + 129
    cfg = compose("experiment=keras_docs_conv1d", "dataset.maxlen=100", tiny=False)
    model = build(cfg, vocab_size=1024, num_classes=2)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv1D") == 4 and "GlobalAveragePooling1D" in kinds and "Dropout" in kinds


def test_bidirectional_gru_stack_returns_sequences_where_needed(compose):
    cfg = compose("dataset.maxlen=12", tiny=False)
    cfg.model.units = None
    cfg.model.blocks = [{"type": "bidirectional", "layer": {"type": "gru", "units": 4}},
                        {"type": "lstm", "units": 3}, {"type": "dense", "units": 5}]
    model = build(cfg, vocab_size=50, num_classes=4)
    assert model.layers[2].output.shape == (None, 12, 8) and model.output_shape == (None, 4)


def write_glove(path, dim=4, words=("good", "bad", "film")):
    lines = [f"{w} " + " ".join(str(float(i + j)) for j in range(dim)) for i, w in enumerate(words)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_glove_alignment_and_coverage(compose, home):
    path = write_glove(home / "glove.4d.txt")
    cfg = compose("embedding=glove", f"embedding.path={path}", "embedding.dim=4")
    vocab = ["", "[UNK]", "film", "great", "good"]
    emb = build_embedding(cfg.embedding, vocab, seed=0)
    assert emb.found == 2 and emb.coverage == pytest.approx(2 / 3)
    np.testing.assert_allclose(emb.matrix[2], [2, 3, 4, 5])   # film: third line
    np.testing.assert_allclose(emb.matrix[4], [0, 1, 2, 3])   # good: first line
    assert not emb.matrix[3].any() and not emb.matrix[0].any()  # OOV zeros, padding zeros


@pytest.mark.parametrize("content, dim, expected", [
    ("good 0.1 0.2 0.3\n", 4, "has 3-dimensional vectors but embedding.dim=4"),
    ("good 0.1 0.2 0.3 0.4\nfilm 0.1 x 0.3 0.4\n", 4, "line 2 is malformed"),
    ("good 0.1 0.2 0.3 0.4\nfilm 0.1 0.3\n", 4, "line 2 has 2 values for 'film', expected 4"),
])
def test_bad_glove_files(compose, home, content, dim, expected):
    path = home / "glove.txt"
    path.write_text(content, encoding="utf-8")
    cfg = compose("embedding=glove", f"embedding.path={path}", f"embedding.dim={dim}")
    with pytest.raises(DataError) as err:
        build_embedding(cfg.embedding, ["", "[UNK]", "good", "film"], seed=0)
    assert expected in str(err.value)


def test_offline_glove_from_the_kumo_package(compose):
    cfg = compose("embedding=glove", "embedding.source=kumo", "embedding.dim=50")
    emb = build_embedding(cfg.embedding, ["", "[UNK]", "the", "film", "zzqxunknownword"], seed=0)
    assert emb.found == 2 and emb.coverage == pytest.approx(2 / 3)
    np.testing.assert_allclose(emb.matrix[2][:3], [0.418, 0.24968, -0.41242], rtol=1e-5)  # GloVe 6B 50d "the"
    assert not emb.matrix[4].any()
    with pytest.raises(DataError, match="embedding.source=kumo holds 50-dimensional GloVe vectors"):
        build_embedding(compose("embedding=glove", "embedding.source=kumo").embedding, ["", "the"], seed=0)


class OneHotWords(EmbeddingSource):
    """A project's own embedding kind: a class plus `_target_` in its YAML (here, an override)."""

    def build(self, e, vocab, seed):
        matrix = np.eye(len(vocab), e.dim, dtype=np.float32)
        return PretrainedEmbedding(matrix, 1.0, len(vocab), len(vocab))


def test_an_embedding_is_built_by_the_class_its_target_names(compose):
    cfg = compose("embedding._target_=test_model.OneHotWords", "embedding.name=one_hot", "embedding.dim=5")
    validate_config(cfg)
    emb = build_embedding(cfg.embedding, ["", "[UNK]", "good", "film"], seed=0)
    np.testing.assert_array_equal(emb.matrix, np.eye(4, 5))
    assert build_embedding(compose().embedding, ["", "[UNK]", "good"], seed=0) is None  # learned: the default
    with pytest.raises(ConfigError, match=r"embedding._target_='test_model.Missing' cannot be imported") as err:
        validate_config(compose("embedding._target_=test_model.Missing"))
    assert "\n" not in str(err.value)


def test_every_block_type_of_the_vocabulary_has_a_builder():
    from textsweep.config.blocks import BLOCKS
    from textsweep.pipeline.model import BUILDERS

    assert set(BUILDERS) == set(BLOCKS)
