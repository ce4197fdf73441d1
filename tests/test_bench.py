"""Benchmark scripts run end to end at tiny sizes and write their JSON (figures come from full runs, not tests)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_overhead_bench_runs_and_reports_a_ratio(tmp_path):
    out = tmp_path / "overhead.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "overhead.py"), "--train", "200", "--epochs", "1",
                    "--rounds", "1", "--json", str(out)], check=True, capture_output=True, timeout=300)
    result = json.loads(out.read_text())
    assert result["train_samples"] == 160 and len(result["plain_samples_per_s"]) == 1
    assert result["ratio"] > 0


def test_plugin_scan_bench_reports_the_scans_extra_cost_and_loads_nothing_of_textsweep(tmp_path):
    out = tmp_path / "plugin_scan.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "plugin_scan.py"), "--rounds", "1", "--json", str(out)],
                   check=True, capture_output=True, timeout=120)
    result = json.loads(out.read_text())
    assert result["with_s"] > 0 and result["without_s"] > 0 and result["ratio"] > 0
    assert result["plugin_import_s"] > 0 and result["textsweep_modules_loaded"] == []


def test_data_path_bench_reports_first_and_cached_loads(tmp_path):
    out = tmp_path / "data_path.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "data_path.py"), "--reviews", "2000", "--json", str(out)],
                   check=True, capture_output=True, timeout=300)
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 2 and all(r["first_load_s"] > r["cached_load_s"] > 0 for r in rows)


@pytest.mark.slow
def test_bucketing_bench_reports_speedup_and_accuracy_over_seeds(tmp_path):
    from conftest import review_rows, write_csv

    out, csv = tmp_path / "bucketing.json", write_csv(tmp_path / "snippets.csv", review_rows(60), header=("review", "sentiment"))
    subprocess.run([sys.executable, str(REPO / "bench" / "bucketing.py"), "--train", "300", "--rounds", "1", "--csv", str(csv),
                    "--seeds", "1,2", "--json", str(out)], check=True, capture_output=True, timeout=300)
    result = json.loads(out.read_text())
    assert result["throughput"]["speedup"] > 0 and result["throughput"]["median_length"] > 100
    for mode in ("off", "on"):
        assert [r["seed"] for r in result["accuracy"][mode]["runs"]] == [1, 2]
        assert 0 <= result["accuracy"][mode]["val_accuracy"]["mean"] <= 1


@pytest.mark.slow
def test_levers_bench_measures_each_lever_against_a_baseline(tmp_path):
    out = tmp_path / "levers.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "levers.py"), "--train", "64", "--epochs", "2", "--rounds", "1", "--variants",
                    "generic_lstm", "--json", str(out)], check=True, capture_output=True, timeout=300)
    result = json.loads(out.read_text())
    (row,) = result["rows"]
    assert result["device"] in ("CPU", "GPU") and row["architecture"] == "lstm (tutorial)"
    assert row["variant"].startswith("LSTM without cuDNN")
    assert len(row["ratios"]) == len(row["baseline_samples_per_s"]) == 1 and row["ratio_to_baseline"] > 0


@pytest.mark.slow
def test_fixed_cost_bench_splits_the_cost_per_process_and_per_sweep_trial(tmp_path):
    out = tmp_path / "fixed_cost.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "fixed_cost.py"), "--train", "200", "--sweep-train", "100",
                    "--test", "100", "--trials", "2", "--import-runs", "1", "--json", str(out)], check=True, capture_output=True, timeout=400)
    result = json.loads(out.read_text())
    assert result["process"]["parts"]["import TensorFlow/Keras"] > 0
    tutorial = result["process"]["tutorial"]
    assert tutorial["fixed_s"] > 0 and tutorial["epoch_s"] > 0 and set(tutorial["parts"]) < set(result["process"]["parts"])
    assert len(result["sweep"]["each_trial_s"]) == 1 and result["sweep"]["fixed_per_trial_s"] > 0
