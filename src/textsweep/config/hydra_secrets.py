"""A Hydra callback that keeps passwords out of what Hydra writes: its job folders' yaml and its log lines.

Hydra saves each job's `.hydra/config.yaml`, `hydra.yaml` and `overrides.yaml` (and a basic sweep's
`multirun.yaml`) as composed, and its launchers log every job's override line, so a tracking or storage
URL's password would land in mlruns/hydra/ and in a cron log. Hydra writes the yaml just before
`on_job_start`: the callback rewrites it there, masked, before the job's first line of work.
"""

from pathlib import Path

from hydra.experimental.callback import Callback

from textsweep.config.masking import mask_logs, mask_secrets

HYDRA_FILES = ("config.yaml", "hydra.yaml", "overrides.yaml")


def mask_file(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    masked = mask_secrets(text)
    if masked != text:
        path.write_text(masked, encoding="utf-8")


class MaskSecrets(Callback):
    def __init__(self) -> None:
        mask_logs()  # instantiated before Hydra's launcher logs its first job line

    def on_job_start(self, config, **kwargs) -> None:
        runtime = config.hydra.runtime
        if config.hydra.output_subdir is not None and runtime.get("output_dir"):
            for name in HYDRA_FILES:
                mask_file(Path(runtime.output_dir) / config.hydra.output_subdir / name)
        if str(config.hydra.mode) == "RunMode.MULTIRUN":
            mask_file(Path(config.hydra.sweep.dir) / "multirun.yaml")
