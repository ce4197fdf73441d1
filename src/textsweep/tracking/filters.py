"""MLflow search filters built from user strings (study, experiment, model names, --filter): quoted, never pasted.

MLflow's filter grammar has no escape inside a string literal: a value is wrapped in single quotes, or in
double quotes when it holds a single quote. A value holding both cannot be written as a literal, so it is
refused in one line, like a `--filter` that MLflow cannot parse, instead of a traceback.
"""

from textsweep.errors import ConfigError


def literal(value, what: str) -> str:
    """`value` as an MLflow filter string literal; `what` names the option for the one-line error."""
    text = str(value)
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise ConfigError(f"{what} {text!r} holds both ' and \": MLflow filters cannot match such a name; rename it")


def equals(key: str, value, what: str) -> str:
    return f"{key} = {literal(value, what)}"


def search_runs(client, experiment_ids: list[str], filters: list[str], what: str = "--filter", **kwargs) -> list:
    """client.search_runs over filters joined with `and`; a filter MLflow rejects is a one-line ConfigError."""
    from mlflow.exceptions import MlflowException

    filter_string = " and ".join(f for f in filters if f)
    try:
        return client.search_runs(experiment_ids, filter_string=filter_string, **kwargs)
    except MlflowException as e:
        if e.error_code != "INVALID_PARAMETER_VALUE":
            raise
        first = str(e.message).strip().splitlines()[0][:200] if str(e.message).strip() else "invalid"
        raise ConfigError(f"{what} is not a valid MLflow filter ({first}): write it like "
                          "\"tags.textsweep.dataset = 'csv'\" or \"metrics.final_val_accuracy > 0.8\"") from None


def first_by(client, experiment_ids: list[str], filters: list[str], metric: str, keep, ascending: bool = False,
             then: tuple[str, ...] = (), what: str = "--filter", page: int = 20):
    """The first run that `keep` accepts in the store's order by `metric` (then `then`, then newest first), or
    None. The store sorts runs without the metric last, so the search stops at the first such run: a few small
    pages, whatever the number of runs."""
    order = [f"metrics.`{metric}` {'ASC' if ascending else 'DESC'}", *then, "attributes.start_time DESC"]
    token = None
    while True:
        runs = search_runs(client, experiment_ids, filters, what, max_results=page, order_by=order, page_token=token)
        for run in runs:
            if metric not in run.data.metrics:
                return None
            if keep(run):
                return run
        token = runs.token
        if not token:
            return None
