"""Composing textsweep's Hydra configs in-process (tests, other commands)."""

from omegaconf import DictConfig

from textsweep.config.paths import config_dir


def compose_config(overrides: list[str] | None = None, config_name: str = "config",
                   return_hydra_config: bool = False) -> DictConfig:
    """The config `textsweep train <overrides>` would run, composed with Hydra's compose API."""
    from hydra import compose, initialize_config_dir

    import textsweep.config.schema  # noqa: F401  (registers the structured config schema)

    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose(config_name=config_name, overrides=list(overrides or []), return_hydra_config=return_hydra_config)
