"""The data stage on files the tests write: CSV, text_dir, IMDB npz; vectorisation, splits, the cache."""

import hashlib
import json

import numpy as np
import pytest

from conftest import review_rows, write_csv
from textsweep.config.validate import validate_config
from textsweep.errors import ConfigError, DataError
from textsweep.pipeline.data import load_dataset, stratified_split
from textsweep.pipeline.datasets import Corpus, DatasetSource
from textsweep.pipeline.vectorize import Vectorizer, pad, tokenize


def test_tokenize_follows_keras_tokenizer_filters():
    assert tokenize("It's a <br />GREAT film, isn't it?!") == ["it's", "a", "great", "film", "isn't", "it"]


def test_pad_pre_and_post_like_keras_pad_sequences():
    seqs = [[1, 2, 3, 4], [5]]
    assert pad(seqs, 3).tolist() == [[2, 3, 4], [0, 0, 5]]  # pre truncation keeps the end
    assert pad(seqs, 3, padding="post", truncating="post").tolist() == [[1, 2, 3], [5, 0, 0]]


def test_vocabulary_is_ranked_by_frequency_with_padding_and_oov_reserved():
    v = Vectorizer.fit(["b a b c", "b a"], max_tokens=4, maxlen=5)
    assert v.vocab == ["", "[UNK]", "b", "a"]
    assert v.transform(["a b c zzz"]).tolist() == [[0, 3, 2, 1, 1]]
    assert Vectorizer.from_json(v.to_json()).transform(["a b"]).tolist() == v.transform(["a b"]).tolist()


def test_stratified_split_keeps_class_shares():
    labels = np.array([0] * 80 + [1] * 20)
    keep, held = stratified_split(labels, 0.25, seed=1)
    assert len(set(keep) & set(held)) == 0 and len(keep) + len(held) == 100
    assert (labels[held] == 1).sum() == 5 and (labels[held] == 0).sum() == 20


def test_csv_multiclass_vocab_from_training_split_only(compose, home):
    path = write_csv(home / "authors.csv", [(t, c) for t, c in review_rows(300, classes=("EAP", "HPL", "MWS"))],
                     header=("text", "author"))
    cfg = compose("dataset=csv", f"dataset.path={path}", "dataset.label_column=author", "dataset.max_tokens=50")
    data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert data.class_names == ["EAP", "HPL", "MWS"] and data.num_classes == 3
    assert len(data.y_train) + len(data.y_val) + len(data.y_test) == 300
    assert data.x_train.shape[1] == cfg.dataset.maxlen and data.vocab_size <= 50
    assert set(np.unique(data.y_test)) == {0, 1, 2}


def test_csv_split_column_and_integer_labels(compose, home):
    rows = [(f"text {i} good", i % 2, "test" if i % 5 == 0 else "train") for i in range(50)]
    path = write_csv(home / "split.csv", rows, header=("text", "label", "split"))
    cfg = compose("dataset=csv", f"dataset.path={path}", "dataset.split_column=split")
    data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert data.class_names == ["0", "1"] and len(data.y_test) == 10


@pytest.mark.parametrize("content, expected", [
    (b"", "is empty"),
    (b"review,sentiment\n", "has a header but no rows"),
    (b"review,sentiment\ngood film,positive\nfine film,positive\n", "has only one class ('positive')"),
    (b"review,sentiment\ngood film,positive\n,negative\n", "1 row(s) have an empty 'review' or 'sentiment' (first at line 3)"),
    (b"review,sentiment\ncaf\xe9 film,positive\nbad,negative\n", "is not UTF-8 (byte 0xe9"),
])
def test_bad_csv_files_fail_in_one_line(compose, home, content, expected):
    path = home / "bad.csv"
    path.write_bytes(content)
    cfg = compose("dataset=csv", f"dataset.path={path}", "dataset.text_column=review", "dataset.label_column=sentiment")
    with pytest.raises(DataError) as err:
        load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert expected in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("delimiter, compression", [
    (";", None), ("\t", None), ("|", None), ("\t", "gzip"), (",", "bz2"), (",", "lzma"),
])
def test_a_csv_is_read_whatever_its_delimiter_and_compression(compose, home, delimiter, compression):
    """A semicolon file from a spreadsheet, a TSV (GLUE, SST-2), a .csv.gz from a dataset hub: the configured
    columns choose the delimiter, the first bytes the decompression; they load as the plain CSV does."""
    import csv
    import importlib
    import io

    from textsweep.pipeline.datasets.csv_file import CsvFile

    rows = review_rows(120)
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows([("review", "sentiment"), *rows])
    data = text.getvalue().encode()
    path = home / "reviews.csv"
    path.write_bytes(importlib.import_module(compression).compress(data) if compression else data)
    cfg = compose("dataset=csv", f"dataset.path={path}", "dataset.text_column=review", "dataset.label_column=sentiment")
    CsvFile().check(cfg.dataset)  # the header check before a sweep reads the same delimiter
    loaded = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    plain = write_csv(home / "plain.csv", rows)
    cfg = compose("dataset=csv", f"dataset.path={plain}", "dataset.text_column=review", "dataset.label_column=sentiment")
    expected = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert loaded.class_names == expected.class_names == ["negative", "positive"]
    assert np.array_equal(loaded.x_train, expected.x_train) and np.array_equal(loaded.y_test, expected.y_test)


def test_a_zip_archive_and_labels_in_two_unicode_forms_are_refused_in_one_line(compose, home):
    import unicodedata
    import zipfile

    path = home / "reviews.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("reviews.csv", "review,sentiment\ngood,positive\n")
    cfg = compose("dataset=csv", f"dataset.path={path}", "dataset.text_column=review", "dataset.label_column=sentiment")
    with pytest.raises(DataError, match="is a zip archive: unzip it") as err:
        load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert "\n" not in str(err.value)
    # 'négatif' composed (é one code point) and decomposed (e + U+0301): the same word, two strings
    rows = [(t, unicodedata.normalize("NFD" if i % 2 else "NFC", "négatif") if y == "negative" else "positif")
            for i, (t, y) in enumerate(review_rows(80))]
    path = write_csv(home / "forms.csv", rows)
    cfg = compose("dataset=csv", f"dataset.path={path}", "dataset.text_column=review", "dataset.label_column=sentiment")
    with pytest.raises(DataError, match="differ only in case, surrounding spaces or Unicode form") as err:
        load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert "\n" not in str(err.value)


def test_texts_without_words_fail_in_one_line_and_unsegmented_text_is_warned_of(compose, home, caplog):
    """Punctuation alone tokenises to nothing: one line before training, naming the column. Chinese written
    without spaces tokenises to one token a text: it trains, with a warning that says how to segment."""
    import logging

    rows = [("!!! ... ???" if i % 2 else "--- ;;; ...", "positive" if i % 2 else "negative") for i in range(120)]
    cfg = compose("dataset=csv", f"dataset.path={write_csv(home / 'punct.csv', rows)}", "dataset.text_column=review",
                  "dataset.label_column=sentiment")
    with pytest.raises(DataError, match="hold no word once tokenised .*check that dataset.text_column='review'") as err:
        load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert "\n" not in str(err.value)
    phrases = ["这部电影非常好看", "演员的表演很自然", "这部电影很无聊", "故事情节太拖沓了"]
    rows = [(phrases[i % 4] + str(i), "positive" if i % 4 < 2 else "negative") for i in range(120)]
    cfg = compose("dataset=csv", f"dataset.path={write_csv(home / 'zh.csv', rows)}", "dataset.text_column=review",
                  "dataset.label_column=sentiment")
    with caplog.at_level(logging.WARNING):
        load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert "most training texts are a single token" in caplog.text and "segment the words first" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):  # spaced text: no warning
        _ = load_dataset(compose("dataset=csv", f"dataset.path={write_csv(home / 'en.csv', review_rows(120))}",
                                 "dataset.text_column=review", "dataset.label_column=sentiment").dataset,
                         cfg.trainer, cfg.seed, cache_dir=None)
    assert "single token" not in caplog.text


def test_labels_unseen_in_training_are_an_error(compose, home):
    rows = [("good", "pos", "train"), ("bad", "neg", "train"), ("meh", "neutral", "test")]
    path = write_csv(home / "unseen.csv", rows, header=("text", "label", "split"))
    cfg = compose("dataset=csv", f"dataset.path={path}", "dataset.split_column=split")
    with pytest.raises(DataError, match="'neutral' appear in the test split but never in training"):
        load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)


def test_text_dir_reads_the_aclimdb_layout_and_skips_unsup(compose, home):
    root = home / "aclImdb"
    for split in ("train", "test"):
        for label, word in (("pos", "wonderful"), ("neg", "awful")):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(12):
                (folder / f"{i}_7.txt").write_text(f"A {word} film<br />number {i}.", encoding="utf-8")
    (root / "train" / "unsup").mkdir()
    (root / "train" / "unsup" / "0_0.txt").write_text("unlabelled", encoding="utf-8")
    cfg = compose("dataset=text_dir", f"dataset.path={root}", "dataset.maxlen=8")
    data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert data.class_names == ["neg", "pos"]
    assert len(data.y_test) == 24 and len(data.y_train) + len(data.y_val) == 24
    assert "br" not in data.vectorizer.vocab and "wonderful" in data.vectorizer.vocab


def write_imdb(folder, with_word_index=True):
    """A tiny file in the Keras imdb.npz format: object arrays of word-rank lists, 0/1 labels."""
    rng = np.random.default_rng(0)
    reviews = [list(rng.integers(1, 30, size=rng.integers(3, 12))) for _ in range(40)]
    labels = np.array([i % 2 for i in range(40)])
    path = folder / "imdb.npz"
    arr = np.empty(40, dtype=object)
    arr[:] = reviews
    np.savez(path, x_train=arr[:30], y_train=labels[:30], x_test=arr[30:], y_test=labels[30:])
    if with_word_index:
        (folder / "imdb_word_index.json").write_text(json.dumps({f"w{r}": r for r in range(1, 30)}))
    return path, reviews


def test_imdb_loader_has_keras_semantics(compose, home):
    path, reviews = write_imdb(home)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    cfg = compose("dataset=imdb", f"dataset.path={path}", f"dataset.sha256={sha}", "dataset.max_tokens=20",
                  "dataset.maxlen=15", "trainer.validation_split=0.2")
    data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert data.class_names == ["negative", "positive"] and len(data.y_test) == 10
    first_test = [1] + [w + 3 if w + 3 < 20 else 2 for w in reviews[30]]  # start char, index_from, oov
    expected = [0] * (15 - len(first_test)) + first_test[-15:]
    assert data.x_test[0].tolist() == expected
    # The word index makes raw text readable: rank 5 -> id 8.
    assert data.vectorizer.ids("w5 unknownword") == [1, 8, 2]


def test_imdb_checksum_mismatch_and_missing_file(compose, home):
    path, _ = write_imdb(home)
    cfg = compose("dataset=imdb", f"dataset.path={path}")  # default: the Keras file's hash
    with pytest.raises(DataError, match="has SHA-256 .* expected 69664113be75"):
        load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    cfg = compose("dataset=imdb", f"dataset.path={home / 'absent' / 'imdb.npz'}", "dataset.download=false")
    with pytest.raises(DataError, match="IMDB file not found at .*put imdb.npz there"):
        load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)


def test_cache_hit_and_corrupt_cache_is_rebuilt(compose, home):
    cfg = compose()
    cache = home / "cache"
    first = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache)
    second = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache)
    assert not first.from_cache and second.from_cache
    assert first.fingerprint == second.fingerprint
    np.testing.assert_array_equal(first.x_train, second.x_train)
    npz = next(cache.glob("*.npz"))
    raw = bytearray(npz.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    npz.write_bytes(bytes(raw))
    third = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache)
    assert not third.from_cache and third.fingerprint == first.fingerprint
    other = load_dataset(compose("seed=7").dataset, cfg.trainer, 7, cache)
    assert other.fingerprint != first.fingerprint


def test_synthetic_is_seeded_and_order_decides_the_label():
    from textsweep.pipeline.datasets.synthetic import make_texts

    a, la = make_texts(300, 8, 30, seed=3)
    b, lb = make_texts(300, 8, 30, seed=3)
    assert a == b and la.tolist() == lb.tolist()
    assert 0.35 < la.mean() < 0.65
    # Texts with the same words but different labels exist (a bag of words cannot tell them apart).
    texts, labels = make_texts(20000, 4, 4, seed=0)
    by_bag = {}
    for t, y in zip(texts, labels):
        by_bag.setdefault(tuple(sorted(t.split())), set()).add(int(y))
    assert sum(len(ys) == 2 for ys in by_bag.values()) > 10


class InMemoryReviews(DatasetSource):
    """A project's own source: a class plus `_target_` in its YAML, nothing else in textsweep changes."""

    def digest(self, d) -> str:
        return "in-memory"

    def read(self, d, seed: int) -> Corpus:
        rows = review_rows(120)
        return Corpus([t for t, _ in rows], np.array([int(c == "positive") for _, c in rows]), None, None, ["neg", "pos"])


def test_a_dataset_source_is_the_class_its_target_names(compose, home):
    cfg = compose("dataset._target_=test_data.InMemoryReviews", "dataset.name=in_memory")
    validate_config(cfg)
    data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=home / "cache")
    assert data.class_names == ["neg", "pos"] and len(data.y_train) + len(data.y_val) + len(data.y_test) == 120
    assert load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=home / "cache").from_cache


@pytest.mark.parametrize("target, expected", [
    ("test_data.NoSuchSource", "dataset._target_='test_data.NoSuchSource' cannot be imported"),
    ("test_data.review_rows", "is not a class"),
    ("textsweep.pipeline.data.TextData", "is not a DatasetSource"),
])
def test_a_wrong_dataset_target_fails_in_one_line_naming_the_key(compose, target, expected):
    cfg = compose(f"dataset._target_={target}")
    with pytest.raises(ConfigError) as err:
        validate_config(cfg)
        load_dataset(cfg.dataset, cfg.trainer, cfg.seed, cache_dir=None)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_maxlen_null_follows_the_training_lengths():
    from textsweep.pipeline.data import maxlen_from_lengths

    assert maxlen_from_lengths(np.arange(1, 101)) == 96  # p95 = 95.05, rounded up to a multiple of 8
    assert maxlen_from_lengths(np.full(50, 3)) == 16  # never below 16
    assert maxlen_from_lengths(np.full(50, 5000)) == 1000  # a recurrent layer's steps stay affordable
    assert maxlen_from_lengths(np.array([], dtype=int)) == 16


@pytest.mark.slow
def test_a_run_with_maxlen_null_trains_at_the_length_its_data_has(compose, home, client):
    from conftest import runs_of
    from textsweep.train import run_training

    rows = [(" ".join([text] * 3), label) for text, label in review_rows(300, seed=4)]  # 18 to 60 words
    path = write_csv(home / "long.csv", rows)
    cfg = compose("dataset=csv", f"dataset.path={path}", "dataset.text_column=review", "dataset.label_column=sentiment",
                  "dataset.maxlen=null", "model=cnn_maxpool", "model.filters=4", "trainer.epochs=1",
                  "tracking.log_model=false", "tracking.explain_examples=0", "experiment_name=follows")
    validate_config(cfg)
    data = load_dataset(cfg.dataset, cfg.trainer, 42, None)
    run_training(cfg)
    [run] = runs_of(client, "follows")
    expected = data.vectorizer.maxlen
    assert data.x_train.shape[1] == expected > 24  # longer than any preset default of the tiny tests
    assert run.data.params["dataset.maxlen"] == str(expected)
