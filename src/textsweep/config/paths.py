"""Where configs live: textsweep's own conf/ and sweeps/, and the user's project folder with its own.

Imported by the schema (its resolvers put these folders on Hydra's search path) and by compose: stdlib only.
"""

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
