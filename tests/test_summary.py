"""A sweep summary a user can act on: an ETA within the time budget, MLflow links that open the runs view on
the right address, one parent-run name per invocation, model versions with a few tags, quiet commands."""

from datetime import datetime

import pytest

from conftest import TINY
from textsweep.sweeping.progress import estimate, progress_line
from textsweep.tracking.links import invocation_run_name, run_page


def test_the_eta_stops_at_the_time_budget():
    # 2 of 30 trials in 120 s: 28 more at that pace take 28 min; an 18-minute budget ends the sweep first,
    # at most one trial after the budget (the trial that started just before it ran out)
    assert estimate(2, 30, 120.0, None) == (1680.0, False)
    assert estimate(2, 30, 120.0, 1080.0) == (1080.0 - 120.0 + 60.0, True)
    assert estimate(29, 30, 1000.0, 3600.0)[1] is False  # the trials end before the budget: they bound it
    assert estimate(0, 30, 5.0, 1080.0) == (None, False)
    assert progress_line(2, 30, 120.0, 0.9, "val_accuracy", budget_s=1080.0).endswith("ETA 17m00s (time budget)")


def test_run_links_open_the_runs_view_on_the_right_address():
    local = run_page("sqlite:////tmp/x/mlruns/mlflow.db", "3", "abc")
    assert local.startswith("http://127.0.0.1:5000/#/experiments/3/runs/abc?workflowType=machine_learning")
    assert "textsweep ui" in local  # no server runs for a local store: say how to start one
    served = run_page("http://tracker.example:8081/", "3", "abc")
    assert served == "http://tracker.example:8081/#/experiments/3/runs/abc?workflowType=machine_learning"
    assert "s3cret" not in run_page("https://me:s3cret@tracker.example", "3", "abc")


def test_each_invocation_gets_its_own_parent_run_name():
    assert invocation_run_name("sweep", "reviews", datetime(2026, 12, 6, 2, 15, 59)) == "sweep-reviews-2026-12-06T02:15"
    assert invocation_run_name("sweep", "reviews").startswith(f"sweep-reviews-{datetime.now():%Y-%m-%d}T")


def test_a_model_version_carries_a_few_tags_and_its_run_the_rest():
    from mlflow.entities import Metric, Param, Run, RunData, RunInfo, RunTag

    from textsweep.results.promotion import version_tags

    info = RunInfo(run_id="r1", experiment_id="1", user_id="u", status="FINISHED", start_time=0, end_time=1,
                   lifecycle_stage="active", run_name="lstm")
    data = RunData(metrics=[Metric("final_val_accuracy", 0.81734, 0, 0), Metric("test_accuracy", 0.8, 0, 0)],
                   params=[Param(f"p{i}", str(i)) for i in range(80)],
                   tags=[RunTag("textsweep.variant", "lstm"), RunTag("textsweep.dataset", "csv")])
    assert version_tags(Run(info, data), "reviews") == {
        "textsweep.run_id": "r1", "textsweep.promoted_from": "reviews", "textsweep.variant": "lstm",
        "textsweep.dataset": "csv", "final_val_accuracy": "0.8173", "test_accuracy": "0.8000"}


@pytest.mark.slow
def test_a_first_run_on_a_fresh_store_prints_only_textsweeps_lines_on_stderr(cli, home):
    """No MLflow start-up line (database tables, alembic), no MLflow "View run" link; `sweep status` of a
    missing study exits 2 like every read-only command."""
    trained = cli("train", *TINY, "tracking.log_model=false", timeout=300)
    assert trained.returncode == 0, trained.stderr[-2000:]
    foreign = [line for line in trained.stderr.splitlines() if line.strip() and "[textsweep]" not in line]
    assert foreign == [], trained.stderr[-2000:]
    assert "View run" not in trained.stdout
    missing = cli("sweep", "status", "nosuch", timeout=60)
    assert missing.returncode == 2 and missing.stderr.startswith("textsweep: error: study 'nosuch': no Optuna storage at")
