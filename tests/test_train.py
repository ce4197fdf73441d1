"""End to end: real tiny Keras training tracked in a real MLflow store in a temporary folder."""

import signal
import sys
import time

import mlflow
import numpy as np
import pytest

from conftest import review_rows, runs_of, signal_mid_training, write_csv
from textsweep.errors import TrackingError, TrainingFailed
from textsweep.train import run_training


def test_one_run_logs_config_curves_metrics_and_a_text_model(compose, client, home):
    cfg = compose("trainer.epochs=2", "model.units=8", "experiment_name=e2e")
    final = run_training(cfg)
    [run] = runs_of(client, "e2e")
    assert run.info.status == "FINISHED" and run.info.run_name == "lstm"
    assert run.data.params["model.units"] == "8" and run.data.params["dataset.max_tokens"] == "200"
    assert run.data.params["model.blocks.0.type"] == "rnn" and run.data.params["model.blocks.0.cell"] == "lstm"
    tags = run.data.tags
    assert tags["textsweep.variant"] == "lstm" and tags["textsweep.validation_protocol"] == "holdout"
    assert len(tags["textsweep.dataset_fingerprint"]) == 16 and tags["textsweep.data_cache"] == "miss"
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert [m.step for m in client.get_metric_history(run.info.run_id, name)] == [1, 2]
    metrics = run.data.metrics
    assert metrics["final_val_accuracy"] == pytest.approx(final["final_val_accuracy"])
    for name in ("test_accuracy", "test_loss", "train_time_s", "params_trainable", "params_non_trainable"):
        assert name in metrics
    assert metrics["epochs_run"] == 2 and metrics["params_non_trainable"] == 0
    assert {a.path for a in client.list_artifacts(run.info.run_id)} >= {"config.yaml", "accuracy_curve.png", "model_summary.txt"}
    config_text = mlflow.artifacts.load_text(f"{run.info.artifact_uri}/config.yaml")
    assert "units: 8" in config_text and "hydra" not in config_text

    mlflow.set_tracking_uri(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    probs = model.predict(["a wonderful, calming film", "not good at all"])
    assert list(probs.columns) == ["negative", "positive"]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    keras_model = mlflow.keras.load_model(tags["textsweep.model_uri"])
    assert keras_model.input_shape == (None, cfg.dataset.maxlen)


@pytest.mark.slow
def test_second_run_in_the_process_reads_the_cache_and_frees_the_first_model(compose, client, monkeypatch):
    import gc
    import weakref

    import textsweep.pipeline.model

    built, build = [], textsweep.pipeline.model.build_model
    monkeypatch.setattr(textsweep.pipeline.model, "build_model", lambda *a, **k: built.append(weakref.ref(m := build(*a, **k))) or m)
    run_training(compose("experiment_name=cache", "tracking.log_model=false"))
    run_training(compose("experiment_name=cache", "tracking.log_model=false", "model=cnn_lstm", "model.units=4"))
    runs = sorted(runs_of(client, "cache"), key=lambda r: r.info.start_time)
    assert [r.data.tags["textsweep.data_cache"] for r in runs] == ["miss", "hit"]
    assert len({r.data.tags["textsweep.dataset_fingerprint"] for r in runs}) == 1
    # the imports are frozen out of the collector's scans once, before the first model: no trial's model is kept
    gc.collect()
    assert gc.get_freeze_count() > 0 and len(built) == 2 and built[0]() is None


def test_nan_loss_ends_the_run_failed_with_its_reason(compose, client):
    cfg = compose("experiment_name=nan", "trainer.optimizer=sgd", "trainer.learning_rate=1e38", "tracking.log_model=false")
    with pytest.raises(TrainingFailed, match="the loss became NaN/inf at epoch 1") as err:
        run_training(cfg)
    assert err.value.reason == "nan_loss"
    [run] = runs_of(client, "nan")
    assert run.info.status == "FAILED" and run.data.tags["textsweep.failure_reason"] == "nan_loss"


def test_tutorial_protocol_is_explicit_and_tagged(compose, client):
    run_training(compose("experiment_name=proto", "trainer.validate_on_test=true", "tracking.log_model=false"))
    [run] = runs_of(client, "proto")
    assert run.data.tags["textsweep.validation_protocol"] == "test_as_validation"
    assert run.data.metrics["final_val_accuracy"] == pytest.approx(run.data.metrics["test_accuracy"])


def test_unreachable_tracking_server_fails_before_training(compose):
    cfg = compose("tracking=server", "tracking.uri=http://127.0.0.1:9")
    started = time.monotonic()
    with pytest.raises(TrackingError, match="cannot reach the MLflow tracking store at http://127.0.0.1:9"):
        run_training(cfg)
    assert time.monotonic() - started < 60  # MLflow's default retries would take minutes


def test_unwritable_store_is_a_clear_error(compose, home):
    blocker = home / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(TrackingError, match="cannot write the tracking store in .*set TEXTSWEEP_HOME"):
        run_training(compose(f"home={blocker}"))


@pytest.mark.slow
def test_csv_cnn_lstm_from_the_cli_then_predict_raw_text(cli, home, client):
    path = write_csv(home / "reviews.csv", review_rows(400, seed=1))
    result = cli("train", "dataset=csv", f"dataset.path={path}", "dataset.text_column=review",
                 "dataset.label_column=sentiment", "model=cnn_lstm", "trainer.epochs=2", "dataset.maxlen=24",
                 "model.units=8", "embedding.dim=8", "trainer.verbose=0")
    assert result.returncode == 0, result.stderr[-2000:]
    [run] = runs_of(client, "textsweep")
    assert run.info.status == "FINISHED" and run.data.tags["textsweep.variant"] == "cnn_lstm"
    assert "textsweep.overrides" in run.data.tags and "model=cnn_lstm" in run.data.tags["textsweep.overrides"]
    assert "cnn_lstm: val_accuracy=" in result.stdout + result.stderr
    out = cli("predict", f"runs:/{run.info.run_id}/model", "a wonderful film", "an awful film")
    assert out.returncode == 0, out.stderr[-2000:]
    header, *rows = out.stdout.strip().splitlines()
    assert header.split("\t") == ["negative", "positive", "predicted", "text"]
    assert len(rows) == 2
    for row in rows:
        neg, pos, predicted, _ = row.split("\t")
        assert abs(float(neg) + float(pos) - 1) < 1e-3 and predicted in ("negative", "positive")


@pytest.mark.slow
def test_multirun_over_two_presets_makes_two_runs(cli, client):
    result = cli("train", "-m", "model=lstm,cnn_lstm", "experiment_name=multi", "dataset.num_samples=200",
                 "dataset.maxlen=16", "model.units=4", "embedding.dim=4", "trainer.epochs=1",
                 "trainer.verbose=0", "tracking.log_model=false")
    assert result.returncode == 0, result.stderr[-2000:]
    runs = runs_of(client, "multi")
    [parent] = [r for r in runs if r.data.tags.get("textsweep.role") == "multirun"]
    children = [r for r in runs if r is not parent]
    assert sorted(r.info.run_name for r in children) == ["cnn_lstm", "lstm"]
    assert all(r.info.status == "FINISHED" for r in runs)
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parent.info.run_id}
    assert parent.data.metrics["runs_finished"] == 2


@pytest.mark.slow
def test_sigterm_ends_the_run_killed_not_finished(home, client):
    proc = signal_mid_training([sys.executable, "-m", "textsweep", "train", "experiment_name=term", "trainer.epochs=50",
                                "trainer.verbose=0", "tracking.log_model=false"], home, client, "term", signal.SIGTERM)
    assert proc.returncode != 0
    [run] = runs_of(client, "term")
    assert run.info.status == "KILLED" and run.data.tags["textsweep.failure_reason"] == "interrupted"


def test_secrets_are_redacted_from_params_and_config():
    from textsweep.tracking.runs import flatten, mask_secrets, redact

    config = {"db": {"url": "postgresql://u:hunter2@h/db", "password": "hunter2", "api_key": "k-123"},
              "dataset": {"max_tokens": 5000}, "token": "t0k"}
    clean = redact(config)
    assert clean["db"] == {"url": "postgresql://u:***@h/db", "password": "***", "api_key": "***"}
    assert clean["token"] == "***" and clean["dataset"]["max_tokens"] == 5000  # max_tokens is no credential
    assert "hunter2" not in str(flatten(clean)) and "k-123" not in str(flatten(clean))
    assert mask_secrets("http://alice:pw@mlflow:5000") == "http://alice:***@mlflow:5000"
