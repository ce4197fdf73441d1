"""`textsweep promote SWEEP_OR_EXPERIMENT --name MODEL`: register the best run's model (by validation) and point
`champion` at it. Which run, and how it is registered: textsweep.results.promotion."""


def main(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="textsweep promote", description="Register the best run (by validation) and alias it.")
    p.add_argument("target", help="a sweep (Optuna study) name or an MLflow experiment name")
    p.add_argument("--name", required=True, help="registered model name")
    p.add_argument("--alias", default="champion", help="the alias to point at the new version (default: champion)")
    p.add_argument("--within", type=float, help="pick the fastest run (train_time_s) whose validation accuracy is at "
                   "most this far below the best, e.g. 0.005 (multi-objective sweeps)")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else textsweep's local store)")
    args = p.parse_args(argv)
    from textsweep.results.promotion import CONFIRMED_METRIC, promote
    from textsweep.tracking.readonly import mlflow_client

    client, _ = mlflow_client(args.tracking_uri, f"sweep or experiment {args.target!r}")  # an existing store: promoting from nothing creates nothing
    run, version = promote(client, args.target, args.name, args.alias, args.within)
    m = run.data.metrics
    confirmed = (f" (confirmed mean {m[CONFIRMED_METRIC]:.4f} over {int(m.get('confirmed_val_n', 0))} seeds)"
                 if CONFIRMED_METRIC in m else "")
    print(f"registered {args.name} version {version.version} from run {run.info.run_id} "
          f"({run.data.tags.get('textsweep.variant', run.info.run_name)}: val_accuracy {m['final_val_accuracy']:.4f}{confirmed}, "
          f"test_accuracy {m.get('test_accuracy', float('nan')):.4f}); alias '{args.alias}' -> version {version.version}")
    print(f"use it: textsweep predict models:/{args.name}@{args.alias} \"some text\"")
    return 0
