"""`textsweep compare`: the variants side by side, from the MLflow store.

One row per run: variant, the parameters that differ between the rows (not all of them), validation and
test accuracy, epochs run (and whether pruned), train time, parameter count, status. Sorted by the
validation metric: runs without it (failed, killed) come last with their status. Also one figure with
every run's validation accuracy per epoch (training accuracy dashed), as PNG and a self-contained HTML,
logged with the table to a small "comparison" run so they can be browsed in the MLflow UI.
"""

import base64
import csv
import io
import json
from dataclasses import dataclass, field

from textsweep.errors import NotFound

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
    from textsweep.filters import equals, search_runs
    from textsweep.readonly import experiment as find_experiment

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
    from textsweep.study import OBJECTIVES

    objective = run.data.params.get("optuna.objective") or "val_accuracy"
    value = run.data.metrics.get(OBJECTIVES.get(objective, "final_val_accuracy"))
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


def _status(row: Row) -> str:
    return "pruned" if row.pruned else row.status.lower()


def as_records(rows: list[Row], reference: bool) -> list[dict]:
    records = []
    for row in rows:
        rec = {"variant": row.variant, **row.differing,
               "val_accuracy": row.val_accuracy, "test_accuracy": row.test_accuracy, "epochs": row.epochs,
               "status": _status(row), "train_time_s": row.train_time_s, "parameters": row.parameters, "run_id": row.run_id}
        if reference:
            rec["tutorial_test_accuracy"] = row.reference / 100 if row.reference is not None else None
        records.append(rec)
    return records


def _cell(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) <= 1.0 else f"{value:.1f}"
    text = str(value)
    try:  # params arrive as strings: 0.41234567 reads as 0.412
        number = float(text)
    except ValueError:
        return text
    return f"{number:.3g}" if "." in text and len(text) > 6 else text


TERMINAL_WIDTH = 120


def _short_names(columns: list[str]) -> list[str]:
    """model.dropout -> dropout where the last part is unique among the columns: a table that fits."""
    last = [c.rsplit(".", 1)[-1] for c in columns]
    return [tail if last.count(tail) == 1 else c for c, tail in zip(columns, last)]


def _fit(columns: list[str], cells: list[list[str]], width: int) -> tuple[list[str], list[list[str]]]:
    """Shorten the widest cells (params, then anything) until a line fits `width` columns."""
    def line_width():
        return sum(max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)) + 2 * (len(columns) - 1)

    while line_width() > width:
        widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
        i = max(range(len(columns)), key=lambda k: widths[k])
        if widths[i] <= 6:
            break
        limit = widths[i] - 1
        columns[i] = columns[i] if len(columns[i]) <= limit else columns[i][:limit - 1] + "~"
        for r in cells:
            if len(r[i]) > limit:
                r[i] = r[i][:limit - 1] + "~"
    return columns, cells


def render(rows: list[Row], fmt: str, reference: bool) -> str:
    return render_records(as_records(rows, reference), fmt)


def render_records(records: list[dict], fmt: str) -> str:
    """Records as JSON, CSV, a markdown table or a terminal table that fits 120 columns."""
    if fmt == "json":
        return json.dumps(records, indent=2)
    columns = list(records[0]) if records else ["variant"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
        return out.getvalue()
    cells = [[_cell(rec.get(c)) for c in columns] for rec in records]
    if fmt == "md":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    # the terminal table: short names, run ids as their first 8 characters (enough for the UI's search)
    if "run_id" in columns:
        i = columns.index("run_id")
        for row in cells:
            row[i] = row[i][:8]
    columns, cells = _fit(_short_names(columns), cells, TERMINAL_WIDTH)
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def curves_png(client, rows: list[Row], path) -> None:
    import matplotlib.pyplot as plt

    fig = curves_figure(client, rows)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def curves_figure(client, rows: list[Row]):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for i, row in enumerate(rows):
        colour = f"C{i % 10}"
        for metric, style, label in (("val_accuracy", "-", row.variant), ("accuracy", "--", None)):
            history = sorted(client.get_metric_history(row.run_id, metric), key=lambda m: m.step)
            if history:
                ax.plot([m.step for m in history], [m.value for m in history], style, color=colour, marker="o", label=label)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole: no tick at 1.5
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (validation solid, training dashed)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def html_page(table_md: str, png_path, title: str) -> str:
    from html import escape

    image = base64.b64encode(open(png_path, "rb").read()).decode()
    rows = [line.strip("|").split("|") for line in table_md.splitlines() if not line.startswith("|---")]
    head, body = rows[0], rows[1:]
    table = "<table><tr>" + "".join(f"<th>{escape(c.strip())}</th>" for c in head) + "</tr>" + "".join(
        "<tr>" + "".join(f"<td>{escape(c.strip())}</td>" for c in row) + "</tr>" for row in body) + "</table>"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title><style>"
            "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
            f"</style></head><body><h1>{escape(title)}</h1>{table}<p><img src='data:image/png;base64,{image}'></p></body></html>")


def main(argv: list[str]) -> int:
    import argparse
    import os
    import sys
    import tempfile
    from pathlib import Path

    p = argparse.ArgumentParser(prog="textsweep compare", description="The variants side by side: the latest run of each variant, the best trial of each sweep.")
    p.add_argument("--experiment", default="textsweep", help="MLflow experiment (default: textsweep)")
    p.add_argument("--sweep", help="only the trials of this sweep (Optuna study)")
    p.add_argument("--parent", help="only the children of this parent run (a sweep or multirun)")
    p.add_argument("--filter", help="an MLflow filter string, e.g. \"tags.textsweep.dataset = 'csv'\"")
    p.add_argument("--all", action="store_true", help="every run, not only the latest run of each variant and the best trial of each sweep")
    p.add_argument("--format", choices=("table", "md", "csv", "json"), default="table",
                   help="table (fits 120 columns; default), md (pastes into a README), csv or json (every digit, full run ids)")
    p.add_argument("--reference", choices=("tutorial",), help="add the IMDB tutorial's published accuracies (dataset=imdb)")
    p.add_argument("--out", help="also write comparison.{md,csv,json,png,html} to this folder")
    p.add_argument("--no-log", action="store_true", help="do not log the comparison as an MLflow run")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlruns/mlflow.db "
                   "under $TEXTSWEEP_HOME or the current folder)")
    args = p.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from textsweep.readonly import experiment, mlflow_client, where

    client, uri = mlflow_client(args.tracking_uri, f"experiment {args.experiment!r}")
    rows = build_rows(select_runs(client, args.experiment, args.sweep, args.parent, args.filter, args.all, uri), args.reference)
    if not rows:
        raise NotFound(f"no runs to compare in experiment {args.experiment!r} of {where(uri)} with these filters")
    reference = args.reference is not None
    print(render(rows, args.format, reference))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.out) if args.out else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for fmt, ext in (("md", "md"), ("csv", "csv"), ("json", "json")):
            (folder / f"comparison.{ext}").write_text(render(rows, fmt, reference))
        curves_png(client, rows, folder / "comparison.png")
        (folder / "comparison.html").write_text(html_page(render(rows, "md", reference), folder / "comparison.png",
                                                          f"textsweep compare: {args.experiment}"))
        if not args.no_log:
            experiment_id = experiment(client, args.experiment, uri).experiment_id
            run = client.create_run(experiment_id, run_name="comparison", tags={
                "textsweep.role": "comparison", "textsweep.compared_runs": ",".join(r.run_id for r in rows)[:5000]})
            client.log_artifacts(run.info.run_id, str(folder), "comparison")
            client.set_terminated(run.info.run_id, "FINISHED")
            print(f"\nlogged as MLflow run {run.info.run_id} (comparison/comparison.html, comparison.png)", file=sys.stderr)
    return 0
