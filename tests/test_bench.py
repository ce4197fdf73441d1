"""Benchmark scripts run end to end at tiny sizes and write their JSON (figures come from full runs, not tests)."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_overhead_bench_runs_and_reports_a_ratio(tmp_path):
    out = tmp_path / "overhead.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "overhead.py"), "--train", "200", "--epochs", "1",
                    "--rounds", "1", "--json", str(out)], check=True, capture_output=True, timeout=300)
    result = json.loads(out.read_text())
    assert result["train_samples"] == 160 and len(result["plain_samples_per_s"]) == 1
    assert result["ratio"] > 0


def test_data_path_bench_reports_first_and_cached_loads(tmp_path):
    out = tmp_path / "data_path.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "data_path.py"), "--json", str(out)], check=True,
                   capture_output=True, timeout=300)
    result = json.loads(out.read_text())
    assert result["reviews"] == 25000 and result["first_load_s"] > result["cached_load_s"] > 0
