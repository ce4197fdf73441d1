"""Hydra's composition errors in one line: which key or option, and how to fix it.

Hydra prints several lines (and a hint about HYDRA_FULL_ERROR) for a misspelled key, a wrong type or an
unknown preset; textsweep users get one line like every other mistake.
"""

import re


def _first(text) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def one_line(exc: Exception) -> str:
    from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException

    text = str(exc)
    if isinstance(exc, MissingConfigException):
        options = re.findall(r"^\t(\S+)$", text.split("Config search path")[0], flags=re.M)
        missing = re.search(r"Could not find '([^']+)'", text)
        what = f"no config '{missing.group(1)}'" if missing else _first(text)
        return f"{what}: use one of {', '.join(options)}" if options else f"{what}: check the name"
    if isinstance(exc, OverrideParseException):
        return f"cannot parse an override ({_first(text)}): quote values with spaces or brackets, e.g. 'model.units=int(interval(32, 128))'"
    if isinstance(exc, ConfigCompositionException):
        cause = exc.__cause__
        detail = _first(cause) if cause is not None else ""
        key = re.search(r"full_key: (\S+)", str(cause)) if cause is not None else None
        if "not in" in detail:
            return f"{_first(text)} {detail}: check the key's spelling (textsweep train --cfg job lists every key)"
        if key:
            return f"{key.group(1)}: {detail}: give a value of the key's type"
        return _first(text) + (f": {detail}" if detail else "")
    return _first(text) or type(exc).__name__
