"""Where textsweep's Hydra configs live, and composing them in-process (tests, other commands)."""

from pathlib import Path

from omegaconf import DictConfig


def config_dir() -> Path:
    """The repository's conf/ (editable install), else the copy shipped inside the package."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "conf", here.parent / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"textsweep's conf/ folder was not found next to {here}: reinstall textsweep")


def shipped_sweeps_dir() -> Path:
    """The ready sweep definitions that come with textsweep (sweeps/ beside conf/)."""
    return config_dir().parent / "sweeps"


SWEEP_FILE_ROOT_ENV = "TEXTSWEEP_SWEEP_FILE_ROOT"  # `textsweep sweep path/to/file.yaml`: the folder holding its sweeps/


def project_dir() -> Path:
    """The user's project folder: TEXTSWEEP_HOME, default the current folder."""
    import os

    return Path(os.environ.get("TEXTSWEEP_HOME") or ".").resolve()


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


def compose_config(overrides: list[str] | None = None, config_name: str = "config",
                   return_hydra_config: bool = False) -> DictConfig:
    """The config `textsweep train <overrides>` would run, composed with Hydra's compose API."""
    from hydra import compose, initialize_config_dir

    import textsweep.schema  # noqa: F401  (registers the structured config schema)

    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose(config_name=config_name, overrides=list(overrides or []), return_hydra_config=return_hydra_config)
