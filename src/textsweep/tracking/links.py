"""Addresses of MLflow pages that open where a person expects, and names that tell invocations apart.

MLflow 3.17's UI opens an experiment's pages in its GenAI view (traces, a welcome page) unless the address
carries `workflowType=machine_learning`. A local SQLite store has no server, hence no port to name: the
address is the one `textsweep ui` serves by default, and the line says to start it. A tracking server's
address is its own.
"""

from datetime import datetime

from textsweep.config.masking import mask_secrets

WORKFLOW = "workflowType=machine_learning"
UI_ADDRESS = "http://127.0.0.1:5000"  # `textsweep ui`'s default


def run_page(tracking_uri: str, experiment_id: str, run_id: str) -> str:
    """Where a run opens in the MLflow UI, with the hint to start the UI when the store is a local file."""
    page = f"#/experiments/{experiment_id}/runs/{run_id}?{WORKFLOW}"
    if tracking_uri.startswith(("http://", "https://")):
        return f"{mask_secrets(tracking_uri.rstrip('/'))}/{page}"
    return f"{UI_ADDRESS}/{page} (start the UI with `textsweep ui`; with --port N, use N for 5000)"


def invocation_run_name(kind: str, name: str, when: datetime | None = None) -> str:
    """The parent run of one invocation, e.g. sweep-reviews-2026-12-06T02:15: every invocation of the same
    sweep gets its own name in the runs table (local time, to the minute)."""
    return f"{kind}-{name}-{(when or datetime.now()):%Y-%m-%dT%H:%M}"
