"""textsweep's `hydra/sweeper=optuna` as a drop-in for hydra-optuna-sweeper: small Hydra apps that know nothing
of textsweep, written into temporary folders, swept with the official plugin's configuration surface. Each checks
a behaviour that the official plugin's own tests check (plugins/hydra_optuna_sweeper/tests), plus pruning."""

import os
import subprocess
import sys
import textwrap

import optuna
import pytest
from omegaconf import OmegaConf

SPHERE = """
    import hydra

    @hydra.main(version_base=None, config_path=".", config_name="config")
    def sphere(cfg) -> float:
        if cfg.get("error", False):
            raise RuntimeError("cfg.error is True")
        return cfg.x ** 2 + cfg.y ** 2 + (cfg.z ** 2 if "z" in cfg and not isinstance(cfg.z, str) else 0)

    if __name__ == "__main__":
        sphere()
"""


def run_app(folder, app: str, config: str, *overrides: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Write app.py and config.yaml into folder and run a multirun there, as a user of the official plugin would."""
    (folder / "app.py").write_text(textwrap.dedent(app))
    (folder / "config.yaml").write_text(textwrap.dedent(config))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "app.py", "--multirun", f"hydra.sweep.dir={folder / 'sweep'}", *overrides],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)


def results_of(folder):
    return OmegaConf.to_container(OmegaConf.load(folder / "sweep" / "optimization_results.yaml"))


def test_tpe_on_a_sphere_reaches_a_good_optimum_and_writes_the_official_results_file(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    config = """
        defaults:
          - override hydra/sweeper: optuna
          - override hydra/sweeper/sampler: tpe
        hydra:
          sweeper:
            sampler:
              seed: 123
              n_startup_trials: 5
            direction: minimize
            n_trials: 14
            n_jobs: 1
            params:
              x: range(-5.5, 5.5, step=0.5)
              y: choice(-5, 0, 5)
        x: 1
        y: 1
    """
    ran = run_app(tmp_path, SPHERE, config, f"hydra.sweeper.storage={storage}", "hydra.sweeper.study_name=sphere", "y=0")
    assert ran.returncode == 0, ran.stderr[-3000:]
    found = results_of(tmp_path)
    best = optuna.load_study(study_name="sphere", storage=storage).best_trial
    assert found == {"name": "optuna", "best_params": best.params, "best_value": best.value}
    assert "y" not in found["best_params"]  # a fixed override is no parameter
    assert found["best_value"] <= 2.27  # the official test's bar (the 95th percentile of TPE over 1000 seeds)
    assert "textsweep" not in ran.stdout + ran.stderr.replace("TEXTSWEEP_OPTUNA", "")  # nothing of textsweep's app ran


def test_grid_sampler_covers_the_grid_once_and_stops(tmp_path):
    config = """
        defaults:
          - override hydra/sweeper: optuna
          - override hydra/sweeper/sampler: grid
        hydra:
          sweeper:
            direction: minimize
            study_name: sphere
            storage: null
            n_trials: 20
            experiment_sequence: hydra_plugins.hydra_optuna_sweeper._impl.OptunaExperimentSequence
            params:
              x: choice(-1, 1)
              y: range(-1.0, 1.0, step=1)
              z: choice("foo", "bar")
        x: 1
        y: 1
        z: foo
    """
    ran = run_app(tmp_path, SPHERE, config)
    assert ran.returncode == 0, ran.stderr[-3000:]
    found = results_of(tmp_path)
    assert found["best_value"] == 1 and abs(found["best_params"]["x"]) == 1 and found["best_params"]["y"] == 0
    assert found["best_params"]["z"] in ("foo", "bar")
    assert len(list((tmp_path / "sweep").glob("[0-9]*"))) == 8  # 2 x 2 x 2 points, then the grid is exhausted


def test_multi_objective_front_has_no_dominated_solution(tmp_path):
    app = """
        import hydra

        @hydra.main(version_base=None, config_path=".", config_name="config")
        def two(cfg):
            return [4 * cfg.x ** 2 + 4 * cfg.y ** 2, (cfg.x - 5) ** 2 + (cfg.y - 5) ** 2]

        if __name__ == "__main__":
            two()
    """
    config = """
        defaults:
          - override hydra/sweeper: optuna
          - override hydra/sweeper/sampler: nsgaii
        hydra:
          sweeper:
            sampler:
              seed: 123
            direction: [minimize, minimize]
            study_name: multi-objective
            n_trials: 12
            n_jobs: 3
            params:
              x: range(0, 5, step=0.5)
              y: range(0, 3, step=0.5)
        x: 1
        y: 1
    """
    ran = run_app(tmp_path, app, config)
    assert ran.returncode == 0, ran.stderr[-3000:]
    found = results_of(tmp_path)
    assert found["name"] == "optuna" and found["solutions"]
    for a in found["solutions"]:
        assert a["params"]["x"] % 1 in (0, 0.5) and a["params"]["y"] % 1 in (0, 0.5)
        assert a["values"] == [4 * a["params"]["x"] ** 2 + 4 * a["params"]["y"] ** 2,
                               (a["params"]["x"] - 5) ** 2 + (a["params"]["y"] - 5) ** 2]
        for b in found["solutions"]:
            dominates = all(x <= y for x, y in zip(a["values"], b["values"])) and any(
                x < y for x, y in zip(a["values"], b["values"]))
            assert not dominates


def test_a_foreign_sweep_leaves_nothing_of_textsweep_and_names_each_difference_in_one_line(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    config = """
        defaults:
          - override hydra/sweeper: optuna
          - override hydra/sweeper/sampler: motpe
        hydra:
          sweeper:
            direction: minimize
            study_name: plain
            n_trials: 3
            params:
              x: range(-2, 2, step=1)
              y: choice(0, 1)
        x: 1
        y: 1
    """
    ran = run_app(tmp_path, SPHERE, config, f"hydra.sweeper.storage={storage}")
    assert ran.returncode == 0, ran.stderr[-3000:]
    out = ran.stdout + ran.stderr
    assert "sampler: TPESampler" in out and "PerTrialSeed" not in out  # the sampler by its own class
    assert out.count("hydra/sweeper/sampler=motpe runs Optuna's TPESampler") == 1
    assert out.count("range() stops are not points of the search space here") == 1 and "x=range(-2, 2, step=1)" in out
    study = optuna.load_study(study_name="plain", storage=storage)
    assert not [k for k in study.user_attrs if "textsweep" in k]
    assert not [k for t in study.trials for k in t.user_attrs]
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".lock") == []  # no lock beside the store
    for hydra_yaml in (tmp_path / "sweep").glob("*/.hydra/hydra.yaml"):
        assert "TEXTSWEEP" not in hydra_yaml.read_text()  # no env_set: the app asked for no pruning


@pytest.mark.parametrize("returned, directions, message", [
    ("None", "minimize", "Return value must be float-castable. Got 'None'."),
    ("'abc'", "minimize", "Return value must be float-castable. Got 'abc'."),
    ("float('nan')", "minimize", "Return value must be finite. Got 'nan'."),
    ("[1.0]", "[minimize, minimize]", "The number of the values and the number of the objectives are mismatched. "
                                      "Expect 2, but actually 1."),
])
def test_a_value_the_study_cannot_take_fails_its_trial_in_one_line(tmp_path, returned, directions, message):
    app = f"""
        import hydra

        @hydra.main(version_base=None, config_path=".", config_name="config")
        def bad(cfg):
            return {returned}

        if __name__ == "__main__":
            bad()
    """
    config = f"""
        defaults:
          - override hydra/sweeper: optuna
        hydra:
          sweeper:
            direction: {directions}
            n_trials: 2
            max_failure_rate: 1.0
            params:
              x: choice(0, 1)
        x: 0
    """
    ran = run_app(tmp_path, app, config)
    out = ran.stdout + ran.stderr
    assert ran.returncode != 0 and out.count(f"Failed experiment: {message}") == 2, out[-3000:]
    assert "textsweep: error: no trial of study" in ran.stderr and "Traceback" not in ran.stderr


def test_custom_search_space_adds_a_constrained_parameter(tmp_path):
    app = SPHERE.replace("if __name__", """def configure(cfg, trial):
        x = trial.params["x"]
        trial.suggest_float("z", x - cfg.max_z_difference_from_x, x + cfg.max_z_difference_from_x)
        trial.suggest_float("+w", 0.0, 1.0)

    if __name__""")
    config = """
        defaults:
          - override hydra/sweeper: optuna
          - override hydra/sweeper/sampler: random
        hydra:
          sweeper:
            sampler:
              seed: 123
            direction: minimize
            n_trials: 8
            params:
              x: range(-5.5, 5.5, 0.5)
              y: choice(-5, 0, 5)
            custom_search_space: .custom-search-space-objective.configure
        x: 1
        y: 1
        z: 100
        max_z_difference_from_x: 0.3
    """
    ran = run_app(tmp_path, app, config)
    assert ran.returncode == 0, ran.stderr[-3000:]
    best = results_of(tmp_path)["best_params"]
    assert abs(best["x"] - best["z"]) <= 0.3 and 0 <= best["+w"] <= 1


@pytest.mark.parametrize("max_failure_rate", [0.5, 1.0])
def test_max_failure_rate_stops_with_the_jobs_error_only_above_it(tmp_path, max_failure_rate):
    config = """
        defaults:
          - override hydra/sweeper: optuna
          - override hydra/sweeper/sampler: random
        hydra:
          sweeper:
            n_trials: 4
            n_jobs: 2
            params:
              x: interval(-1, 1)
        x: 1
        y: 1
        error: false
    """
    ran = run_app(tmp_path, SPHERE, config, f"hydra.sweeper.max_failure_rate={max_failure_rate}", "error=true")
    assert ran.returncode != 0
    if max_failure_rate < 1.0:
        assert "RuntimeError: cfg.error is True" in ran.stderr  # the job's own error, as the official plugin raises it
        assert (ran.stdout + ran.stderr).count("Failed experiment") == 2  # stopped after the first batch
    else:
        assert "RuntimeError: cfg.error is True" not in ran.stderr
        assert (ran.stdout + ran.stderr).count("Failed experiment") == 4  # every trial ran; none completed
        assert "textsweep: error: no trial of study" in ran.stderr and "Traceback" not in ran.stderr


@pytest.mark.parametrize("launcher", ["basic", "joblib"])
@pytest.mark.slow
def test_any_app_prunes_through_the_launcher_with_textsweep_pruning(tmp_path, launcher):
    app = """
        import hydra
        from textsweep.sweeping.pruning import report

        @hydra.main(version_base=None, config_path=".", config_name="config")
        def curve(cfg) -> float:
            loss = 10.0
            for step in range(5):
                loss = cfg.x + 1.0 / (step + 1)  # a trial's curve: its x, plus a decay all trials share
                if report(loss, step):
                    break
            return loss

        if __name__ == "__main__":
            curve()
    """
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    config = f"""
        defaults:
          - override hydra/sweeper: optuna
          - override hydra/sweeper/sampler: grid
          - override hydra/sweeper/pruner: median
        hydra:
          sweeper:
            storage: {storage}
            study_name: pruned
            n_trials: 4
            n_jobs: 1
            pruner: {{n_startup_trials: 2, n_warmup_steps: 1}}
            params:
              x: choice(0, 1, 2, 3)
        x: 0
    """
    ran = run_app(tmp_path, app, config, f"hydra/launcher={launcher}")
    assert ran.returncode == 0, ran.stderr[-3000:]
    trials = optuna.load_study(study_name="pruned", storage=storage).trials
    assert len(trials) == 4 and [t.state.name for t in trials[:2]] == ["COMPLETE", "COMPLETE"]
    for i, t in enumerate(trials[2:], start=2):
        # a trial worse at step 1 than the median of the complete ones before it stops there (step 0 is warm-up)
        before = sorted(s.params["x"] for s in trials[:i] if s.state.name == "COMPLETE")
        median = (before[(len(before) - 1) // 2] + before[len(before) // 2]) / 2
        if t.params["x"] > median:
            assert t.state.name == "PRUNED" and list(t.intermediate_values) == [0, 1], (i, t.params, t.state)
        else:
            assert t.state.name == "COMPLETE" and len(t.intermediate_values) == 5, (i, t.params, t.state)
    assert any(t.state.name == "PRUNED" for t in trials)


# --- textsweep's own app ---------------------------------------------------------------------------------------------

from conftest import tiny  # noqa: E402

TINY = tiny(epochs=1, log_model=False)


@pytest.mark.parametrize("objective, direction, message", [
    ("val_loss", "maximize", "direction=maximize would maximize val_loss, which is better lower: set direction=minimize"),
    ("[val_accuracy,train_time_s]", "maximize", "has 1 direction(s) for 2 objective(s)"),
    ("train_time_s", None, "the first objective must be val_accuracy or val_loss"),
])
def test_a_direction_that_contradicts_the_objective_is_refused_in_one_line(cli, objective, direction, message):
    args = ["train", "-m", "hydra/sweeper=optuna", f"hydra.sweeper.objective={objective}", "model.units=4,8", *TINY]
    ran = cli(*args, *([f"hydra.sweeper.direction={direction}"] if direction else []))
    assert ran.returncode == 2 and message in ran.stderr and "Traceback" not in ran.stderr, ran.stderr[-2000:]


def test_objectives_without_a_direction_take_theirs():
    from textsweep.sweeping.objectives import objectives_and_directions

    assert objectives_and_directions("val_loss", []) == (["val_loss"], ["minimize"])
    assert objectives_and_directions(["val_accuracy", "params"], None) == (["val_accuracy", "params"], ["maximize", "minimize"])


@pytest.mark.slow
def test_textsweep_multi_objective_sweep_shows_its_pareto_front(cli, home, client):
    ran = cli("train", "-m", "hydra/sweeper=optuna", "hydra/sweeper/sampler=random", "hydra.sweeper.study_name=mo",
              "hydra.sweeper.objective=[val_accuracy,params]", "hydra.sweeper.n_trials=2", "hydra.sweeper.baseline=false",
              "model.units=choice(2, 16)", *TINY)
    assert ran.returncode == 0, ran.stderr[-3000:]
    out = ran.stdout + ran.stderr
    assert "Pareto front (" in out and "val_accuracy, params" in out
    study = optuna.load_study(study_name="mo", storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}")
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"] and study.best_trials
    [parent] = [r for r in client.search_runs([client.get_experiment_by_name("textsweep").experiment_id])
                if r.data.tags.get("textsweep.role") == "sweep"]
    assert parent.data.tags["pareto.trials"] and "sweep/pareto_front.png" in {
        a.path for a in client.list_artifacts(parent.info.run_id, "sweep")}
    [results] = (home / "mlruns" / "hydra" / "multiruns").glob("*/*/optimization_results.yaml")
    solutions = OmegaConf.load(results).solutions
    assert {tuple(s["values"]) for s in solutions} == {tuple(t.values) for t in study.best_trials}
    status = cli("sweep", "status", "quickstart", "hydra.sweeper.study_name=mo")
    assert "Pareto front (" in status.stdout, status.stdout + status.stderr[-2000:]


@pytest.mark.slow
def test_textsweep_sweep_stops_when_its_first_trials_fail_the_same_way(cli, home, client):
    # a data error that only reading the file finds (one class); a missing file stops the sweep before any trial
    from conftest import write_csv

    one_class = write_csv(home / "one_class.csv", [(f"a film number {i}", "positive") for i in range(20)], header=("text", "label"))
    ran = cli("train", "-m", "hydra/sweeper=optuna", "hydra.sweeper.study_name=broken", "hydra.sweeper.n_trials=6",
              "hydra.sweeper.baseline=false", "dataset=csv", f"dataset.path={one_class}", "model.units=int(interval(2, 16))",
              *TINY)
    assert ran.returncode == 1 and "the first 3 trials failed with the same error" in ran.stderr, ran.stderr[-3000:]
    trials = optuna.load_study(study_name="broken", storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}").trials
    assert len(trials) == 3 and all(t.state.name == "FAIL" for t in trials)
    [parent] = [r for r in client.search_runs([client.get_experiment_by_name("textsweep").experiment_id])
                if r.data.tags.get("textsweep.role") == "sweep"]
    assert parent.info.status == "FAILED"


def test_keras_pruning_callback_reports_each_epoch_and_stops_a_pruned_fit(monkeypatch):
    from textsweep.sweeping import pruning
    from textsweep.sweeping.keras_pruning import PruningCallback

    study = optuna.create_study(study_name="keras", direction="minimize",
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    strong = study.ask()
    for step in range(3):
        strong.report(0.1, step)
    study.tell(strong, 0.1)
    weak = study.ask()
    pruning.share_in_memory(study)
    for key, value in {pruning.STORAGE_ENV: pruning.IN_MEMORY, pruning.STUDY_ENV: "keras", pruning.TRIAL_ENV: str(weak.number)}.items():
        monkeypatch.setenv(key, value)

    class Model:
        stop_training = False

    callback = PruningCallback("val_loss")
    callback.set_model(Model())
    callback.on_epoch_end(0, {"val_loss": 0.9})
    assert callback.model.stop_training and callback.pruned_at == 1
    trial = study.trials[weak.number]
    assert trial.intermediate_values == {0: 0.9} and trial.user_attrs[pruning.PRUNED_ATTR] == 0


@pytest.mark.parametrize("name, cls", [("tpe", "TPESampler"), ("motpe", "TPESampler"), ("random", "RandomSampler"),
                                       ("grid", "ExhaustibleGridSampler"), ("bruteforce", "BruteForceSampler"),
                                       ("qmc", "QMCSampler"), ("nsgaii", "NSGAIISampler"), ("nsgaiii", "NSGAIIISampler"),
                                       ("cmaes", "CmaEsSampler"), ("gp", "GPSampler")])
def test_every_sampler_of_the_group_builds_or_names_its_missing_package(name, cls):
    import importlib.util

    from hydra.utils import instantiate

    from textsweep.config.compose import compose_config
    from textsweep.errors import ConfigError
    from textsweep.sweeping.study import PerTrialSeed, make_sampler

    cfg = compose_config(["hydra/sweeper=optuna", f"hydra/sweeper/sampler={name}", "hydra.sweeper.sampler.seed=7"],
                         return_hydra_config=True)
    partial = instantiate(cfg.hydra.sweeper.sampler)
    needs = {"cmaes": "cmaes", "gp": "torch"}.get(name)
    if needs and importlib.util.find_spec(needs) is None:
        with pytest.raises(ConfigError, match=f"pip install {needs}"):
            make_sampler(partial, 0, {"x": [1, 2]})
        return
    sampler = make_sampler(partial, 3, {"x": [1, 2]})
    if name in ("tpe", "motpe", "random"):  # seeded per trial (workers that start together draw apart)
        assert isinstance(sampler, PerTrialSeed)
        sampler = sampler.inner
    assert type(sampler).__name__ == cls
