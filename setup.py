"""The wheel carries textsweep's Hydra configs: conf/ and sweeps/ live at the top of the repository (where
users and the README look for them) and are copied into the package at build time, as textsweep/conf and
textsweep/sweeps, which is where compose.config_dir() looks in an installed textsweep."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("conf", "sweeps")


class BuildPyWithConfigs(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the repository's own folders
            return
        for name in SHIPPED:
            target = Path(self.build_lib) / "textsweep" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithConfigs})
