"""The rule for the names a user gives: MLflow experiments, Optuna studies, registered models and their aliases.

A name becomes a folder (an experiment's artifacts live under `<artifact root>/<experiment_name>`), a
column of a database (PostgreSQL refuses what does not fit: MLflow's experiment and model names hold 256
characters, a run name 250, and a sweep's parent run is named `sweep-<study>`) and a part of URIs
(`models:/NAME@alias`). So a name may not hold a path separator, be `.` or `..`, hold a control character,
or be longer than MAX_NAME characters: refused in one line before anything is written.
"""

import re

from textsweep.errors import ConfigError

MAX_NAME = 200  # within every column a name reaches (MLflow 250-256, Optuna 512), with room for "sweep-"
MAX_ALIAS = 255  # MLflow's limit for an alias
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ALIAS = re.compile(r"[\w-]+")  # MLflow's alias characters
_VERSION_ALIAS = re.compile(r"[vV]\d+")  # reserved by MLflow: models:/NAME@v3 means version 3


def check_name(key: str, name, example: str) -> None:
    """`key`=`name` is a usable experiment, study or model name; else ConfigError naming the key and the fix.
    None passes (the caller's default applies)."""
    if name is None:
        return
    name = str(name)
    if not name.strip():
        raise ConfigError(f"{key} is empty: name it, e.g. {key}={example}")
    problem = ("holds a path separator" if "/" in name or "\\" in name else
               "is a relative folder name" if name in (".", "..") else
               "holds a control character (a newline or tab)" if _CONTROL.search(name) else
               "starts or ends with a space" if name != name.strip() else
               f"is {len(name)} characters long (at most {MAX_NAME})" if len(name) > MAX_NAME else "")
    if problem:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise ConfigError(f"{key}={shown!r} {problem}: a name becomes a folder and a database value; use letters, "
                          f"digits, spaces, '-', '_' or '.', e.g. {key}={example}")


def check_sweep_names(study_name, experiment_name) -> None:
    """A sweep's study (named hydra.sweeper.study_name, else after the experiment) and its experiment."""
    check_name("hydra.sweeper.study_name", study_name, "my_sweep")
    check_name("experiment_name", experiment_name, "textsweep")


def check_alias(alias) -> None:
    """MLflow's rules for a registered model alias, checked before a version is registered (MLflow checks only
    when the alias is set, after the version exists)."""
    alias = "" if alias is None else str(alias)
    problem = ("is empty" if not alias else
               "may hold only letters, digits, '_' and '-'" if not _ALIAS.fullmatch(alias) else
               "is reserved by MLflow (models:/NAME@latest means the latest version)" if alias.lower() == "latest" else
               "is reserved by MLflow (models:/NAME@vN means version N)" if _VERSION_ALIAS.fullmatch(alias) else
               f"is {len(alias)} characters long (at most {MAX_ALIAS})" if len(alias) > MAX_ALIAS else "")
    if problem:
        raise ConfigError(f"--alias {alias!r} {problem}: e.g. --alias champion")


_MLFLOW_KEY_BAD = re.compile(r"[^\w\-. :/]")  # MLflow's param, metric and tag keys: alphanumerics, _ - . space : /


def mlflow_key(name: str) -> str:
    """A search-space name as an MLflow key: Hydra's `+`/`++` (add a key) dropped, any other character MLflow
    refuses (`@` of a package override) made `_`. `+model.unitz` is the key `model.unitz`, as in the run's config."""
    return _MLFLOW_KEY_BAD.sub("_", str(name).lstrip("+"))
