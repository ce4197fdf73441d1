"""What a sweep selected, set against the linear baseline measured the same way.

One computation for the end-of-sweep summary, `sweep status` and `compare`, so the three print the same
gap. Like is compared with like: when the selection was confirmed over seeds, the baseline was re-trained
with the same seeds (it costs seconds), and the two means are compared; otherwise the selected trial's own
run is compared with the baseline's single run. The test accuracies, averaged the same way, stand beside
the validation ones: the test split never selects, but a user should see it.

The verdict is also written on the sweep's MLflow parent run (`as_tags`), where `compare`, which reads
MLflow only, finds it (`from_tags`).
"""

import json
import statistics
from dataclasses import asdict, dataclass

from textsweep.sweeping.confirm import recorded

TAG = "textsweep.verdict"
TEST_ATTR = "test_accuracy"  # a trial's user attribute, set by its job


@dataclass(frozen=True)
class Verdict:
    study: str
    objective: str
    maximize: bool
    trial: int  # the selected trial
    value: float  # its objective: the confirmed mean, else the trial's own value
    runs: int  # how many trainings `value` averages (1: not confirmed)
    test: float | None  # its test accuracy, averaged over the same trainings
    preset: bool  # the selected trial is the enqueued one: the sweep file's own values, not a searched point
    baseline: float | None = None  # the linear baseline's objective, over the same seeds as `value`
    baseline_runs: int = 0
    baseline_test: float | None = None
    confirm_note: str | None = None  # why fewer trials were confirmed than asked
    linear_weight: float | None = None  # model.linear_blend: the linear model's share of the selected trial's blend

    @property
    def gap(self) -> float | None:
        """How far the selection is above the baseline (in the objective's direction; > 0: the selection wins)."""
        if self.baseline is None:
            return None
        return (self.value - self.baseline) * (1 if self.maximize else -1)


def of_study(study, objective: str, top_k: int = 0) -> "Verdict | None":
    """The verdict on a single-objective study with a complete trial, else None. `top_k`: the confirmation
    asked for (0: the one the study recorded)."""
    if len(study.directions) > 1:
        return None
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state.name == "COMPLETE" and t.value is not None]
    if not complete:
        return None
    maximize = study.direction.name == "MAXIMIZE"
    by_number = {t.number: t for t in complete}
    from textsweep.sweeping.steps import baseline_of

    baseline = baseline_of(study) or {}
    confirmed = recorded(study)
    chosen = None
    if confirmed:
        chosen = next((c for c in confirmed["candidates"] if c["trial"] == confirmed["selected"]), None)
    if chosen is not None and chosen["trial"] in by_number:
        trial = by_number[chosen["trial"]]
        values, tests = chosen["values"], chosen.get("tests") or []
        b_values, b_tests = _baseline_runs(confirmed.get("baseline"), baseline, len(values))
        if b_values and len(b_values) != len(values):  # the baseline's re-trainings missing: one run against one
            values, tests = values[:1], tests[:1]
    else:
        trial = (max if maximize else min)(complete, key=lambda t: t.value)
        values, tests = [trial.value], [t for t in [trial.user_attrs.get(TEST_ATTR)] if t is not None]
        b_values, b_tests = _baseline_runs(None, baseline, 1)
    return Verdict(
        study=study.study_name, objective=objective, maximize=maximize, trial=trial.number,
        value=statistics.fmean(values), runs=len(values), test=_mean(tests), preset="fixed_params" in trial.system_attrs,
        baseline=_mean(b_values), baseline_runs=len(b_values), baseline_test=_mean(b_tests),
        confirm_note=_confirm_note(top_k or (confirmed or {}).get("top_k", 0), confirmed, trials),
        linear_weight=trial.user_attrs.get("linear_weight"),
    )


def _baseline_runs(confirmed_baseline: dict | None, baseline: dict, runs: int) -> tuple[list, list]:
    """The baseline's values and test accuracies over the trainings that match the selection's: its
    confirmation runs when the selection was confirmed, else its one run. A study confirmed before the
    baseline was confirmed too compares the selected trial's own run with the baseline's one run instead."""
    if confirmed_baseline and len(confirmed_baseline.get("values", [])) == runs:
        return confirmed_baseline["values"], confirmed_baseline.get("tests") or []
    if baseline.get("value") is None:
        return [], []
    return [baseline["value"]], [t for t in [baseline.get("test_accuracy")] if t is not None]


def _confirm_note(top_k: int, confirmed: dict | None, trials) -> str | None:
    if top_k <= 0:
        return None
    got = len(confirmed["candidates"]) if confirmed else 0
    if got >= top_k:
        return None
    states = {s: sum(t.state.name == s for t in trials) for s in ("COMPLETE", "PRUNED", "FAIL")}
    return (f"{got} of the top {top_k} confirmed: the study has {states['COMPLETE']} complete trial(s) "
            f"({states['PRUNED']} pruned, {states['FAIL']} failed), and only complete trials are confirmed")


def lines(v: Verdict) -> list[str]:
    """The verdict as a person reads it: the selection, the baseline beside it, the gap, in one to three lines."""
    how = f"mean of {v.runs} seeds" if v.runs > 1 else "one run"
    test = f", test {_pct(v.test)}" if v.test is not None else ""
    preset = " (the sweep file's own values, enqueued first)" if v.preset else ""
    out = [f"selected trial #{v.trial}{preset}: "
           f"{v.objective} {_score(v.objective, v.value)}{test} ({how})"]
    if v.linear_weight is not None:
        out.append(f"its model blends the network with the linear baseline: {v.linear_weight:.2f} linear, "
                   f"{1 - v.linear_weight:.2f} network (model.linear_blend, the weight chosen on validation)")
    if v.baseline is None:
        out.append("no baseline for this study (hydra.sweeper.baseline=false)")
    else:
        b_how = f"mean of the same {v.baseline_runs} seeds" if v.baseline_runs > 1 else "one run"
        b_test = f", test {_pct(v.baseline_test)}" if v.baseline_test is not None else ""
        out.append(f"linear baseline: {v.objective} {_score(v.objective, v.baseline)}{b_test} ({b_how})")
        out.append(_gap_sentence(v))
    if v.confirm_note:
        out.append(v.confirm_note)
    return out


def _gap_sentence(v: Verdict) -> str:
    points = "accuracy" in v.objective
    scale, unit = (100, " points") if points else (1, "")
    gap = v.gap * scale
    test_gap = ""
    if v.test is not None and v.baseline_test is not None:
        test_gap = f" (test: {(v.test - v.baseline_test) * 100:+.2f} points)"
    if abs(gap) < 1e-9:
        return f"the selection ties the linear baseline on {v.objective}{test_gap}"
    if gap > 0:
        return f"the selection beats the linear baseline by {gap:.2f}{unit} of {v.objective}{test_gap}"
    return (f"the linear baseline wins by {-gap:.2f}{unit} of {v.objective}{test_gap}: widen the search "
            "(presets, embedding, learning rate) or keep the baseline")


def as_tags(v: Verdict) -> dict[str, str]:
    return {TAG: json.dumps(asdict(v))}


def from_tags(tags: dict) -> "Verdict | None":
    raw = tags.get(TAG)
    if not raw:
        return None
    try:
        return Verdict(**json.loads(raw))
    except (TypeError, ValueError):
        return None  # written by another version: no verdict rather than a wrong one



def _mean(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return statistics.fmean(values) if values else None


def _pct(value: float) -> str:
    from textsweep.rendering.tables import format_percent

    return format_percent(value, 2)  # two decimals: the gaps beside are in hundredths of a point


def _score(objective: str, value: float) -> str:
    """An objective's value: val_accuracy 0.81734 -> 81.73 %, val_loss 0.41234 -> 0.4123."""
    from textsweep.rendering.tables import accuracy_like

    return _pct(value) if accuracy_like(objective) else f"{value:.4f}"
