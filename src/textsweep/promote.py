"""`textsweep promote SWEEP_OR_EXPERIMENT --name MODEL`: register the best run's model and point `champion` at it.

"Best" is by the validation metric, never by test. Only FINISHED runs with a logged model count (pruned
trials log none). The new version carries its run's metrics and config as tags and a description.
"""

from textsweep.errors import ConfigError

SELECTION_METRIC = "final_val_accuracy"


def best_run(client, target: str):
    """The best finished run with a model, in the study `target` (any experiment) or the experiment `target`."""
    from textsweep.filters import equals, search_runs

    runs = search_runs(client, [e.experiment_id for e in client.search_experiments()],
                       [equals("tags.`optuna.study`", target, "the sweep name"), "attributes.status = 'FINISHED'"],
                       "the sweep name", max_results=5000)
    if not runs:
        exp = client.get_experiment_by_name(target)
        if exp is None:
            raise ConfigError(f"{target!r} is neither a sweep (Optuna study) nor an MLflow experiment with runs: check the name")
        runs = client.search_runs([exp.experiment_id], filter_string="attributes.status = 'FINISHED'", max_results=5000)
    candidates = [r for r in runs if "textsweep.model_uri" in r.data.tags and SELECTION_METRIC in r.data.metrics]
    if not candidates:
        raise ConfigError(f"{target!r} has no finished run with a logged model and {SELECTION_METRIC}: train one first "
                          "(runs with tracking.log_model=false and pruned trials have no model)")
    return max(candidates, key=lambda r: r.data.metrics[SELECTION_METRIC])


def check_model_name(name: str) -> None:
    """MLflow's registry takes a model name into its own searches and URIs (models:/NAME@alias): keep it plain."""
    bad = [c for c in ("'", '"', "/", ":", "@", "%", "\\", "`") if c in name]
    if not name.strip() or name != name.strip() or bad:
        raise ConfigError(f"--name {name!r} is not a usable model name: use letters, digits, '-', '_' or '.', "
                          "e.g. --name sentiment")


def promote(client, target: str, name: str, alias: str = "champion"):
    import mlflow

    check_model_name(name)
    run = best_run(client, target)
    version = mlflow.register_model(run.data.tags["textsweep.model_uri"], name, await_registration_for=60,
                                    tags={"textsweep.run_id": run.info.run_id, "textsweep.promoted_from": target})
    m = run.data.metrics
    tags = {f"metric.{k}": f"{m[k]:.6f}" for k in ("final_val_accuracy", "test_accuracy", "best_val_accuracy") if k in m}
    tags.update({f"param.{k}": v[:5000] for k, v in run.data.params.items() if not k.startswith(("home", "optuna."))})
    tags["textsweep.variant"] = run.data.tags.get("textsweep.variant", "")
    for key, value in tags.items():
        client.set_model_version_tag(name, version.version, key, value)
    client.update_model_version(name, version.version, description=(
        f"{run.data.tags.get('textsweep.variant', run.info.run_name)} from {target}: "
        f"val_accuracy {m.get('final_val_accuracy', float('nan')):.4f}, test_accuracy {m.get('test_accuracy', float('nan')):.4f} "
        f"(selected by validation). Run {run.info.run_id}."))
    client.set_registered_model_alias(name, alias, version.version)
    return run, version


def main(argv: list[str]) -> int:
    import argparse
    import sys

    p = argparse.ArgumentParser(prog="textsweep promote", description="Register the best run (by validation) and alias it.")
    p.add_argument("target", help="a sweep (Optuna study) name or an MLflow experiment name")
    p.add_argument("--name", required=True, help="registered model name")
    p.add_argument("--alias", default="champion")
    p.add_argument("--tracking-uri")
    args = p.parse_args(argv)
    import mlflow

    from textsweep.errors import TextsweepError
    from textsweep.tracking import command_tracking_uri

    mlflow.set_tracking_uri(command_tracking_uri(args.tracking_uri))
    try:
        run, version = promote(mlflow.MlflowClient(), args.target, args.name, args.alias)
    except TextsweepError as e:
        print(f"textsweep: error: {e}", file=sys.stderr)
        return 2
    m = run.data.metrics
    print(f"registered {args.name} version {version.version} from run {run.info.run_id} "
          f"({run.data.tags.get('textsweep.variant', run.info.run_name)}: val_accuracy {m['final_val_accuracy']:.4f}, "
          f"test_accuracy {m.get('test_accuracy', float('nan')):.4f}); alias '{args.alias}' -> version {version.version}")
    print(f"use it: textsweep predict models:/{args.name}@{args.alias} \"some text\"")
    return 0
