"""The verdict: what a sweep selected against the baseline, measured the same way (sweeping/verdict.py).

Real Optuna studies (in memory) with the attributes a sweep writes; the summary, `sweep status` and
`compare` all print `verdict.lines`, so the gap they show is one number."""

import json

import optuna
import pytest

from textsweep.config.baseline import VALUE_ATTR
from textsweep.sweeping import confirm, verdict

optuna.logging.set_verbosity(optuna.logging.WARNING)
X = optuna.distributions.FloatDistribution(0.0, 1.0)


def study_with(values, tests=None, enqueue_first=False, baseline=None, states=None, weights=None):
    study = optuna.create_study(direction="maximize", study_name="s")
    if enqueue_first:
        study.enqueue_trial({"x": 0.5})
    for i, value in enumerate(values):
        trial = study.ask({"x": X})
        if tests is not None:
            trial.set_user_attr(verdict.TEST_ATTR, tests[i])
        if weights is not None:  # a blended trial's job records the linear model's share (model.linear_blend)
            trial.set_user_attr("linear_weight", weights[i])
        state = (states or {}).get(i, "COMPLETE")
        if state == "COMPLETE":
            study.tell(trial, value)
        else:
            study.tell(trial, state=getattr(optuna.trial.TrialState, state))
    if baseline is not None:
        study.set_user_attr(VALUE_ATTR, json.dumps(baseline))
    return study


def test_an_unconfirmed_sweep_compares_its_best_trial_with_the_baseline_run_and_shows_both_tests():
    study = study_with([0.70, 0.80, 0.75], tests=[0.69, 0.78, 0.74],
                       baseline={"value": 0.77, "test_accuracy": 0.765, "run_id": "r"})
    v = verdict.of_study(study, "val_accuracy")
    assert (v.trial, v.value, v.runs, v.test) == (1, 0.80, 1, 0.78)
    assert (v.baseline, v.baseline_runs, v.baseline_test) == (0.77, 1, 0.765)
    assert v.gap == pytest.approx(0.03)
    text = "\n".join(verdict.lines(v))
    assert "beats the linear baseline by 3.00 points" in text
    assert "test 78.00 %" in text and "test 76.50 %" in text and "test: +1.50 points" in text
    assert "val_accuracy 80.00 %" in text and "val_accuracy 77.00 %" in text  # accuracies read as percentages


def test_a_confirmed_selection_is_compared_with_the_baseline_over_the_same_seeds(record):
    study = study_with([0.70, 0.80, 0.79], tests=[0.6, 0.7, 0.8], baseline={"value": 0.9, "test_accuracy": 0.9})
    found = confirm.candidates(study, 2)
    found[0].values += [0.76, 0.78]
    found[0].tests += [0.70, 0.72]
    found[1].values += [0.79, 0.80]
    found[1].tests += [0.79, 0.81]
    base = confirm.Candidate(-1, {}, None, [0.76, 0.77, 0.75], [0.74, 0.75, 0.76])
    chosen = confirm.select(found, maximize=True)
    record(study, found, chosen, base)
    v = verdict.of_study(study, "val_accuracy", top_k=2)
    assert v.trial == 2 and v.runs == 3 and v.value == pytest.approx((0.79 + 0.79 + 0.80) / 3)
    assert v.test == pytest.approx(0.80)
    # the baseline's single run (0.9) is not what the selection is compared with: its 3 seeds are
    assert v.baseline == pytest.approx(0.76) and v.baseline_runs == 3 and v.baseline_test == pytest.approx(0.75)
    assert "mean of the same 3 seeds" in "\n".join(verdict.lines(v))
    assert v.confirm_note is None


def test_the_preset_trial_and_a_short_confirmation_are_said(record):
    study = study_with([0.80, 0.60, 0.0], enqueue_first=True, baseline={"value": 0.7}, states={2: "PRUNED"})
    found = confirm.candidates(study, 1)
    record(study, found, found[0])
    v = verdict.of_study(study, "val_accuracy", top_k=3)
    assert v.preset and v.trial == 0
    text = "\n".join(verdict.lines(v))
    assert "enqueued first" in text
    assert "1 of the top 3 confirmed" in text and "2 complete trial(s) (1 pruned" in text


def test_a_losing_selection_says_the_baseline_wins_and_a_missing_baseline_is_said():
    v = verdict.of_study(study_with([0.70], baseline={"value": 0.75}), "val_accuracy")
    assert v.gap < 0 and "the linear baseline wins by 5.00 points" in "\n".join(verdict.lines(v))
    v = verdict.of_study(study_with([0.70]), "val_accuracy")
    assert v.baseline is None and "no baseline" in "\n".join(verdict.lines(v))
    assert verdict.of_study(study_with([0.7], states={0: "PRUNED"}), "val_accuracy") is None


def test_the_verdict_travels_through_run_tags_unchanged():
    v = verdict.of_study(study_with([0.70, 0.8], tests=[0.7, 0.79], baseline={"value": 0.75, "test_accuracy": 0.74}),
                         "val_accuracy")
    assert verdict.from_tags(verdict.as_tags(v)) == v
    assert verdict.from_tags({verdict.TAG: '{"unknown": 1}'}) is None


@pytest.fixture
def record(client):
    """confirm.record into a real MLflow parent run (the verdict itself reads the study attribute)."""
    parent = client.create_run(client.create_experiment("verdict")).info.run_id

    def write(study, found, chosen, baseline=None):
        confirm.record(study, client, parent, found, chosen, "val_accuracy", baseline)

    return write


def test_a_confirmed_selection_without_the_baselines_retrainings_is_compared_run_for_run(record):
    # a study confirmed before the baseline was confirmed too (or whose baseline re-trainings failed): its first
    # run against the baseline's one run, never a mean of 3 against a single run
    study = study_with([0.70, 0.80], tests=[0.6, 0.79], baseline={"value": 0.78, "test_accuracy": 0.77})
    found = confirm.candidates(study, 1)
    found[0].values += [0.70, 0.72]
    record(study, found, found[0])
    v = verdict.of_study(study, "val_accuracy")
    assert (v.value, v.runs, v.test, v.baseline, v.baseline_runs) == (0.80, 1, 0.79, 0.78, 1)


def test_a_blended_selection_says_how_much_of_it_is_the_linear_model():
    study = study_with([0.70, 0.80], tests=[0.69, 0.78], baseline={"value": 0.77, "test_accuracy": 0.765},
                       weights=[0.9, 0.35])
    v = verdict.of_study(study, "val_accuracy")
    assert v.linear_weight == 0.35
    assert "blends the network with the linear baseline: 0.35 linear, 0.65 network" in "\n".join(verdict.lines(v))
    assert verdict.from_tags(verdict.as_tags(v)) == v


def test_a_loss_objective_keeps_its_decimals_and_accuracies_read_as_percentages():
    v = verdict.Verdict("s", "val_loss", False, 3, 0.41234, 1, 0.8, False, baseline=0.45678, baseline_runs=1,
                        baseline_test=0.75)
    text = "\n".join(verdict.lines(v))
    assert "val_loss 0.4123, test 80.00 %" in text and "val_loss 0.4568, test 75.00 %" in text
    assert "beats the linear baseline by 0.04 of val_loss" in text
