"""A sweep definition file read as a user wrote it: UTF-8 YAML holding a mapping, or one line that says where
it is broken. Hydra would show a YAML or decoding error as a traceback from inside its config loader."""

from pathlib import Path

from textsweep.errors import ConfigError


def check_sweep_file(path: Path) -> None:
    """Raises ConfigError naming the file, the line and the fix when `path` is not UTF-8 YAML holding a mapping."""
    import yaml

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ConfigError(f"sweep file {path} is not UTF-8 (byte 0x{raw[e.start]:02x} on line {line}): save it as "
                          "UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" on line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"sweep file {path} is not valid YAML{where} ({problem}): fix the file "
                          "(sweeps/quickstart.yaml shows the layout)") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"sweep file {path} holds a {type(data).__name__}, not a mapping of settings: see "
                          "sweeps/quickstart.yaml for the layout")
