"""compare, promote, predict and explain on a real store the tests fill: three presets and a failed run."""

import csv
import io
import json
import subprocess
import sys

import mlflow
import pytest

from conftest import TINY, user_env
from textsweep.config.compose import compose_config
from textsweep.errors import ConfigError, TrainingFailed
from textsweep.train import run_training


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """lstm and lstm_dropout (tiny), a well-trained cnn_lstm, and one run that failed with a NaN loss."""
    home = tmp_path_factory.mktemp("compare-home")
    base = [f"home={home}", *TINY, "experiment_name=variants"]
    run_training(compose_config([*base, "model=lstm", "model.units=8"]))
    run_training(compose_config([*base, "model=lstm_dropout", "model.units=8", "model.dropout=0.3"]))
    # Good enough to check the attribution methods on: the synthetic task, learned (val accuracy ~0.97).
    run_training(compose_config([*base, "model=cnn_lstm", "dataset.num_samples=4000", "dataset.maxlen=40",
                                 "dataset.max_words=30", "embedding.dim=16", "model.units=16", "trainer.epochs=4",
                                 "trainer.learning_rate=0.003"]))
    with pytest.raises(TrainingFailed):
        run_training(compose_config([*base, "model=keras_docs_lstm", "model.units=4", "trainer.optimizer=sgd",
                                     "trainer.learning_rate=1e38", "tracking.log_model=false"]))
    return home


def cli(home, *args):
    return subprocess.run([sys.executable, "-m", "textsweep", *args], cwd=home, env=user_env(home),
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_compare_rows_differing_params_and_failed_runs(store):
    from textsweep.results.comparison import build_rows, select_runs

    client = mlflow.MlflowClient(f"sqlite:///{store / 'mlruns' / 'mlflow.db'}")
    rows = build_rows(select_runs(client, "variants"))
    assert [r.variant for r in rows][:3][0] == "cnn_lstm" and {r.variant for r in rows} == {
        "lstm", "lstm_dropout", "cnn_lstm", "keras_docs_lstm"}
    assert rows[-1].variant == "keras_docs_lstm" and rows[-1].status == "FAILED" and rows[-1].val_accuracy is None
    vals = [r.val_accuracy for r in rows[:3]]
    assert vals == sorted(vals, reverse=True)
    differing = set(rows[0].differing)
    assert {"model.units", "dataset.num_samples", "trainer.epochs"} <= differing
    assert "dataset.max_tokens" not in differing and "seed" not in differing  # equal everywhere: left out
    assert not any(k.startswith(("home", "optuna.")) for k in differing)
    assert rows[0].parameters and rows[0].epochs == 4


@pytest.mark.slow
def test_compare_cli_formats_parse_and_figures_are_logged(store, tmp_path):
    md = cli(store, "compare", "--experiment", "variants", "--format", "md", "--out", str(tmp_path / "cmp"))
    assert md.returncode == 0, md.stderr[-2000:]
    lines = md.stdout.strip().splitlines()
    assert lines[0].startswith("| variant |") and lines[1].startswith("|---") and len(lines) == 6
    out = cli(store, "compare", "--experiment", "variants", "--format", "json", "--no-log")
    records = json.loads(out.stdout)
    assert records[0]["variant"] == "cnn_lstm" and records[-1]["status"] == "failed"
    rows = list(csv.DictReader(io.StringIO(cli(store, "compare", "--experiment", "variants", "--format", "csv", "--no-log").stdout)))
    assert len(rows) == 4 and float(rows[0]["val_accuracy"]) > 0.9
    for name in ("comparison.png", "comparison.html", "comparison.md", "comparison.csv", "comparison.json"):
        assert (tmp_path / "cmp" / name).stat().st_size > 100
    assert "data:image/png;base64," in (tmp_path / "cmp" / "comparison.html").read_text()
    client = mlflow.MlflowClient(f"sqlite:///{store / 'mlruns' / 'mlflow.db'}")
    [comparison] = [r for r in client.search_runs([client.get_experiment_by_name("variants").experiment_id])
                    if r.data.tags.get("textsweep.role") == "comparison"]
    assert {"comparison/comparison.png", "comparison/comparison.html"} <= {a.path for a in client.list_artifacts(comparison.info.run_id, "comparison")}


def test_tutorial_reference_column_for_imdb_runs():
    from textsweep.results.comparison import TUTORIAL, Row, as_records, build_rows  # noqa: F401

    row = Row("r1", "cnn_lstm", "FINISHED", {}, 0.85, 0.86, 3, False, 10.0, 216405, "imdb")
    row.reference = TUTORIAL[row.variant]
    assert as_records([row], reference=True)[0]["tutorial_test_accuracy"] == pytest.approx(0.8636)


@pytest.mark.slow
def test_promote_by_validation_then_predict_and_explain_from_the_champion(store, tmp_path):
    promoted = cli(store, "promote", "variants", "--name", "sentiment")
    assert promoted.returncode == 0, promoted.stderr[-2000:]
    client = mlflow.MlflowClient(f"sqlite:///{store / 'mlruns' / 'mlflow.db'}")
    version = client.get_model_version_by_alias("sentiment", "champion")
    best = client.get_run(version.tags["textsweep.run_id"])
    assert best.data.tags["textsweep.variant"] == "cnn_lstm"  # the best by final_val_accuracy
    assert float(version.tags["final_val_accuracy"]) == pytest.approx(best.data.metrics["final_val_accuracy"], abs=1e-4)
    # the few tags a person decides by; every param stays on the run the version names
    assert set(version.tags) <= {"textsweep.run_id", "textsweep.promoted_from", "textsweep.variant", "textsweep.dataset",
                                 "final_val_accuracy", "confirmed_val_mean", "test_accuracy"}
    assert best.data.params["model.units"] == "16" and version.run_id == best.info.run_id
    # MLflow's own "Successfully registered model" / "Created version" lines do not reach the terminal
    assert "registered model" not in promoted.stderr and "Created version" not in promoted.stderr

    predicted = cli(store, "predict", "models:/sentiment@champion", "a wonderful, calming film", "an awful, boring film")
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    header, *rows = predicted.stdout.strip().splitlines()
    assert header.split("\t")[:3] == ["negative", "positive", "predicted"]
    assert [r.split("\t")[2] for r in rows] == ["positive", "negative"]
    for r in rows:
        neg, pos = map(float, r.split("\t")[:2])
        assert neg + pos == pytest.approx(1.0, abs=1e-3)

    page = tmp_path / "why.html"
    explained = cli(store, "explain", "models:/sentiment@champion", "This landscape is wonderful and calming", "--html", str(page))
    assert explained.returncode == 0, explained.stderr[-2000:]
    first = explained.stdout.splitlines()[0]
    assert first.startswith("this(") and first.count("(") == 6  # one contribution per word
    assert "wonderful" in page.read_text() and "<span" in page.read_text()


@pytest.mark.slow
def test_promote_refuses_without_a_finished_run_with_a_model(store):
    mlflow.set_tracking_uri(f"sqlite:///{store / 'mlruns' / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    exp = client.create_experiment("only-failures")
    run = client.create_run(exp)
    client.set_terminated(run.info.run_id, "FAILED")
    from textsweep.results.promotion import best_run

    with pytest.raises(ConfigError, match="has no finished run with a logged model"):
        best_run(client, "only-failures")
    refused = cli(store, "promote", "only-failures", "--name", "nothing")
    assert refused.returncode == 2 and "textsweep: error:" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.parametrize("method", ["occlusion", "integrated_gradients", "prefix"])
@pytest.mark.slow
def test_attributions_change_sign_when_the_sentiment_word_is_swapped(store, method):
    """A real check of each method: on a model that learned the synthetic task, the same sentence with
    'wonderful' or with 'awful' gives that word opposite contributions toward 'positive'."""
    from textsweep.pipeline.explain import explain_text
    from textsweep.serving import load_classifier

    mlflow.set_tracking_uri(f"sqlite:///{store / 'mlruns' / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    [run] = [r for r in client.search_runs([client.get_experiment_by_name("variants").experiment_id])
             if r.data.tags.get("textsweep.variant") == "cnn_lstm"]
    assert run.data.metrics["final_val_accuracy"] > 0.9
    classifier = load_classifier(run.data.tags["textsweep.model_uri"])
    good = explain_text(classifier, "the story was wonderful", method, target="positive")
    bad = explain_text(classifier, "the story was awful", method, target="positive")
    assert good.words == ["the", "story", "was", "wonderful"] and len(good.contributions) == 4
    assert good.contributions[3] > 0 > bad.contributions[3]
    assert abs(good.contributions[3]) == max(abs(c) for c in good.contributions)


def test_every_run_logs_an_explanation_page(store):
    client = mlflow.MlflowClient(f"sqlite:///{store / 'mlruns' / 'mlflow.db'}")
    run = next(r for r in client.search_runs([client.get_experiment_by_name("variants").experiment_id])
               if r.data.tags.get("textsweep.variant") == "lstm")
    assert "explanations/validation_examples.html" in {a.path for a in client.list_artifacts(run.info.run_id, "explanations")}
    page = mlflow.artifacts.load_text(f"{run.info.artifact_uri}/explanations/validation_examples.html")
    assert page.count('class="ex"') == 5
