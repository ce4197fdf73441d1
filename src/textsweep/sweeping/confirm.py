"""Confirm a sweep's winner: re-train the top k trials with more seeds and select by the mean.

A dozen trials within validation noise of each other (about ±1 point at 2,000 examples) make the single
best one partly luck. Each of the top `top_k` trials is re-trained `seeds - 1` more times with the same
parameters; its own run counts as the first seed. The seeds change the weights' initialisation and the
batch shuffling, never the split: `dataset.split_seed` stays the sweep's, so every run is scored on the
same validation and test examples. The candidate with the best mean is selected; mean ± std go to the
parent run, to each candidate's trial run (metrics confirmed_val_mean / _std / _n, which `promote` prefers)
and to the study (user attribute textsweep.confirmation).
"""

import json
import math
import statistics
from dataclasses import dataclass, field

CONFIRM_ATTR = "textsweep.confirmation"


@dataclass
class Candidate:
    number: int  # the trial's number
    params: dict
    run_id: str | None  # the trial's MLflow run
    values: list[float] = field(default_factory=list)  # the trial's own value first, then one per extra seed
    tests: list[float] = field(default_factory=list)  # test accuracies of the same trainings (never used to select)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0


def candidates(study, top_k: int) -> list[Candidate]:
    """The top_k COMPLETE trials by value, best first (in the study's direction)."""
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE" and t.value is not None]
    maximize = study.direction.name == "MAXIMIZE"
    complete.sort(key=lambda t: t.value, reverse=maximize)
    return [Candidate(t.number, dict(t.params), t.user_attrs.get("mlflow_run_id"), [t.value],
                      [t.user_attrs["test_accuracy"]] if "test_accuracy" in t.user_attrs else []) for t in complete[:top_k]]


def confirmation_seeds(base_seed: int, seeds: int) -> list[int]:
    """The extra seeds: deterministic, distinct from the sweep's own seed."""
    return [base_seed + 1000 * i for i in range(1, seeds)]


def select(found: list[Candidate], maximize: bool) -> Candidate:
    ranked = [c for c in found if all(math.isfinite(v) for v in c.values)]
    return (max if maximize else min)(ranked or found, key=lambda c: c.mean)


def record(study, client, parent_run_id: str, found: list[Candidate], chosen: Candidate, objective: str,
           baseline: Candidate | None = None, top_k: int | None = None) -> None:
    """Mean ± std on the study, the parent run, and each candidate's own trial run; the baseline's runs over the
    same seeds beside them, so the verdict compares like with like (sweeping/verdict.py)."""
    summary = [{"trial": c.number, "mean": c.mean, "std": c.std, "n": len(c.values), "values": c.values,
                "tests": c.tests, "params": c.params, "run_id": c.run_id} for c in found]
    found_attr = {"selected": chosen.number, "objective": objective, "top_k": top_k or len(found), "candidates": summary}
    if baseline is not None and baseline.values:
        found_attr["baseline"] = {"values": baseline.values, "tests": baseline.tests}
    study.set_user_attr(CONFIRM_ATTR, json.dumps(found_attr))
    for c in found:
        if c.run_id:
            client.log_metric(c.run_id, "confirmed_val_mean", c.mean)
            client.log_metric(c.run_id, "confirmed_val_std", c.std)
            client.log_metric(c.run_id, "confirmed_val_n", len(c.values))
    client.log_metric(parent_run_id, "confirmed_best_mean", chosen.mean)
    client.log_metric(parent_run_id, "confirmed_best_std", chosen.std)
    client.set_tag(parent_run_id, "confirmed.trial", str(chosen.number))
    client.set_tag(parent_run_id, "confirmed.params", json.dumps(chosen.params)[:5000])
    lines = ["trial,mean,std,n,values,params"] + [
        f"{c.number},{c.mean:.6f},{c.std:.6f},{len(c.values)},\"{' '.join(f'{v:.6f}' for v in c.values)}\","
        f"\"{json.dumps(c.params).replace(chr(34), chr(39))}\"" for c in found]
    client.log_text(parent_run_id, "\n".join(lines) + "\n", "sweep/confirmation.csv")


def recorded(study) -> dict | None:
    """What the last confirmation step of this study found, or None."""
    raw = study.user_attrs.get(CONFIRM_ATTR)
    return json.loads(raw) if raw else None
