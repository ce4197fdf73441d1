"""Mean ± standard deviation of each variant's accuracies over the finished runs of one experiment.

    python bench/variants_table.py --experiment rt_snippets [--home DIR] [--json out.json]

Reads textsweep's MLflow store (sqlite under <home>/mlruns, default $TEXTSWEEP_HOME or .) and prints a
Markdown table: one row per variant, with how many runs (seeds) it averages.
"""

import argparse
import json
import os
import statistics
from collections import defaultdict
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--experiment", required=True)
    p.add_argument("--home", default=os.environ.get("TEXTSWEEP_HOME", "."))
    p.add_argument("--json", help="also write the rows as JSON here")
    args = p.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{Path(args.home).resolve() / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(args.experiment)
    if experiment is None:
        raise SystemExit(f"no experiment {args.experiment!r} in {args.home}/mlruns")
    runs = client.search_runs([experiment.experiment_id], filter_string="attributes.status = 'FINISHED'", max_results=5000)
    by_variant = defaultdict(list)
    for run in runs:
        by_variant[run.data.tags.get("textsweep.variant", run.info.run_name)].append(run.data.metrics)

    def stat(values):
        return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)

    rows = []
    for variant, metrics in by_variant.items():
        row = {"variant": variant, "runs": len(metrics)}
        for name in ("final_val_accuracy", "test_accuracy", "train_time_s"):
            row[name], row[name + "_std"] = stat([m[name] for m in metrics if name in m])
        rows.append(row)
    rows.sort(key=lambda r: -r["final_val_accuracy"])
    print("| variant | runs | val accuracy | test accuracy | train time (s) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| `{r['variant']}` | {r['runs']} | {100 * r['final_val_accuracy']:.2f} ± {100 * r['final_val_accuracy_std']:.2f} % "
              f"| {100 * r['test_accuracy']:.2f} ± {100 * r['test_accuracy_std']:.2f} % "
              f"| {r['train_time_s']:.1f} ± {r['train_time_s_std']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
