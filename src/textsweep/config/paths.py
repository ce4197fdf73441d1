"""Where things live: textsweep's own conf/ and sweeps/, the user's project folder with its own, and one
run's files under its `home` (RunPaths).

Imported by the schema (its resolvers put these folders on Hydra's search path) and by compose: stdlib only.
"""

from dataclasses import dataclass
from pathlib import Path


def config_dir() -> Path:
    """The repository's conf/ (editable install), else the copy shipped inside the package."""
    package = Path(__file__).resolve().parents[1]  # src/textsweep (editable) or site-packages/textsweep
    for candidate in (package.parents[1] / "conf", package / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"textsweep's conf/ folder was not found near {package}: reinstall textsweep")


def shipped_sweeps_dir() -> Path:
    """The ready sweep definitions that come with textsweep (sweeps/ beside conf/)."""
    return config_dir().parent / "sweeps"


SWEEP_FILE_ROOT_ENV = "TEXTSWEEP_SWEEP_FILE_ROOT"  # `textsweep sweep path/to/file.yaml`: the folder holding its sweeps/


def project_dir() -> Path:
    """The user's project folder: TEXTSWEEP_HOME, default the current folder."""
    import os

    return Path(os.environ.get("TEXTSWEEP_HOME") or ".").expanduser().resolve()


def user_sweeps_dir() -> Path | None:
    """The user's own sweeps/ folder: a sweep file given by path (`textsweep sweep my/file.yaml`), else the
    project folder's sweeps/ when there is one that is not textsweep's own."""
    import os

    if os.environ.get(SWEEP_FILE_ROOT_ENV):
        return Path(os.environ[SWEEP_FILE_ROOT_ENV]) / "sweeps"
    found = project_dir() / "sweeps"
    return found if found.is_dir() and found != shipped_sweeps_dir().resolve() else None


def user_conf_dir() -> Path | None:
    """The project's own conf/ (e.g. conf/model/my_model.yaml, used as model=my_model), when it has one that is
    not textsweep's own."""
    found = project_dir() / "conf"
    return found if found.is_dir() and found != config_dir().resolve() else None


@dataclass(frozen=True)
class RunPaths:
    """Where one run's files go, resolved once from its `home` ($TEXTSWEEP_HOME, else the current folder): the
    stages and stores get these paths, not the whole config."""

    home: Path

    @classmethod
    def of(cls, cfg) -> "RunPaths":
        return cls(Path(cfg.home).expanduser().resolve())

    @classmethod
    def of_project(cls) -> "RunPaths":
        """For commands outside Hydra (compare, ui, dashboard, sweep status): the project folder's."""
        return cls(project_dir())

    @property
    def mlruns(self) -> Path:
        return self.home / "mlruns"

    @property
    def mlflow_db(self) -> Path:  # the embedded MLflow store
        return self.mlruns / "mlflow.db"

    @property
    def optuna_db(self) -> Path:  # the embedded Optuna storage
        return self.mlruns / "optuna.db"

    @property
    def artifacts(self) -> Path:  # artifacts of the embedded store's experiments
        return self.mlruns / "artifacts"

    @property
    def dataset_cache(self) -> Path:  # vectorised datasets, keyed by config and source
        return self.mlruns / "cache" / "datasets"
