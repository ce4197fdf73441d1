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

from textsweep.errors import ConfigError

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
                filter_string: str | None = None, all_runs: bool = False) -> list:
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        raise ConfigError(f"no MLflow experiment named {experiment!r}: pass --experiment with one that exists")
    from textsweep.filters import equals, search_runs

    filters = [f"({filter_string})" if filter_string else ""]
    if sweep:
        filters.append(equals("tags.`optuna.study`", sweep, "--sweep"))
    if parent:
        filters.append(equals("tags.mlflow.parentRunId", parent, "--parent"))
    runs = search_runs(client, [exp.experiment_id], filters, "--filter", max_results=5000,
                       order_by=["attributes.start_time DESC"])
    runs = [r for r in runs if r.data.tags.get("textsweep.role") not in PARENT_ROLES]
    if not (all_runs or sweep or parent or filter_string):
        latest = {}
        for r in runs:  # newest first: keep the latest run of each variant
            latest.setdefault(r.data.tags.get("textsweep.variant", r.info.run_name), r)
        runs = list(latest.values())
    return runs


def build_rows(runs, reference: str | None = None) -> list[Row]:
    rows = []
    for r in runs:
        m, tags = r.data.metrics, r.data.tags
        params = {k: v for k, v in r.data.params.items() if not k.startswith(NOT_COMPARED)}
        total = m.get("params_trainable", 0) + m.get("params_non_trainable", 0) if "params_trainable" in m else None
        rows.append(Row(r.info.run_id, tags.get("textsweep.variant", r.info.run_name), r.info.status, params,
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


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


def render(rows: list[Row], fmt: str, reference: bool) -> str:
    records = as_records(rows, reference)
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
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def curves_png(client, rows: list[Row], path) -> None:
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
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (validation solid, training dashed)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


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

    p = argparse.ArgumentParser(prog="textsweep compare", description="The variants side by side.")
    p.add_argument("--experiment", default="textsweep", help="MLflow experiment (default: textsweep)")
    p.add_argument("--sweep", help="only the trials of this sweep (Optuna study)")
    p.add_argument("--parent", help="only the children of this parent run (a sweep or multirun)")
    p.add_argument("--filter", help="an MLflow filter string, e.g. \"tags.textsweep.dataset = 'csv'\"")
    p.add_argument("--all", action="store_true", help="every run, not only the latest of each variant")
    p.add_argument("--format", choices=("table", "md", "csv", "json"), default="table")
    p.add_argument("--reference", choices=("tutorial",), help="add the IMDB tutorial's published accuracies (dataset=imdb)")
    p.add_argument("--out", help="also write comparison.{md,csv,json,png,html} to this folder")
    p.add_argument("--no-log", action="store_true", help="do not log the comparison as an MLflow run")
    p.add_argument("--tracking-uri")
    args = p.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    from textsweep.tracking import command_tracking_uri

    client = mlflow.MlflowClient(command_tracking_uri(args.tracking_uri))
    from textsweep.errors import TextsweepError

    try:
        runs = select_runs(client, args.experiment, args.sweep, args.parent, args.filter, args.all)
    except TextsweepError as e:
        print(f"textsweep: error: {e}", file=sys.stderr)
        return e.exit_code
    rows = build_rows(runs, args.reference)
    if not rows:
        print(f"textsweep: error: no runs to compare in experiment {args.experiment!r} with these filters", file=sys.stderr)
        return 2
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
            experiment_id = client.get_experiment_by_name(args.experiment).experiment_id
            run = client.create_run(experiment_id, run_name="comparison", tags={
                "textsweep.role": "comparison", "textsweep.compared_runs": ",".join(r.run_id for r in rows)[:5000]})
            client.log_artifacts(run.info.run_id, str(folder), "comparison")
            client.set_terminated(run.info.run_id, "FINISHED")
            print(f"\nlogged as MLflow run {run.info.run_id} (comparison/comparison.html, comparison.png)", file=sys.stderr)
    return 0
