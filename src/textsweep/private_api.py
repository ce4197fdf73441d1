"""Every private API of Optuna, Hydra and MLflow that textsweep still needs, each in one function.

tests/test_private_api.py calls each one against the installed versions, so an upgrade that moves one
fails that test by name instead of a user's scheduled sweep.
- Optuna 5 has no public way to reach a study's storage, to look a trial's id up by its number, to reopen
  a trial in another process (a job reports epochs to the trial the sweeper asked for), to write a user
  attribute of a trial known only by its number (a failed job's reason), or to read a trial's id.
- Hydra's `JobReturn.return_value` re-raises a failed job's exception; the exception is `_return_value`.
- MLflow adds its source tags (user, entry point, git commit) in the fluent API only: `resolve_tags`.
"""


def storage_of(study):
    return study._storage


def trial_id(trial) -> int:
    """The storage id of an optuna Trial or FrozenTrial."""
    return trial._trial_id


def trial_id_of(study, number: int) -> int:
    return study._storage.get_trial_id_from_study_id_trial_number(study._study_id, number)


def reopen_trial(study, number: int):
    """A live optuna.trial.Trial for a trial the sweeper asked for, opened in the job's process."""
    import optuna

    return optuna.trial.Trial(study, trial_id_of(study, number))


def set_trial_user_attr(study, number: int, key: str, value) -> None:
    """A user attribute of a running trial known by its number (the sweeper holds no Trial object for it)."""
    study._storage.set_trial_user_attr(trial_id_of(study, number), key, value)


def job_error(result) -> BaseException | None:
    """The exception a failed Hydra job raised (JobReturn.return_value would raise it again)."""
    return result._return_value


def mlflow_source_tags() -> dict[str, str]:
    from mlflow.tracking.context.registry import resolve_tags

    return {k: v for k, v in resolve_tags().items() if v is not None}


def apply_app_overrides(cfg, overrides: list[str]) -> list:
    """Hydra's own step of composition that applies command-line overrides to a composed config (struct
    mode, `+`, `~`, `++`, Hydra's value grammar). Returns the parsed overrides."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    ConfigLoaderImpl._apply_overrides_to_config(parsed, cfg)
    return parsed


def override_dirname(cfg, parsed: list) -> str:
    """hydra.job.override_dirname, as Hydra's composition computes it."""
    from hydra._internal.config_loader_impl import get_overrides_dirname

    c = cfg.hydra.job.config.override_dirname
    return get_overrides_dirname(overrides=parsed, exclude_keys=list(c.exclude_keys), item_sep=c.item_sep, kv_sep=c.kv_sep)
