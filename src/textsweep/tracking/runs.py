"""The tracking stage: the MLflow store, one run's params/tags/metrics/artifacts, and its final status.

Runs are addressed by explicit run ids through MlflowClient (not the fluent active-run stack), so the
same code is safe when trials run in threads. A run ends FINISHED only after everything is logged;
an error ends it FAILED and an interruption KILLED.
"""

import os
from contextlib import contextmanager
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from textsweep.config.paths import RunPaths
from textsweep.errors import TrackingError
from textsweep.config.masking import SECRET_NAME, mask_secrets  # noqa: F401  (mask_secrets: the one masking function)
from textsweep.tracking.databases import (absolute_sqlite_url, creation_lock, first_use_race_retry, probe_server, remove_if_new,
                              store_problem)

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

MAX_PARAM_LENGTH = 6000
# MLflow 3's UI opens an experiment by its kind: GenAI kinds land on traces, this one on the runs table
# (3.17's experiment page reads the `workflowType` URL parameter instead: `textsweep ui` prints it).
EXPERIMENT_TAGS = {"mlflow.experimentKind": "custom_model_development"}


def tracking_uri(cfg: DictConfig) -> str:
    if cfg.tracking.uri:
        return absolute_sqlite_url(cfg.tracking.uri)
    return f"sqlite:///{RunPaths.of(cfg).mlflow_db}"


def experiment_artifacts(cfg: DictConfig, uri: str) -> str | None:
    """Where a new experiment keeps artifacts: tracking.artifact_root, else <home>/mlruns/artifacts for a local
    store (MLflow would follow the working directory), else None: a tracking server serves its own."""
    root = cfg.tracking.artifact_root
    if root is None and uri.startswith(("http://", "https://", "databricks")):
        return None
    root = root or str(RunPaths.of(cfg).artifacts)
    root = root if "://" in root else Path(root).expanduser().resolve().as_uri()
    return f"{root.rstrip('/')}/{cfg.experiment_name}"


def command_tracking_uri(explicit: str | None = None) -> str:
    """For commands outside Hydra (predict, compare, promote, explain): --tracking-uri, else
    $MLFLOW_TRACKING_URI, else textsweep's local store under $TEXTSWEEP_HOME (or the current folder)."""
    return explicit or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{RunPaths.of_project().mlflow_db}"


def redact(node, name: str = ""):
    """A copy with credential-like values replaced by *** and passwords in URLs masked."""
    if isinstance(node, dict):
        return {k: redact(v, f"{name}.{k}") for k, v in node.items()}
    if isinstance(node, list):
        return [redact(v, f"{name}.{i}") for i, v in enumerate(node)]
    if SECRET_NAME.search(name) and node is not None:
        return "***"
    return mask_secrets(node) if isinstance(node, str) else node


def flatten(node, prefix: str = "") -> dict[str, str]:
    """Nested config as MLflow params: dotted keys, list items by index."""
    out = {}
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        name = f"{prefix}{key}"
        if isinstance(value, (dict, list)) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = str(value)[:MAX_PARAM_LENGTH]
    return out


def _resolved(cfg: DictConfig) -> dict:
    container = OmegaConf.to_container(cfg, resolve=True)
    container.pop("hydra", None)
    return redact(container)


def config_params(cfg: DictConfig) -> dict[str, str]:
    return flatten(_resolved(cfg))


def redacted_yaml(cfg: DictConfig) -> str:
    """The resolved config.yaml logged with each run (secrets redacted)."""
    return OmegaConf.to_yaml(OmegaConf.create(_resolved(cfg)))


def _probe_settings():
    """Fail fast on an unreachable server (MLflow's default retries take minutes) while probing, and keep
    urllib3's "Retrying ..." warning out of the way: the one-line error says it better."""
    import logging

    saved = {k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "10"
    pool = logging.getLogger("urllib3.connectionpool")
    saved["_urllib3_level"] = pool.level
    pool.setLevel(logging.ERROR)
    return saved


def _clip(text: str, limit: int = 300) -> str:
    """At most `limit` characters, cut between words, never inside a host name or a number."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " ..."


def _restore(saved: dict) -> None:
    import logging

    logging.getLogger("urllib3.connectionpool").setLevel(saved.pop("_urllib3_level", logging.NOTSET))
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


_OPENED: dict = {}  # (tracking URI, experiment name) -> (client, experiment id), per process


def open_experiment(cfg: DictConfig):
    """(client, experiment_id), creating the local store and the experiment on first use.

    The trials a launcher runs in one process reuse the first job's client and experiment: opening costs a
    client, a lock, two queries and a search for dead owners' runs (about 0.1 s a trial); a reuse checks with
    one query that the experiment still exists."""
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from textsweep.config.names import check_name

    check_name("experiment_name", cfg.experiment_name or "", "textsweep")  # every caller (run, sweep, multirun) passes here first
    uri = tracking_uri(cfg)
    key = (uri, cfg.experiment_name)
    if key in _OPENED:
        client, experiment_id = _OPENED[key]
        try:
            if client.get_experiment(experiment_id).lifecycle_stage == "active":
                mlflow.set_tracking_uri(uri)
                return client, experiment_id
        except Exception:  # gone, or the store moved: open it afresh below, with its one-line errors
            pass
        del _OPENED[key]
    if uri.startswith("sqlite:///"):
        folder = Path(uri[len("sqlite:///"):]).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as e:
            raise TrackingError(
                f"cannot write the tracking store in {folder} ({e.strerror}): make it writable, "
                "set TEXTSWEEP_HOME to a writable folder, or point tracking.uri elsewhere"
            ) from None
    mlflow.set_tracking_uri(uri)
    saved = _probe_settings()
    existed = not uri.startswith("sqlite:///") or Path(uri[len("sqlite:///"):]).exists()
    try:
        probe_server(uri)  # a dead database server fails in seconds, not after MLflow's minutes of retries
        with creation_lock(uri):  # the client's store creates (or migrates) MLflow's tables on first use
            client = first_use_race_retry(lambda: MlflowClient(tracking_uri=uri))
            experiment = first_use_race_retry(lambda: client.get_experiment_by_name(cfg.experiment_name))
        if experiment is None:
            try:
                _OPENED[key] = client, client.create_experiment(cfg.experiment_name, tags=EXPERIMENT_TAGS,
                                                                artifact_location=experiment_artifacts(cfg, uri))
                return _OPENED[key]
            except MlflowException:  # created meanwhile by a concurrent job
                experiment = client.get_experiment_by_name(cfg.experiment_name)
                if experiment is None:
                    raise
        if experiment.lifecycle_stage == "deleted":
            raise TrackingError(
                f"experiment_name={cfg.experiment_name!r} is a deleted MLflow experiment: restore it "
                "(mlflow experiments restore) or choose another experiment_name"
            )
        from textsweep.reclaim import close_dead_runs

        close_dead_runs(client, experiment.experiment_id)  # runs a kill -9 on this host left RUNNING
        _OPENED[key] = client, experiment.experiment_id
        return client, experiment.experiment_id
    except TrackingError:
        raise
    except Exception as e:  # connection refused, DNS, auth, corrupt database, full disk: all end here
        remove_if_new(uri, existed, e)
        first_line = _clip(str(e).strip().splitlines()[0]) if str(e).strip() else type(e).__name__
        raise TrackingError(mask_secrets(
            f"cannot {'use' if uri.startswith('sqlite:') else 'reach'} the MLflow tracking store at {uri} ({first_line}): "
            f"{store_problem(uri, e)} (tracking.uri)", uri)) from None
    finally:
        _restore(saved)


def log_params(client, run_id: str, params: dict[str, str], metrics: dict[str, float] | None = None) -> None:
    """Params (masked), with the first batch carrying `metrics` (step 0): MLflow takes 100 params a batch."""
    import time

    from mlflow.entities import Metric, Param

    items = [Param(k, mask_secrets(str(v))) for k, v in params.items()]  # every param, whoever built it
    now = int(time.time() * 1000)
    first = [Metric(k, float(v), now, 0) for k, v in (metrics or {}).items()]
    if not items and not first:
        return
    for start in range(0, max(len(items), 1), 100):  # MLflow's batch limit
        client.log_batch(run_id, params=items[start:start + 100], metrics=first if start == 0 else [])


def log_metrics(client, run_id: str, metrics: dict[str, float], step: int = 0, tags: dict[str, str] | None = None) -> None:
    """The metrics at `step`, and any tags, in one write."""
    import time

    from mlflow.entities import Metric, RunTag

    now = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric(k, float(v), now, step) for k, v in metrics.items()],
                     tags=[RunTag(k, v) for k, v in (tags or {}).items()])


def open_run(client, experiment_id: str, run_name: str, tags: dict[str, str]) -> str:
    """Every MLflow run textsweep makes starts here (a trial's, a sweep's or a multirun's parent, a comparison):
    its owner recorded, so that a restart closes it if this process dies (reclaim.py); its tags masked."""
    from textsweep.reclaim import OWNER, current_owner

    tags = {k: mask_secrets(str(v)) for k, v in {OWNER: current_owner(), **tags}.items()}
    return client.create_run(experiment_id, run_name=run_name, tags=tags).info.run_id


def close_run(client, run_id: str, status: str, reason: str | None = None, message: str = "") -> None:
    """...and ends here: FINISHED, or FAILED / KILLED with its reason (`textsweep.failure_reason`)."""
    if reason:
        client.set_tag(run_id, "textsweep.failure_reason", reason)
    if message:
        client.set_tag(run_id, "textsweep.failure_message", mask_secrets(message)[:5000])
    client.set_terminated(run_id, status)


@contextmanager
def mlflow_run(client, experiment_id: str, run_name: str, tags: dict[str, str]):
    """Create a run; end it FINISHED on success, KILLED on interruption, FAILED on any error."""
    from textsweep.errors import TrainingFailed
    from textsweep.private_api import mlflow_source_tags  # user, entry point, git commit

    run_id = open_run(client, experiment_id, run_name, {**mlflow_source_tags(), **tags})
    try:
        yield run_id
    except KeyboardInterrupt as e:
        _safe_end(client, run_id, "KILLED", getattr(e, "reason", "interrupted"), str(e))
        raise
    except TrainingFailed as e:
        _safe_end(client, run_id, "FAILED", e.reason, str(e))
        raise
    except BaseException as e:
        _safe_end(client, run_id, "FAILED", type(e).__name__, str(e))
        raise
    else:
        close_run(client, run_id, "FINISHED")


def close_own_running_runs(status: str, reason: str, message: str = "") -> int:
    """End `status` every run this process owns that is still RUNNING, in the experiments it opened; returns how
    many. The last word of a command that stops on an error or a signal: whatever step failed (a sweep's
    baseline on a wrong dataset.path, before its trial loop), no run it began is left RUNNING for the next
    invocation to call `process_lost`."""
    from textsweep.reclaim import OWNER, current_owner
    from textsweep.tracking.filters import equals

    owner, closed = current_owner(), 0
    for client, experiment_id in list(_OPENED.values()):
        try:
            runs = client.search_runs([experiment_id], filter_string=" and ".join(
                ["attributes.status = 'RUNNING'", equals(f"tags.`{OWNER}`", owner, "the owner")]))
        except Exception:  # the store itself may be what failed
            continue
        for run in runs:
            _safe_end(client, run.info.run_id, status, reason, message)
            closed += 1
    return closed


def _safe_end(client, run_id: str, status: str, reason: str, message: str = "") -> None:
    """End the run on an error or a signal, unless someone ended it first: `sweep status` or the next sweep that
    reclaimed the trial of a dead sweep process ends its run KILLED (`process_lost`), and the worker still training
    it then fails on the finished trial; its error is a consequence, not the verdict."""
    try:
        if client.get_run(run_id).info.status != "RUNNING":
            return
        close_run(client, run_id, status, reason, message)
    except Exception:  # the store itself may be what failed; the original error matters more
        pass
