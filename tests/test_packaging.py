"""textsweep as a user installs it: a built wheel (not the editable checkout) carries its configs and sweep
definitions, runs from any folder, and finds a project's own sweeps/ beside the shipped ones."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import user_env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from this checkout, installed (without its dependencies) into a folder of its own."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source = tmp_path_factory.mktemp("source") / "textsweep"  # a copy: pip builds in the tree it is given
    shutil.copytree(repo, source, ignore=shutil.ignore_patterns(".venv", ".git", "mlruns", "build", "*.egg-info", "__pycache__",
                                                                 "bench-*", "outputs", "multirun"))
    wheels, target = tmp_path_factory.mktemp("wheels"), tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(source)],
                   check=True, capture_output=True, timeout=300)
    [wheel] = wheels.glob("textsweep-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return wheel, target


def test_the_wheel_ships_every_config_and_sweep(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder in ("conf", "sweeps"):
        for path, _, files in os.walk(os.path.join(repo, folder)):
            for f in files:
                if f.endswith(".yaml"):
                    relative = os.path.relpath(os.path.join(path, f), repo)
                    assert f"textsweep/{relative}" in names, relative


@pytest.mark.slow
def test_the_installed_package_trains_from_any_folder_and_finds_the_projects_own_sweeps(installed, tmp_path):
    _, target = installed
    project = tmp_path / "project"
    (project / "sweeps").mkdir(parents=True)
    (project / "sweeps" / "mine.yaml").write_text(
        "# @package _global_\ndefaults:\n  - override /hydra/sweeper: optuna\nexperiment_name: mine\n"
        "hydra:\n  sweeper:\n    n_trials: 1\n    baseline: false\n    params:\n      model.units: choice(3, 4)\n")
    env = {**user_env(project), "PYTHONPATH": str(target)}  # the installed copy comes before the editable checkout
    where = subprocess.run([sys.executable, "-c", "import textsweep.config.paths as c; print(c.config_dir())"], cwd=project,
                           env=env, capture_output=True, text=True, timeout=120)
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr
    listed = subprocess.run([sys.executable, "-m", "textsweep", "sweep", "list"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "mine" in listed.stdout.split() and "quickstart" in listed.stdout.split(), listed.stdout + listed.stderr
    tiny = ["dataset.num_samples=200", "dataset.maxlen=12", "embedding.dim=4", "trainer.epochs=1", "trainer.verbose=0",
            "tracking.log_model=false"]
    ran = subprocess.run([sys.executable, "-m", "textsweep", "sweep", "mine", *tiny], cwd=project, env=env,
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert (project / "mlruns" / "mlflow.db").is_file() and (project / "mlruns" / "optuna.db").is_file()


@pytest.mark.slow
def test_a_project_adds_its_own_presets_and_runs_a_sweep_file_from_any_path(installed, tmp_path):
    _, target = installed
    project = tmp_path / "project"
    (project / "conf" / "model").mkdir(parents=True)
    (project / "conf" / "model" / "tiny_gru.yaml").write_text(  # a preset of the user's own: model=tiny_gru
        "name: tiny_gru\nunits: 3\nblocks:\n  - {type: rnn, cell: gru, units: \"${model.units}\"}\n")
    elsewhere = tmp_path / "experiments"
    elsewhere.mkdir()
    (elsewhere / "gru_units.yml").write_text(
        "# @package _global_\ndefaults:\n  - override /model: tiny_gru\n  - override /hydra/sweeper: optuna\n"
        "experiment_name: gru_units\nhydra:\n  sweeper:\n    n_trials: 2\n    baseline: false\n"
        "    params:\n      model.units: choice(2, 3)\n")
    env = {**user_env(project), "PYTHONPATH": str(target)}
    tiny = ["dataset.num_samples=200", "dataset.maxlen=12", "embedding.dim=4", "trainer.epochs=1", "trainer.verbose=0",
            "tracking.log_model=false"]
    ran = subprocess.run([sys.executable, "-m", "textsweep", "sweep", str(elsewhere / "gru_units.yml"), *tiny], cwd=project,
                         env=env, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr[-3000:]
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{project / 'mlruns' / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("gru_units").experiment_id])
    trials = [r for r in runs if "optuna.trial" in r.data.tags]
    assert len(trials) == 2 and {r.data.params["model.name"] for r in trials} == {"tiny_gru"}
    assert {r.data.params["model.blocks.0.cell"] for r in trials} == {"gru"}
    missing = subprocess.run([sys.executable, "-m", "textsweep", "sweep", "nowhere/none.yaml"], cwd=project, env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "sweep file nowhere/none.yaml does not exist" in missing.stderr
