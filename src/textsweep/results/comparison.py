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


LIMIT = 50  # rows a listing shows by default (--sweep, --parent, --filter, --all): the best by validation
DISCOVERED = 100  # variants and studies found one search each; beyond, the rest are read in one paged search


def select_runs(client, experiment: str, sweep: str | None = None, parent: str | None = None,
                filter_string: str | None = None, all_runs: bool = False, uri: str = "", limit: int = LIMIT) -> list:
    """The runs to compare. The store filters and sorts (a filter string, order_by, max_results): an experiment of
    10,000 runs costs a few small searches, not a read of every run with its params and metrics.

    A listing (a sweep, a parent, a filter, or --all) is the best `limit` runs by validation (0: every run); the
    default is the latest run of each variant and the best trial of each sweep (one_per_variant's rule)."""
    from textsweep.tracking.filters import equals
    from textsweep.tracking.readonly import experiment as find_experiment

    exp = find_experiment(client, experiment, uri)
    filters = [filter_string or ""]  # MLflow's grammar has `and` only, no parentheses
    if sweep:
        filters.append(equals("tags.`optuna.study`", sweep, "--sweep"))
    if parent:
        filters.append(equals("tags.mlflow.parentRunId", parent, "--parent"))
    if all_runs or sweep or parent or filter_string:
        runs = _search(client, exp.experiment_id, filters, ["metrics.final_val_accuracy DESC", "attributes.start_time DESC"],
                       lambda r: r.data.tags.get("textsweep.role") not in PARENT_ROLES, limit or None)
    else:  # two chains of small searches, each waiting on the store: side by side, the wall time of the longer one
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            variants = pool.submit(latest_per_variant, client, exp.experiment_id, filters)
            studies = pool.submit(best_per_study, client, exp.experiment_id, filters)
            runs = variants.result() + studies.result()
    return with_baseline(client, exp.experiment_id, runs)


def _search(client, experiment_id: str, filters: list[str], order_by: list[str], keep, wanted: int | None,
            page: int = 200) -> list:
    """Runs in the store's order that `keep` accepts, page by page, until `wanted` (None: all) are found."""
    from textsweep.tracking.filters import search_runs

    found, token = [], None
    while wanted is None or len(found) < wanted:
        batch = search_runs(client, [experiment_id], filters, "--filter", order_by=order_by, page_token=token,
                            max_results=page if wanted is None else min(page, max(wanted - len(found), 1) + 5))
        found += [r for r in batch if keep(r)]
        token = batch.token
        if not token:
            break
    return found if wanted is None else found[:wanted]


NEWEST = ["attributes.start_time DESC"]


def _discover(client, experiment_id: str, filters: list[str], key: str, name_of, order: list[str] = NEWEST) -> list:
    """The first run, in `order` (newest first by default), of each distinct value of `key` (a tag or attribute),
    one search per value: each search excludes the values found so far. Past DISCOVERED values, the rest come
    from one paged search."""
    from textsweep.tracking.filters import equals

    found, seen = [], []
    while len(seen) < DISCOVERED:
        batch = _search(client, experiment_id, filters + [_not_equal(equals(key, v, "a name")) for v in seen], order,
                        lambda r: True, 1)
        if not batch:
            return found
        seen.append(name_of(batch[0]))
        found.append(batch[0])
    rest = _search(client, experiment_id, filters + [_not_equal(equals(key, v, "a name")) for v in seen], order,
                   lambda r: True, None)
    newest = {}
    for r in rest:
        newest.setdefault(name_of(r), r)
    return found + list(newest.values())


def _not_equal(clause: str) -> str:
    """`key = 'v'` as `key != 'v'` (MLflow's != matches only runs that have the key: the scopes ask for it)."""
    return clause.replace(" = ", " != ", 1)


def latest_per_variant(client, experiment_id: str, filters: list[str]) -> list:
    """The latest run of each variant among the runs of no sweep, and of the baselines (a sweep's included)."""
    chosen = {}
    scopes = (["tags.`optuna.study` IS NULL", "tags.`textsweep.variant` IS NOT NULL"], ["tags.`textsweep.role` = 'baseline'"])
    for scope in scopes:
        for r in _discover_kept(client, experiment_id, [*filters, *scope], "tags.`textsweep.variant`",
                                lambda r: r.data.tags.get("textsweep.variant")):
            key = r.data.tags.get("textsweep.variant")
            if key not in chosen or r.info.start_time > chosen[key].info.start_time:
                chosen[key] = r
    unnamed = [*filters, "tags.`optuna.study` IS NULL", "tags.`textsweep.variant` IS NULL"]  # runs made elsewhere
    for r in _discover_kept(client, experiment_id, unnamed, "attributes.run_name", lambda r: r.info.run_name):
        chosen.setdefault(r.info.run_name, r)
    return list(chosen.values())


def _discover_kept(client, experiment_id: str, filters: list[str], key: str, name_of) -> list:
    """As _discover, but a value whose newest run is a parent or a confirmation shows its newest other run."""
    from textsweep.tracking.filters import equals

    kept = []
    for r in _discover(client, experiment_id, filters, key, name_of):
        if _comparable(r):
            kept.append(r)
            continue
        others = _search(client, experiment_id, [*filters, equals(key, name_of(r), "a name")], NEWEST, _comparable, 1)
        kept += others
    return kept


def _comparable(run) -> bool:
    return run.data.tags.get("textsweep.role") not in (*PARENT_ROLES, "confirmation")


def best_per_study(client, experiment_id: str, filters: list[str]) -> list:
    """Each sweep's best trial by its objective (a sweep's latest trial is whatever the sampler tried last, often a
    poor one); a sweep none of whose trials has a score shows its latest trial. The sweeps are found best run
    first by val_accuracy (the default objective), so the run that names a sweep is, in the common case, its
    best trial already; a sweep whose first run is not a scored trial, or that minimises val_loss, gets a
    search of its own."""
    from textsweep.sweeping.objectives import metric_of
    from textsweep.tracking.filters import equals, first_by

    def scored(r) -> bool:
        return _is_trial(r) and _objective_score(r) is not None

    chosen = []
    by_accuracy = [f"metrics.{metric_of('val_accuracy')} DESC", *NEWEST]
    for found in _discover(client, experiment_id, [*filters, "tags.`optuna.study` IS NOT NULL"], "tags.`optuna.study`",
                           lambda r: r.data.tags["optuna.study"], by_accuracy):
        if scored(found) and _objective(found) == "val_accuracy":
            chosen.append(found)
            continue
        study = [*filters, equals("tags.`optuna.study`", found.data.tags["optuna.study"], "--sweep")]
        best = first_by(client, [experiment_id], study, metric_of("val_accuracy"), scored, page=5)
        if best is not None and _objective(best) == "val_loss":
            best = first_by(client, [experiment_id], study, metric_of("val_loss"), scored, ascending=True, page=5)
        if best is None:
            latest = _search(client, experiment_id, study, NEWEST, _is_trial, 1)
            best = latest[0] if latest else None
        if best is not None:
            chosen.append(best)
    return chosen


def _is_trial(run) -> bool:
    return _comparable(run) and run.data.tags.get("textsweep.role") != "baseline"


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


def _objective(run) -> str:
    """The sweep objective a trial's run names, as compare scores it (a multi-objective sweep by val_accuracy)."""
    from textsweep.sweeping.objectives import PER_EPOCH

    objective = run.data.params.get("optuna.objective") or "val_accuracy"
    return objective if objective in PER_EPOCH else "val_accuracy"


def _objective_score(run) -> float | None:
    """The sweep's objective, signed so that larger is better (val_loss is minimised)."""
    from textsweep.sweeping.objectives import metric_of

    objective = _objective(run)
    value = run.data.metrics.get(metric_of(objective))
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


CURVES = 10  # rows drawn in the figure (the best first): more lines than colours only hide each other


def curve_histories(client, rows: list[Row]) -> list[tuple[str, dict[str, list[tuple[int, float]]]]]:
    """The first CURVES rows' variants (rows come best first) with their per-epoch validation and training
    accuracy, as (epoch, value) pairs: two metric histories a row, read for the rows drawn only."""
    curves = []
    for row in rows[:CURVES]:
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
