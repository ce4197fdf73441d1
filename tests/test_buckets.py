"""trainer.bucketing: length buckets, the batches they make, and a bucketed run end to end."""

import logging

import mlflow
import numpy as np
import pytest

from conftest import runs_of
from textsweep.config.blocks import cudnn_blockers, min_sequence_length
from textsweep.pipeline.buckets import Buckets, bucketing_on, sequence_lengths, trim
from textsweep.pipeline.vectorize import pad


def padded(lengths, maxlen, padding):
    rng = np.random.default_rng(0)
    return pad([list(rng.integers(1, 50, size=n)) for n in lengths], maxlen, padding, "pre")


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_lengths_and_trim_keep_every_word(padding):
    x = padded([0, 1, 5, 12, 30], 12, padding)  # 30 is truncated to 12
    lengths = sequence_lengths(x, padding)
    assert lengths.tolist() == [0, 1, 5, 12, 12]
    cut = trim(x, 5, padding)
    assert cut.shape == (5, 5)
    assert (cut[2] != 0).sum() == 5  # the 5-word row is whole
    assert np.array_equal(np.sort(cut[2]), np.sort(x[2][x[2] != 0]))


def test_bucket_lengths_are_few_rounded_and_end_at_maxlen():
    rng = np.random.default_rng(1)
    lengths = np.minimum(rng.lognormal(np.log(174), 0.75, 5000).astype(int) + 1, 500)
    buckets = Buckets.from_lengths(lengths, 500, count=8, min_length=1, padding="pre")
    assert len(buckets.lengths) <= 9 and buckets.lengths[-1] == 500
    assert all(n % 8 == 0 or n == 500 for n in buckets.lengths)
    assert list(buckets.lengths) == sorted(set(buckets.lengths))
    # padded steps per text fall well below the tutorial's 500
    x = np.zeros((len(lengths), 500), dtype=np.int32)
    for i, n in enumerate(lengths):
        x[i, 500 - n:] = 1
    steps = np.asarray(buckets.lengths)[buckets.assign(x)]
    assert np.all(steps >= lengths) and steps.mean() < 0.6 * 500
    # a conv/pool model never gets a bucket shorter than it accepts
    assert min(Buckets.from_lengths(np.array([1, 2, 3]), 60, 4, min_length=11, padding="pre").lengths) == 11


def test_an_epoch_of_batches_holds_every_row_once_each_batch_from_one_bucket():
    x = padded(list(range(1, 101)), 64, "pre")
    buckets = Buckets.from_lengths(sequence_lengths(x, "pre"), 64, 4, 1, "pre")
    rng = np.random.default_rng(3)
    first, second = buckets.batches(x, 16, rng), buckets.batches(x, 16, rng)
    for plan in (first, second):
        rows = np.concatenate([idx for _, idx in plan])
        assert sorted(rows.tolist()) == list(range(100))
        for length, idx in plan:
            assert len(idx) <= 16 and np.all(sequence_lengths(x[idx], "pre") <= length)
    assert [idx.tolist() for _, idx in first] != [idx.tolist() for _, idx in second]  # reshuffled each epoch
    in_order = buckets.batches(x, 16, None)
    assert np.concatenate([idx for _, idx in in_order]).tolist() == list(range(100))


def test_min_sequence_length_is_the_shortest_input_the_model_accepts():
    from textsweep.config.blocks import check_blocks

    glove_cnn = [{"type": "dropout", "rate": 0.2}, {"type": "conv1d", "filters": 4, "kernel_size": 5},
                 {"type": "maxpool1d", "pool_size": 4}, {"type": "lstm", "units": 3}]
    n = min_sequence_length(glove_cnn)
    assert n == 8
    check_blocks(glove_cnn, n)
    with pytest.raises(Exception, match="longer than the sequence"):
        check_blocks(glove_cnn, n - 1)
    same = [{"type": "conv1d", "filters": 4, "kernel_size": 3, "padding": "same"}, {"type": "maxpool1d", "pool_size": 2},
            {"type": "lstm", "units": 3}]
    assert min_sequence_length(same) == 2 and min_sequence_length([{"type": "lstm", "units": 3}]) == 1


def test_bucketing_unset_is_on_in_sweeps_for_models_that_step_through_the_sequence():
    lstm = [{"type": "lstm", "units": 4}]
    flatten = [{"type": "conv1d", "filters": 4, "kernel_size": 3}, {"type": "flatten"}, {"type": "dense", "units": 2}]
    bag = [{"type": "ngram_bag", "units": 1}]
    assert bucketing_on(None, lstm, in_sweep=True) and not bucketing_on(None, lstm, in_sweep=False)
    assert not bucketing_on(None, flatten, in_sweep=True)  # its output size is the padded length
    assert not bucketing_on(None, bag, in_sweep=True)  # no time steps to skip
    assert bucketing_on(True, lstm, in_sweep=False) and not bucketing_on(False, lstm, in_sweep=True)  # set: the user's


@pytest.mark.slow
def test_bucketed_run_logs_a_model_that_reads_raw_text_through_the_same_buckets(compose, client):
    from textsweep.serving import load_text_classifier
    from textsweep.train import run_training

    cfg = compose("experiment=quickstart", "model=cnn_lstm", "dataset.maxlen=40", "dataset.min_words=4",
                  "dataset.max_words=30", "trainer.bucketing=true", "trainer.buckets=3", "tracking.explain_examples=2")
    metrics = run_training(cfg)
    assert 0 <= metrics["test_accuracy"] <= 1
    (run,) = runs_of(client, "quickstart")
    assert run.info.status == "FINISHED"
    lengths = [int(n) for n in run.data.tags["textsweep.bucket_lengths"].split(",")]
    assert 2 <= len(lengths) <= 4 and lengths[-1] == 40
    uri = run.data.tags["textsweep.model_uri"]
    local = mlflow.artifacts.download_artifacts(uri)  # run_training set the tracking URI
    classifier = load_text_classifier(local)
    assert classifier.buckets.lengths == tuple(lengths)
    assert classifier.keras_model.input_shape == (None, None)  # variable time dimension
    texts = ["a short one", " ".join(["word"] * 35)]
    via_pyfunc = mlflow.pyfunc.load_model(uri).predict(texts)
    x = classifier.vectorizer.transform(texts)
    by_bucket = [classifier.keras_model.predict(trim(x[i:i + 1], classifier.buckets.lengths[b], "pre"), verbose=0)[0, 0]
                 for i, b in enumerate(classifier.buckets.assign(x))]
    assert np.allclose(via_pyfunc.iloc[:, 1].to_numpy(), by_bucket, atol=1e-5)
    assert "explanations/validation_examples.html" in [a.path for a in client.list_artifacts(run.info.run_id, "explanations")]


def test_cudnn_blockers_name_the_block_and_warn_once_on_a_gpu(caplog):
    from textsweep.pipeline.model import warn_off_cudnn

    blocks = [{"type": "lstm", "units": 4, "recurrent_dropout": 0.2, "return_sequences": True},
              {"type": "bidirectional", "layer": {"type": "gru", "units": 4, "activation": "relu"}}]
    reasons = cudnn_blockers(blocks)
    assert reasons[0].startswith("model.blocks[0] (lstm) recurrent_dropout=0.2")
    assert reasons[1].startswith("model.blocks[1] (gru) activation='relu'")
    assert cudnn_blockers([{"type": "lstm", "units": 4, "dropout": 0.2}]) == []
    with caplog.at_level(logging.WARNING, logger="textsweep"):
        assert warn_off_cudnn(blocks, gpu=False) == []  # a CPU has no faster kernel to lose
        assert warn_off_cudnn(blocks, gpu=True) == reasons
        assert warn_off_cudnn(blocks, gpu=True) == []  # said once per process
    assert sum("not cuDNN" in r.message for r in caplog.records) == 1
