"""The variants side by side, computed from the MLflow store: which runs, the rows, their curves.

One row per run: variant, the parameters that differ between the rows (not all of them), validation and
test accuracy, epochs run (and whether pruned), train time, parameter count, status. Sorted by the
validation metric: runs without it (failed, killed) come last with their status. Rendering is
textsweep.rendering's; the command (textsweep compare) is textsweep.commands.compare.
"""

from dataclasses import dataclass, field

# The IMDB tutorial's published test accuracies (percent).
TUTORIAL = {"lstm": 86.79, "lstm_dropout": 85.56, "lstm_recurrent_dropout": 82.82, "cnn_lstm": 86.36}
NOT_COMPARED = ("home", "run_name", "experiment_name", "optuna.", "tracking.", "trainer.verbose", "model.name", "model.blocks")
PARENT_ROLES = ("sweep", "multirun", "comparison")


@dataclass
class Row:
    run_id: str
    variant: str
    status: str
    params: dict
    val_accuracy: float | None
    test_accuracy: float | None
    epochs: int | None
    pruned: bool
    train_time_s: float | None
    parameters: int | None
    dataset: str | None
    differing: dict = field(default_factory=dict)
    reference: float | None = None


def select_runs(client, experiment: str, sweep: str | None = None, parent: str | None = None,
                filter_string: str | None = None, all_runs: bool = False, uri: str = "") -> list:
    from textsweep.tracking.filters import equals, search_runs
    from textsweep.tracking.readonly import experiment as find_experiment

    exp = find_experiment(client, experiment, uri)
    filters = [filter_string or ""]  # MLflow's grammar has `and` only, no parentheses
    if sweep:
        filters.append(equals("tags.`optuna.study`", sweep, "--sweep"))
    if parent:
        filters.append(equals("tags.mlflow.parentRunId", parent, "--parent"))
    runs = search_runs(client, [exp.experiment_id], filters, "--filter", max_results=5000,
                       order_by=["attributes.start_time DESC"])
    runs = [r for r in runs if r.data.tags.get("textsweep.role") not in PARENT_ROLES]
    if not (all_runs or sweep or parent or filter_string):
        runs = one_per_variant(runs)
    return with_baseline(client, exp.experiment_id, runs)


def with_baseline(client, experiment_id: str, runs: list) -> list:
    """Every comparison shows the linear baseline trained on the same data (same dataset fingerprint), when
    there is one, even where a filter or a sweep would leave it out: the row a neural model must beat."""
    fingerprints = {r.data.tags.get("textsweep.dataset_fingerprint") for r in runs} - {None}
    if not fingerprints:
        return runs
    shown = {r.info.run_id for r in runs}
    latest = {}
    for b in client.search_runs([experiment_id], filter_string="tags.`textsweep.role` = 'baseline' and attributes.status = 'FINISHED'",
                                max_results=200, order_by=["attributes.start_time DESC"]):
        fingerprint = b.data.tags.get("textsweep.dataset_fingerprint")
        if fingerprint in fingerprints:
            latest.setdefault(fingerprint, b)
    return runs + [b for b in latest.values() if b.info.run_id not in shown]


def sweep_verdicts(client, experiment_id: str, runs: list) -> list:
    """The verdict (sweeping/verdict.py) of each sweep whose trials are among `runs`, as its newest finished
    invocation wrote it on its parent run: the same lines as the sweep's summary and `sweep status`."""
    from textsweep.sweeping.verdict import from_tags
    from textsweep.tracking.filters import equals, search_runs

    found = []
    for study in sorted({r.data.tags["optuna.study"] for r in runs if "optuna.study" in r.data.tags}):
        parents = search_runs(client, [experiment_id], ["tags.`textsweep.role` = 'sweep'", equals("tags.`optuna.study`", study, "--sweep")],
                              max_results=20, order_by=["attributes.start_time DESC"])
        verdict = next((v for v in (from_tags(p.data.tags) for p in parents) if v is not None), None)
        if verdict is not None:
            found.append(verdict)
    return found


def one_per_variant(runs: list) -> list:
    """The latest run of each variant; for a sweep's trials, the best trial of each study by the sweep's
    objective (a sweep's latest trial is whatever the sampler tried last, often a poor one)."""
    chosen = {}
    for r in runs:  # newest first
        study = r.data.tags.get("optuna.study")
        role = r.data.tags.get("textsweep.role")
        if role == "confirmation":  # a re-training of a trial shown already: its mean is on the trial's run
            continue
        if study is None or role == "baseline":
            chosen.setdefault(("variant", r.data.tags.get("textsweep.variant", r.info.run_name)), r)
            continue
        score = _objective_score(r)
        best = chosen.get(("study", study))
        if score is not None and (best is None or _objective_score(best) is None or score > _objective_score(best)):
            chosen[("study", study)] = r
        elif best is None:
            chosen[("study", study)] = r
    return list(chosen.values())


def _objective_score(run) -> float | None:
    """The sweep's objective, signed so that larger is better (val_loss is minimised)."""
    from textsweep.sweeping.objectives import PER_EPOCH, metric_of

    objective = run.data.params.get("optuna.objective") or "val_accuracy"
    value = run.data.metrics.get(metric_of(objective if objective in PER_EPOCH else "val_accuracy"))
    if value is None or run.data.tags.get("pruned") == "true":
        return None
    return -value if objective == "val_loss" else value


def build_rows(runs, reference: str | None = None) -> list[Row]:
    rows = []
    for r in runs:
        m, tags = r.data.metrics, r.data.tags
        params = {k: v for k, v in r.data.params.items() if not k.startswith(NOT_COMPARED)}
        total = m.get("params_trainable", 0) + m.get("params_non_trainable", 0) if "params_trainable" in m else None
        variant = tags.get("textsweep.variant", r.info.run_name)
        if tags.get("textsweep.role") == "baseline":
            variant = f"{variant} (baseline)"
        rows.append(Row(r.info.run_id, variant, r.info.status, params,
                        m.get("final_val_accuracy"), m.get("test_accuracy"),
                        int(m["epochs_run"]) if "epochs_run" in m else None, tags.get("pruned") == "true",
                        m.get("train_time_s"), int(total) if total is not None else None, tags.get("textsweep.dataset")))
    keys = sorted({k for row in rows for k in row.params})
    differing = [k for k in keys if len({row.params.get(k) for row in rows}) > 1]
    for row in rows:
        row.differing = {k: row.params.get(k, "") for k in differing}
        if reference == "tutorial" and row.dataset == "imdb":
            row.reference = TUTORIAL.get(row.variant)
    rows.sort(key=lambda row: (row.val_accuracy is None, -(row.val_accuracy or 0.0)))
    return rows


def status_of(row: Row) -> str:
    return "pruned" if row.pruned else row.status.lower()


def as_records(rows: list[Row], reference: bool) -> list[dict]:
    records = []
    for row in rows:
        rec = {"variant": row.variant, **row.differing,
               "val_accuracy": row.val_accuracy, "test_accuracy": row.test_accuracy, "epochs": row.epochs,
               "status": status_of(row), "train_time_s": row.train_time_s, "parameters": row.parameters, "run_id": row.run_id}
        if reference:
            rec["tutorial_test_accuracy"] = row.reference / 100 if row.reference is not None else None
        records.append(rec)
    return records


def curve_histories(client, rows: list[Row]) -> list[tuple[str, dict[str, list[tuple[int, float]]]]]:
    """Each row's variant with its per-epoch validation and training accuracy, as (epoch, value) pairs."""
    curves = []
    for row in rows:
        per_metric = {}
        for metric in ("val_accuracy", "accuracy"):
            history = sorted(client.get_metric_history(row.run_id, metric), key=lambda m: m.step)
            per_metric[metric] = [(m.step, m.value) for m in history]
        curves.append((row.variant, per_metric))
    return curves


def log_comparison(client, experiment_id: str, rows: list[Row], folder) -> str:
    """A small "comparison" run holding the folder's files, tagged with the runs it compares; its run id."""
    from textsweep.tracking.runs import close_run, open_run

    run_id = open_run(client, experiment_id, "comparison", {
        "textsweep.role": "comparison", "textsweep.compared_runs": ",".join(r.run_id for r in rows)[:5000]})
    client.log_artifacts(run_id, str(folder), "comparison")
    close_run(client, run_id, "FINISHED")
    return run_id
