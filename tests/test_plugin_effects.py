"""textsweep's Hydra plugin in someone else's Hydra app: Hydra's plugin scan imports it in every app of the
environment, so importing it must change nothing there (environment, stderr, import hooks, logging, loaded
modules), in a single run and in a sweep with `hydra/sweeper=optuna`."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

# A foreign app: it notes its process's state before importing Hydra, and compares it inside each job and at exit.
APP = """
    import json, logging, os, sys

    BEFORE = {"env": dict(os.environ), "stderr": sys.stderr, "meta_path": list(sys.meta_path),
              "factory": logging.getLogRecordFactory(), "modules": set(sys.modules)}
    # what a textsweep run loads: TensorFlow, MLflow, the pipeline, MLflow's side of textsweep, its app and quieting
    HEAVY = ("tensorflow", "keras", "mlflow", "textsweep.pipeline", "textsweep.tracking.runs", "textsweep.train",
             "textsweep.quiet")

    def changes(where):
        env = dict(os.environ)
        new = set(sys.modules) - BEFORE["modules"]
        return {"where": where,
                "env": sorted(k for k in env.keys() | BEFORE["env"].keys() if env.get(k) != BEFORE["env"].get(k)),
                "stderr_replaced": sys.stderr is not BEFORE["stderr"],
                "import_hooks": [type(f).__name__ for f in sys.meta_path if f not in BEFORE["meta_path"]],
                "log_record_factory_replaced": logging.getLogRecordFactory() is not BEFORE["factory"],
                "textsweep_log_handlers": [type(h).__name__ for h in logging.getLogger().handlers
                                           if type(h).__module__.startswith("textsweep")],
                "heavy_modules": sorted(m for m in new if m.startswith(HEAVY)),
                "textsweep_modules": sorted(m for m in new if m.split(".")[0] == "textsweep")}

    import hydra

    @hydra.main(version_base=None, config_path=".", config_name="config")
    def app(cfg) -> float:
        with open(os.environ["FINDINGS"], "a") as f:
            f.write(json.dumps(changes("job")) + "\\n")
        return (cfg.x - 1) ** 2

    if __name__ == "__main__":
        app()
        with open(os.environ["FINDINGS"], "a") as f:
            f.write(json.dumps(changes("exit")) + "\\n")
"""


def run_foreign_app(tmp_path, *args: str) -> list[dict]:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    (tmp_path / "config.yaml").write_text("x: 0\n")
    findings = tmp_path / "findings.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "MLFLOW_DISABLE_TELEMETRY")}
    ran = subprocess.run([sys.executable, "app.py", *args, f"hydra.run.dir={tmp_path / 'run'}",
                          f"hydra.sweep.dir={tmp_path / 'sweep'}"], cwd=tmp_path,
                         env={**env, "FINDINGS": str(findings)}, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-3000:]
    return [json.loads(line) for line in findings.read_text().splitlines()]


def test_a_single_run_of_a_foreign_app_sees_nothing_of_textsweep(tmp_path):
    found = run_foreign_app(tmp_path, "x=2")
    assert [f["where"] for f in found] == ["job", "exit"]
    for f in found:
        assert f == {"where": f["where"], "env": [], "stderr_replaced": False, "import_hooks": [],
                     "log_record_factory_replaced": False, "textsweep_log_handlers": [], "heavy_modules": [],
                     "textsweep_modules": []}, f  # the plugin scan imported textsweep's config and shell only


@pytest.mark.parametrize("sweeper", ["optuna", "textsweep"])
def test_a_foreign_sweep_changes_nothing_but_loads_the_sweeper(tmp_path, sweeper):
    found = run_foreign_app(tmp_path, "-m", f"hydra/sweeper={sweeper}", "hydra.sweeper.n_trials=3",
                            "x=choice(0, 1, 2)")
    assert [f["where"] for f in found] == ["job", "job", "job", "exit"]
    for f in found:
        assert not f["env"] and not f["stderr_replaced"] and not f["import_hooks"], f
        assert not f["log_record_factory_replaced"] and not f["textsweep_log_handlers"] and not f["heavy_modules"], f
        assert "textsweep.sweeping.sweeper" in f["textsweep_modules"], f  # the sweep itself: loaded when it starts
