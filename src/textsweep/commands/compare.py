"""`textsweep compare`: the variants side by side, from the MLflow store, as a table, files and a logged run.

Arguments here; the rows from textsweep.results.comparison; the table, figure and page from textsweep.rendering.
"""

from textsweep.errors import NotFound
from textsweep.results.comparison import LIMIT


def render(rows: list, fmt: str, reference: bool, width: int | None = None) -> str:
    from textsweep.rendering.tables import render_records
    from textsweep.results.comparison import as_records

    return render_records(as_records(rows, reference), fmt, width)


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
    p.add_argument("--limit", type=int, default=LIMIT, help=f"with --sweep, --parent, --filter or --all: the best N runs by "
                   f"validation (default {LIMIT}; 0 shows every run)")
    p.add_argument("--format", choices=("table", "md", "csv", "json"), default="table",
                   help="table (default: numbers rounded, never cut; on a terminal, run ids of 8 characters and short "
                   "headers), md (pastes into a README), csv or json (every digit, full run ids)")
    p.add_argument("--wide", action="store_true", help="shorten nothing in the table (as when the output is a file or a pipe)")
    p.add_argument("--reference", choices=("tutorial",), help="add the IMDB tutorial's published accuracies (dataset=imdb)")
    p.add_argument("--out", help="also write comparison.{md,csv,json,png,html} to this folder")
    p.add_argument("--no-log", action="store_true", help="do not log the comparison as an MLflow run")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlruns/mlflow.db "
                   "under $TEXTSWEEP_HOME or the current folder)")
    args = p.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    if args.limit < 0:
        p.error(f"--limit {args.limit} is not valid: give a number of rows, or 0 for every run")
    from textsweep.rendering.comparison import curves_png, html_page
    from textsweep.results.comparison import build_rows, curve_histories, log_comparison, select_runs, sweep_verdicts
    from textsweep.tracking.readonly import experiment, mlflow_client, where

    client, uri = mlflow_client(args.tracking_uri, f"experiment {args.experiment!r}")
    runs = select_runs(client, args.experiment, args.sweep, args.parent, args.filter, args.all, uri, args.limit)
    rows = build_rows(runs, args.reference)
    if not rows:
        raise NotFound(f"no runs to compare in experiment {args.experiment!r} of {where(uri)} with these filters")
    reference = args.reference is not None
    from textsweep.rendering.tables import table_width

    print(render(rows, args.format, reference, table_width(args.wide)))
    listing = args.all or args.sweep or args.parent or args.filter
    if listing and args.limit and sum(1 for r in rows if "(baseline)" not in r.variant) >= args.limit:
        print(f"(the best {args.limit} runs by validation: --limit 0 shows every run)", file=sys.stderr)
    if args.format == "table":  # each sweep's selection against its baseline: the summary's and `sweep status`'s lines
        from textsweep.sweeping.verdict import lines

        for found in sweep_verdicts(client, experiment(client, args.experiment, uri).experiment_id, runs):
            print("\n".join([f"\nsweep {found.study}:"] + [f"  {line}" for line in lines(found)]))
    if args.no_log and not args.out:  # the files would go to a folder deleted unread: no figure, no history reads
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.out) if args.out else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for fmt, ext in (("md", "md"), ("csv", "csv"), ("json", "json")):
            (folder / f"comparison.{ext}").write_text(render(rows, fmt, reference))
        curves_png(curve_histories(client, rows), folder / "comparison.png")
        (folder / "comparison.html").write_text(html_page(render(rows, "md", reference), folder / "comparison.png",
                                                          f"textsweep compare: {args.experiment}"))
        if not args.no_log:
            experiment_id = experiment(client, args.experiment, uri).experiment_id
            run_id = log_comparison(client, experiment_id, rows, folder)
            print(f"\nlogged as MLflow run {run_id} (comparison/comparison.html, comparison.png)", file=sys.stderr)
    return 0
