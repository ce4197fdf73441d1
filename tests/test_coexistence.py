"""textsweep beside the official hydra-optuna-sweeper, for real: the official plugin (and, for the downgrade case,
the Optuna 2.10 it pins) installed with pip into folders put on a foreign app's PYTHONPATH, ahead of the venv, as a
project's requirements file would put them. Needs PyPI once per session (skipped offline); docs/hydra-plugin.md
says what happens in each install order."""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

APP = """
    import hydra

    @hydra.main(version_base=None, config_path=".", config_name="config")
    def app(cfg) -> float:
        return (cfg.x - 1) ** 2

    if __name__ == "__main__":
        app()
"""


def pip_target(folder, *packages: str):
    ran = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(folder), *packages],
                         capture_output=True, text=True, timeout=300)
    if ran.returncode != 0:  # offline outside CI: skip; under CI=true the index is reachable, so a failure fails
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot install {packages} from the package index under CI: {ran.stderr.strip()[-300:]}")
        pytest.skip(f"cannot install {packages} from the package index: {ran.stderr.strip()[-300:]}")
    return folder


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    return pip_target(tmp_path_factory.mktemp("official"), "hydra-optuna-sweeper==1.2.0")


@pytest.fixture(scope="module")
def old_optuna(tmp_path_factory):
    # cmaes: the one dependency of Optuna 2.10's samplers that the venv lacks (the rest are Optuna 5's or MLflow's)
    return pip_target(tmp_path_factory.mktemp("old_optuna"), "optuna==2.10.1", "cmaes")


def run_app(tmp_path, pythonpath: list, *overrides: str) -> subprocess.CompletedProcess:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    (tmp_path / "config.yaml").write_text("x: 0\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath)}
    return subprocess.run([sys.executable, "app.py", "-m", *overrides, f"hydra.sweep.dir={tmp_path / 'sweep'}",
                           "hydra.sweeper.n_trials=2", "x=choice(0, 1, 2)"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_with_the_official_plugin_installed_one_line_says_who_serves_optuna(tmp_path, official):
    ran = run_app(tmp_path, [official], "hydra/sweeper=optuna")
    assert ran.returncode == 0, ran.stderr[-3000:]
    out = ran.stdout + ran.stderr
    assert out.count("hydra/sweeper=optuna is textsweep's Optuna sweeper here") == 1, out[-3000:]
    assert "hydra/sweeper=textsweep" in out and (tmp_path / "sweep" / "optimization_results.yaml").exists()
    named = run_app(tmp_path, [official], "hydra/sweeper=textsweep")  # the unambiguous name: no line to read
    assert named.returncode == 0 and "is textsweep's Optuna sweeper here" not in named.stdout + named.stderr


@pytest.mark.parametrize("sweeper", ["optuna", "textsweep"])
def test_an_optuna_too_old_is_one_line_naming_its_version_and_who_pulled_it_in(tmp_path, official, old_optuna, sweeper):
    ran = run_app(tmp_path, [old_optuna, official], f"hydra/sweeper={sweeper}")
    assert ran.returncode == 2, ran.stderr[-3000:]
    [line] = [l for l in ran.stderr.splitlines() if "error" in l]
    assert line.startswith("textsweep: error: textsweep's sweeper needs optuna") and "optuna 2.10.1 is installed" in line
    assert "pulled in by hydra-optuna-sweeper 1.2.0 (it requires optuna<3.0.0,>=2.10.0)" in line, line
    assert "pip install 'optuna" in line and "Traceback" not in ran.stderr and "ImportError" not in ran.stderr
