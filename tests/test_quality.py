"""Sweeps that find models worth keeping, for real on tiny data: the linear n-gram baseline, the structural knobs,
knobs that apply to some presets only, early stopping as the budget, and the confirmation of the winner."""

import json

import numpy as np
import optuna
import pytest

from conftest import runs_of, tiny
from textsweep.errors import ConfigError
from textsweep.config.validate import validate_config

TINY = tiny(epochs=2, log_model=False)


def test_rnn_block_builds_each_cell_direction_and_reduction(compose):
    import keras

    from omegaconf import OmegaConf

    from textsweep.pipeline.model import build_model

    cfg = compose("model=rnn_classifier", "model.cell=gru", "model.bidirectional=true", "model.reduce=avg", "model.units=3")
    validate_config(cfg)
    model = build_model(OmegaConf.to_container(cfg.model.blocks, resolve=True), vocab_size=50, embedding_dim=4,
                        trainable_embedding=True, maxlen=16, num_classes=2)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert "Bidirectional" in kinds and "GlobalAveragePooling1D" in kinds
    assert isinstance(next(l for l in model.layers if isinstance(l, keras.layers.Bidirectional)).forward_layer,
                      keras.layers.GRU)


@pytest.mark.parametrize("override, expected", [
    ("model.cell=transformer", "model.cell='transformer' is not valid: use one of lstm, gru"),
    ("model.reduce=mean", "model.reduce='mean' is not valid: use one of last, max, avg"),
])
def test_unknown_cell_or_reduction_fails_in_one_line(compose, override, expected):
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        validate_config(compose("model=rnn_classifier", override))


def test_a_knob_the_preset_does_not_use_is_an_error_in_a_run_and_not_applicable_in_a_sweep(compose):
    cfg = compose("model=lstm", "model.filters=8")
    with pytest.raises(ConfigError, match="model.filters=8 is not used by the model preset 'lstm'"):
        validate_config(cfg)
    assert validate_config(cfg, in_sweep=True) == ["filters"]


@pytest.mark.slow
def test_early_stopping_is_on_in_a_sweep_and_the_objective_is_the_restored_epochs_score(compose, client):
    from textsweep.train import run_training

    sweep_job = compose("trainer.epochs=6", "trainer.early_stopping.patience=1", "optuna.study_name=es",
                        "experiment_name=es", "tracking.explain_examples=0", *TINY[-1:])
    result = run_training(sweep_job)
    [run] = runs_of(client, "es")
    curve = [m.value for m in client.get_metric_history(run.info.run_id, "val_accuracy")]
    best = int(run.data.metrics["best_epoch"])
    assert result["final_val_accuracy"] == pytest.approx(curve[best - 1]) == pytest.approx(max(curve))
    assert "textsweep.bucket_lengths" in run.data.tags  # a sweep's trials are bucketed by length too
    # a single run keeps the tutorials' fixed epochs and padding
    single = run_training(compose("trainer.epochs=2", "experiment_name=single", *TINY[-1:]))
    [single_run] = runs_of(client, "single")
    assert single["epochs_run"] == 2 and "best_epoch" not in single_run.data.metrics
    assert "textsweep.bucket_lengths" not in single_run.data.tags


@pytest.mark.slow
def test_the_pruner_is_told_each_trials_best_epoch_so_far_when_early_stopping_restores_it(cli, home, client):
    # With the best epoch restored, a trial's value at any epoch is its best so far: a trial that peaked early
    # and then overfits is compared at the rungs by that peak. Without early stopping, by the raw epoch value.
    import math

    def curves(study: str, experiment: str):
        trials = optuna.load_study(study_name=study, storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}").trials
        runs = {r.data.tags["optuna.trial"]: r for r in runs_of(client, experiment) if "optuna.trial" in r.data.tags}
        for t in trials:
            raw = [m.value for m in sorted(client.get_metric_history(runs[str(t.number)].info.run_id, "val_accuracy"),
                                           key=lambda m: m.step)]
            yield t, [t.intermediate_values[s] for s in sorted(t.intermediate_values)], raw

    # a learning rate high enough that tiny data's validation accuracy goes down as well as up
    common = ["train", "-m", "hydra/sweeper=optuna", "hydra/sweeper/sampler=grid", "hydra/sweeper/pruner=none",
              *tiny(epochs=6, samples=200, log_model=False), "trainer.learning_rate=0.05", "model.units=choice(3,6)",
              "hydra.sweeper.baseline=false"]
    kept = cli(*common, "experiment_name=best", "hydra.sweeper.study_name=best", "trainer.early_stopping.patience=6")
    assert kept.returncode == 0, kept.stderr[-3000:]
    went_down = 0
    for trial, reported, raw in curves("best", "best"):
        running = [max(raw[:i + 1]) for i in range(len(raw))]
        assert reported == pytest.approx(running) and trial.value == pytest.approx(max(raw))
        went_down += running != raw
    assert went_down, "no trial's validation accuracy went down: the test shows nothing"
    plain = cli(*common, "experiment_name=raw", "hydra.sweeper.study_name=raw", "trainer.early_stopping.enabled=false")
    assert plain.returncode == 0, plain.stderr[-3000:]
    for trial, reported, raw in curves("raw", "raw"):
        assert reported == pytest.approx(raw) and math.isclose(trial.value, raw[-1], rel_tol=1e-6)


def test_wide_and_deep_joins_an_ngram_bag_to_the_blocks_and_serves_raw_text(compose, client):
    import mlflow

    from textsweep.train import run_training

    cfg = compose("model=cnn_maxpool", "model.filters=8", "model.wide=4", "trainer.epochs=1", "trainer.bucketing=true",
                  "experiment_name=wide", "tracking.explain_examples=0", *TINY[:5])
    run_training(cfg)
    [run] = runs_of(client, "wide")
    assert run.info.status == "FINISHED" and run.info.run_name == "cnn_maxpool-wide"
    model = mlflow.pyfunc.load_model(run.data.tags["textsweep.model_uri"])
    assert list(model.predict(["a wonderful film", "awful"]).columns) == ["negative", "positive"]
    with pytest.raises(ConfigError, match="model.wide=4 adds an n-gram bag beside a neural model"):
        validate_config(compose("model=bag_of_ngrams", "model.wide=4"))
    with pytest.raises(ConfigError, match="model.wide=-1 must be >= 0"):
        validate_config(compose("model=cnn_maxpool", "model.wide=-1"))


def test_the_linear_bag_stands_alone_and_its_c_is_positive(compose):
    validate_config(compose("model=bag_of_ngrams", "dataset.maxlen=1"))  # the bag reads whole texts, not maxlen
    from textsweep.config.blocks import check_blocks

    with pytest.raises(ConfigError, match=r"ngram_bag\) without units is the linear model and stands alone"):
        check_blocks([{"type": "ngram_bag"}, {"type": "dense", "units": 4}], maxlen=10)
    with pytest.raises(ConfigError, match=r"C=0 must be a number > 0"):
        check_blocks([{"type": "ngram_bag", "C": 0}], maxlen=10)
    check_blocks([{"type": "ngram_bag", "units": 8}, {"type": "dense", "units": 4}], maxlen=10)  # a trained projection


@pytest.mark.slow
def test_sweep_over_presets_trains_the_baseline_once_logs_knobs_na_and_confirms_the_winner(cli, home, client):
    args = ["train", "-m", "hydra/sweeper=optuna", "hydra.sweeper.sampler.n_startup_trials=2", *TINY,
            "experiment_name=presets", "model=choice(lstm,cnn_maxpool)", "model.units=choice(3,5)",
            "model.filters=choice(4,6)", "hydra.sweeper.confirm.top_k=1", "hydra.sweeper.confirm.seeds=2"]
    first = cli(*args, "hydra.sweeper.n_trials=3")
    assert first.returncode == 0, first.stderr[-3000:]
    runs = runs_of(client, "presets")
    roles = [r.data.tags.get("textsweep.role") for r in runs]
    # the winner's re-training, and the baseline's with the same seed (the verdict compares like with like)
    assert roles.count("baseline") == 1 and roles.count("confirmation") == 2
    for run in [r for r in runs if r.data.tags.get("textsweep.role") != "sweep"]:  # the jobs, not the parent run:
        # the n-gram bag has no time steps to bucket; every network does, in a sweep
        assert ("textsweep.bucket_lengths" in run.data.tags) == (run.data.tags.get("textsweep.variant") != "bag_of_ngrams")
    trials = [r for r in runs if "optuna.trial" in r.data.tags]
    assert len(trials) == 3
    for run in trials:
        preset = run.data.params["model.name"]
        assert run.info.run_name.startswith(preset)  # run names say what differs
        na = run.data.tags.get("textsweep.not_applicable", "")
        assert ("model.filters" in na) == (preset == "lstm") and ("model.units" in na) == (preset == "cnn_maxpool")
    study = optuna.load_study(study_name="presets", storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}")
    confirmed = json.loads(study.user_attrs["textsweep.confirmation"])
    [candidate] = confirmed["candidates"]
    assert candidate["n"] == 2 and len(candidate["values"]) == 2
    assert len(confirmed["baseline"]["values"]) == 2 and len(confirmed["baseline"]["tests"]) == 2
    confirm_of = sorted(r.data.tags["textsweep.confirm_of"] for r in runs if r.data.tags.get("textsweep.role") == "confirmation")
    assert confirm_of == sorted([str(candidate["trial"]), "baseline"])
    confirm_run = next(r for r in runs if r.data.tags.get("textsweep.confirm_of") == str(candidate["trial"]))
    assert confirm_run.data.params["dataset.split_seed"] == "42" and confirm_run.data.params["seed"] != "42"
    winner = client.get_run(candidate["run_id"])
    assert winner.data.metrics["confirmed_val_mean"] == pytest.approx(candidate["mean"])
    assert "selected trial #" in first.stdout and "linear baseline: val_accuracy" in first.stdout
    # compare shows the baseline trained on the same data beside whatever the filter selects
    shown = cli("compare", "--experiment", "presets", "--filter", "tags.`optuna.trial` = '0'", "--format", "json", "--no-log")
    assert shown.returncode == 0, shown.stderr[-2000:]
    variants = [row["variant"] for row in json.loads(shown.stdout)]
    assert len(variants) == 2 and variants.count("bag_of_ngrams (baseline)") == 1, variants
    status = cli("sweep", "status", "presets")
    assert status.returncode == 0 and "linear baseline" in status.stdout, status.stdout + status.stderr
    # a second invocation adds trials, not another baseline
    again = cli(*args, "hydra.sweeper.n_trials=1", "hydra.sweeper.confirm.top_k=0")
    assert again.returncode == 0, again.stderr[-3000:]
    assert [r.data.tags.get("textsweep.role") for r in runs_of(client, "presets")].count("baseline") == 1


@pytest.mark.parametrize("space, expected", [
    (["model=lstm_dropout", "model.dropout=interval(0.0, 1.5)"], "hydra.sweeper.params.model.dropout: model.dropout=1.5 is out of range"),
    (["model=choice(lstm,rnn_classifier)", "model.cell=choice(lstm,transformer)"], "model.cell='transformer' is not valid"),
    (["model=choice(lstm,lstm_dropout)", "model.filters=choice(4,8)"], "no preset this sweep can choose (lstm, lstm_dropout) uses it"),
    (["model.blocks=choice([{type:lstm,units:4}],[{type:gru,units:4}])"], "choice() of lists or mappings is not supported"),
    (["model=choice(lstm,nosuch)"], "hydra.sweeper.params.model: nosuch is not an option of the model group: choose among"),
])
@pytest.mark.slow
def test_a_search_space_that_cannot_work_fails_in_one_line_before_any_trial(cli, client, space, expected):
    result = cli("train", "-m", "hydra/sweeper=optuna", *TINY, "experiment_name=badspace", *space)
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("textsweep: error:")]
    assert len(errors) == 1 and expected in errors[0], result.stderr[-2000:]
    assert runs_of(client, "badspace") == []  # nothing ran: not even the baseline or a parent run


def test_promote_prefers_confirmed_means_keeps_the_baseline_in_the_running_and_skips_confirmation_runs(client):
    from textsweep.results.promotion import best_run

    exp = client.create_experiment("promote_rule")

    def run(name, val, role=None, confirmed=None):
        run_id = client.create_run(exp, run_name=name, tags={"optuna.study": "rule", "textsweep.model_uri": f"runs:/{name}/model",
                                                             **({"textsweep.role": role} if role else {})}).info.run_id
        client.log_metric(run_id, "final_val_accuracy", val)
        if confirmed is not None:
            client.log_metric(run_id, "confirmed_val_mean", confirmed)
        client.set_terminated(run_id)
        return run_id

    run("lucky", 0.90)  # one seed's luck, never confirmed
    steady = run("steady", 0.85, confirmed=0.84)
    run("shaky", 0.86, confirmed=0.80)
    run("re-training", 0.95, role="confirmation")
    assert best_run(client, "rule").info.run_id == steady
    baseline = run("baseline", 0.845, role="baseline")
    assert best_run(client, "rule").info.run_id == baseline  # the baseline's own score beats the best confirmed mean


@pytest.mark.parametrize("epochs, pruned_at", [(2, None), (3, 2)])
def test_a_trial_that_reached_its_last_epoch_completes_instead_of_being_pruned_there(tmp_path, epochs, pruned_at):
    # Successive halving's rungs sit at 0-based steps 1, 3, 9 (epochs 2, 4, 10): with a budget of 10 epochs the
    # third falls on the last epoch, where pruning saves nothing and throws away a finished trial. The last epoch
    # is reported (the rung records it for later trials) but not pruned; an earlier rung still prunes. Here the
    # first rung (epoch 2) is the last epoch of a 2-epoch budget, and an earlier one of a 3-epoch budget.
    import keras

    from textsweep.sweeping.keras_pruning import OptunaPruning
    from textsweep.sweeping.study import PRUNER_ATTR, ReopenedTrial

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(study_name="last", storage=storage, direction="maximize")
    study.set_user_attr(PRUNER_ATTR, json.dumps({"_target_": "optuna.pruners.SuccessiveHalvingPruner", "min_resource": 1,
                                                 "reduction_factor": 3}))
    for _ in range(3):  # a history that ranks any weak trial below the top third at the first rung
        study.add_trial(optuna.create_trial(value=0.99, intermediate_values={s: 0.99 for s in range(4)},
                                            system_attrs={"completed_rung_0": 0.99}))
    number = study.ask().number
    hook = OptunaPruning(ReopenedTrial(storage, "last", number), "val_accuracy", "max", epochs=epochs)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    x, y = np.zeros((8, 1)), np.array([0, 1] * 4)  # no feature to learn from: val_accuracy 0.5 at every epoch
    fitted = model.fit(x, y, validation_data=(x, y), epochs=epochs, callbacks=[hook], verbose=0)
    assert hook.pruned_at == pruned_at and len(fitted.history["val_accuracy"]) == (pruned_at or epochs)
    trial = optuna.load_study(study_name="last", storage=storage).trials[number]
    assert max(trial.intermediate_values) == 1 and trial.system_attrs.get("completed_rung_0") == 0.5  # reported, recorded


def test_successive_halving_prunes_nobody_before_its_startup_trials_complete(tmp_path):
    # The preset, enqueued first, completes with a good score; a searched trial that starts slower is the
    # worst of the rung and would be pruned at once. With n_startup_trials (MedianPruner's name, given to
    # successive halving by textsweep) nothing is pruned until that many trials completed; then halving resumes.
    from textsweep.sweeping.study import PRUNER_ATTR, ReopenedTrial, make_pruner

    spec = {"_target_": "optuna.pruners.SuccessiveHalvingPruner", "min_resource": 1, "reduction_factor": 3,
            "n_startup_trials": 2}
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(study_name="fair", storage=storage, direction="maximize", pruner=make_pruner(spec))
    study.set_user_attr(PRUNER_ATTR, json.dumps(spec))
    def trial_reporting(*values):  # as a job does: report each epoch, ask the pruner (which records the rungs)
        trial = ReopenedTrial(storage, "fair", study.ask().number)
        return [trial.report(value, step) for step, value in enumerate(values)], trial

    assert trial_reporting(0.80, 0.85)[0] == [False, False]  # the preset
    study.tell(0, 0.85)
    pruned, searched = trial_reporting(0.60, 0.62)
    assert pruned == [False, False]  # one trial complete of the two: it runs its whole budget
    study.tell(searched.number, 0.62)
    # two complete: halving is back, and ranks a slow start against both (0.62 recorded at the rung as well)
    assert trial_reporting(0.60, 0.61)[0] == [False, True]
    assert sorted(t.system_attrs.get("completed_rung_0") for t in study.get_trials()) == [0.61, 0.62, 0.85]
    assert make_pruner({**spec, "n_startup_trials": 0}).__class__ is optuna.pruners.SuccessiveHalvingPruner
    with pytest.raises(ConfigError, match="n_startup_trials"):
        make_pruner({**spec, "n_startup_trials": -1})
