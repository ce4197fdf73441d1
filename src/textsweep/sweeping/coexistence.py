"""Living beside hydra-optuna-sweeper (docs/hydra-plugin.md): both plugins register `hydra/sweeper=optuna`, and
Hydra keeps the one it scans last, textsweep's in every layout measured (the two in one site-packages, the official
one earlier on sys.path); `hydra/sweeper=textsweep` always names textsweep's. Installing the official plugin after
textsweep downgrades Optuna (it pins optuna<3), which textsweep's sweeper cannot run on.

Imports nothing but the standard library and packaging: the Optuna check runs before Optuna is imported.
"""

import importlib.metadata
import importlib.util
import logging
import sys

log = logging.getLogger("textsweep.sweep")
OFFICIAL = "hydra_plugins.hydra_optuna_sweeper"


def optuna_problem() -> str | None:
    """One line when the installed Optuna is not one textsweep's sweeper runs on: its version, who pulled it in,
    the fix. None when it fits."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    try:
        installed = Version(importlib.metadata.version("optuna"))
    except importlib.metadata.PackageNotFoundError:
        return "textsweep's sweeper needs Optuna, which is not installed: pip install 'optuna>=5,<6'"
    needed = next((Requirement(r) for r in importlib.metadata.requires("textsweep") or []
                   if Requirement(r).name == "optuna"), None)
    if needed is None or installed in needed.specifier:
        return None
    # who pulled it in: an installed package whose requirement admits this Optuna and not the one textsweep needs
    lowest = _lowest(needed)
    pinned = [f"{dist.metadata['Name']} {dist.version} (it requires optuna{req.specifier})"
              for dist, req in _requirements_of("optuna") if dist.metadata["Name"] != "textsweep"
              and str(req.specifier) and installed in req.specifier and not req.specifier.contains(lowest)]
    who = f", pulled in by {', '.join(dict.fromkeys(pinned))}" if pinned else ""
    return (f"textsweep's sweeper needs optuna{needed.specifier} and optuna {installed} is installed{who}: "
            f"pip install 'optuna{needed.specifier}' (docs/hydra-plugin.md), or sweep with the official plugin in an "
            "environment without textsweep")


def _requirements_of(name: str):
    """(distribution, requirement) for every installed distribution that requires `name`."""
    from packaging.requirements import Requirement

    for dist in importlib.metadata.distributions():
        for line in dist.requires or []:
            try:
                req = Requirement(line)
            except Exception:  # a malformed line in some package's metadata: not ours to judge
                continue
            if req.name.lower() == name and (req.marker is None or req.marker.evaluate({"extra": ""})):
                yield dist, req


def _lowest(needed):
    """The lowest version a specifier set admits (its >= bound), to test other packages' pins against."""
    from packaging.version import Version

    lows = [Version(s.version) for s in needed.specifier if s.operator in (">=", "==", "~=")]
    return max(lows) if lows else Version("0")


def check_optuna() -> None:
    """Stop in one line, exit 2, when Optuna does not fit (never an ImportError from deep inside the sweeper)."""
    problem = optuna_problem()
    if problem is None:
        return
    from textsweep.errors import ConfigError, Escalated

    if "textsweep.cli" in sys.modules:  # textsweep's command: its one printer shows the line
        raise Escalated(ConfigError(problem))
    print(f"textsweep: error: {problem}", file=sys.stderr, flush=True)
    sys.exit(2)


def announce_served_name(config) -> None:
    """One line, when hydra-optuna-sweeper is importable too and the sweep named `optuna`: which sweeper serves it
    and how to choose."""
    from omegaconf import OmegaConf

    if OmegaConf.select(config, "hydra.runtime.choices", default={}).get("hydra/sweeper") != "optuna":
        return
    if importlib.util.find_spec(OFFICIAL) is None:
        return
    log.warning("hydra/sweeper=optuna is textsweep's Optuna sweeper here, not hydra-optuna-sweeper (installed too; "
                "Hydra keeps the plugin it scans last): write hydra/sweeper=textsweep to say so, or sweep in an "
                "environment without textsweep for the official plugin (docs/hydra-plugin.md)")
