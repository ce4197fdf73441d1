"""A network blended with the linear baseline (model.linear_blend, pipeline/blend.py): the weight chosen on
validation, the blend's scores in the run, and a logged model that serves raw text."""

import numpy as np
import pytest

from conftest import review_rows, runs_of, write_csv
from textsweep.errors import ConfigError
from textsweep.config.validate import validate_config
from textsweep.pipeline.blend import choose_weight, linear_part
from textsweep.pipeline.data import load_dataset


def _one_hot(y, classes=2, confidence=0.9):
    p = np.full((len(y), classes), (1 - confidence) / (classes - 1))
    p[np.arange(len(y)), y] = confidence
    return p


def test_a_useless_network_gets_no_weight_and_a_better_one_gets_some():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 400)
    linear = _one_hot(np.where(rng.random(400) < 0.7, y, (y + 1) % 3), 3)  # right on 70 %
    noise = rng.dirichlet(np.ones(3), 400)
    w, _, accuracy = choose_weight(linear, noise, y)
    assert accuracy >= np.mean(linear.argmax(1) == y) and w > 0.5
    better = _one_hot(np.where(rng.random(400) < 0.85, y, (y + 2) % 3), 3)  # right on 85 %, other mistakes
    w, loss, accuracy = choose_weight(linear, better, y)
    assert w < 0.5 and accuracy >= 0.85 and np.isfinite(loss)


def test_the_blend_is_never_below_the_linear_model_on_validation():
    rng = np.random.default_rng(1)
    for _ in range(20):
        y = rng.integers(0, 2, 200)
        linear, network = rng.dirichlet(np.ones(2), 200), rng.dirichlet(np.ones(2), 200)
        _, _, accuracy = choose_weight(linear, network, y)
        assert accuracy >= max(np.mean(linear.argmax(1) == y), np.mean(network.argmax(1) == y))


@pytest.mark.slow
@pytest.mark.parametrize("classes, extra", [(2, ["trainer.bucketing=true"]), (3, ["model.wide=4"])])
def test_a_blended_run_scores_the_blend_and_logs_a_model_that_reads_raw_text(compose, client, home, classes, extra):
    import mlflow

    from textsweep.train import run_training

    names = ("negative", "positive", "neutral")[:classes]
    path = write_csv(home / "reviews.csv", review_rows(360, seed=3, classes=names))
    data = ["dataset=csv", f"dataset.path={path}", "dataset.text_column=review", "dataset.label_column=sentiment",
            "dataset.split_seed=5", "trainer.epochs=2", "trainer.verbose=0",
            "tracking.explain_examples=0", "experiment_name=blend"]
    blended = run_training(compose("model=cnn_maxpool", "model.filters=8", "model.linear_blend=true", *data, *extra))
    baseline = run_training(compose("baseline=true", *data))
    assert 0.0 <= blended["linear_weight"] <= 1.0
    assert blended["final_val_accuracy"] >= baseline["final_val_accuracy"]  # w = 1 is the baseline itself
    cfg = compose("baseline=true", *data)
    part = linear_part(load_dataset(cfg.dataset, cfg.trainer, 5, None, whole_texts=True))
    assert part.fit.history["val_accuracy"][part.fit.step] == baseline["final_val_accuracy"]  # to the last digit
    assert part.fit.C == baseline["linear_C"]
    run = next(r for r in runs_of(client, "blend") if r.info.run_id == blended["run_id"])
    assert run.info.status == "FINISHED" and run.info.run_name == "cnn_maxpool-" + "wide-" * bool(extra[0].startswith("model.wide")) + "blend"
    curves = {key: [m.value for m in client.get_metric_history(run.info.run_id, key)]
              for key in ("val_accuracy", "network_val_accuracy", "linear_weight")}
    assert len(curves["network_val_accuracy"]) == len(curves["val_accuracy"]) >= 1  # one point an epoch
    assert run.data.metrics["linear_weight"] == pytest.approx(blended["linear_weight"])  # the kept epoch's, last
    model = mlflow.pyfunc.load_model(run.data.tags["textsweep.model_uri"])
    probabilities = model.predict(["a wonderful film", "awful", ""])
    assert list(probabilities.columns[:classes]) == list(sorted(names))
    values = probabilities.iloc[:, :classes].to_numpy(dtype=float)
    assert np.isfinite(values).all() and np.allclose(values.sum(axis=1), 1.0, atol=1e-5)


def test_the_linear_model_cannot_blend_with_itself(compose):
    with pytest.raises(ConfigError, match="model.linear_blend=true blends a neural model with the linear baseline"):
        validate_config(compose("model=bag_of_ngrams", "model.linear_blend=true"))
