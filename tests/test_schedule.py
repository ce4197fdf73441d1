"""The scheduled jobs in sweeps/schedule/: a systemd service a sysadmin accepts (its own user, hardened,
per-instance overrides) and a cron line whose log folder exists when the shell opens the log."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import processes
from conftest import REPO

SCHEDULE = REPO / "sweeps" / "schedule"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def unit_settings(path: Path) -> dict[str, list[str]]:
    """Key -> every value it is given (systemd allows a key more than once), comments and sections skipped."""
    settings: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_the_service_runs_as_its_own_user_and_takes_per_instance_overrides():
    service = unit_settings(SCHEDULE / "textsweep-sweep@.service")
    assert service["User"] == ["textsweep"] and "root" not in service["User"]
    assert service["EnvironmentFile"] == ["-/etc/textsweep/%i.env"]  # optional: an instance without one still runs
    assert service["ExecStart"] == ["/opt/textsweep/.venv/bin/textsweep sweep %i $SWEEP_ARGS"]  # split into words
    assert '"SWEEP_ARGS=--n-trials 10"' in service["Environment"]  # the default the file overrides (quoted: one assignment)
    assert service["ReadWritePaths"] == ["/opt/textsweep/mlruns"] and service["ProtectSystem"] == ["strict"]
    assert unit_settings(SCHEDULE / "textsweep-sweep@.timer")["OnCalendar"] == ["*-*-* 02:15:00"]


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)")
def test_systemd_parses_the_units_and_rates_the_service_below_5(tmp_path):
    instance = tmp_path / "textsweep-sweep@quickstart.service"
    shutil.copy(SCHEDULE / "textsweep-sweep@.service", instance)
    result = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=true", "--no-pager", str(instance)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert "Unknown key" not in result.stderr and "Invalid" not in result.stderr, result.stderr
    exposure = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert exposure and float(exposure.group(1)) < 5, result.stdout[-3000:]
    timer = unit_settings(SCHEDULE / "textsweep-sweep@.timer")
    calendar = subprocess.run([SYSTEMD_ANALYZE, "calendar", *timer["OnCalendar"]], capture_output=True, text=True, timeout=30)
    assert calendar.returncode == 0 and "Next elapse" in calendar.stdout


@pytest.mark.slow
def test_the_cron_line_creates_the_log_folder_and_logs_the_first_run(tmp_path):
    """The crontab's command, run by /bin/sh as cron runs it, in a fresh /opt/textsweep without mlruns/: the log
    is written (here: the one-line error for the dataset file this machine lacks)."""
    [line] = [l for l in (SCHEDULE / "crontab").read_text().splitlines() if l.strip() and not l.startswith("#")]
    command = line.split(None, 5)[5]
    project = tmp_path / "opt-textsweep"
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "textsweep").symlink_to(Path(sys.executable).with_name("textsweep"))
    command = command.replace("/opt/textsweep", str(project)).replace("/opt/data", str(tmp_path / "data"))
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "TEXTSWEEP_HOME")}
    ran = processes.run(["/bin/sh", "-c", command], env=env, timeout=processes.patience(120))
    log = project / "mlruns" / "sweep-cnn_lstm.log"
    assert log.is_file(), ran.stderr
    assert ran.returncode == 2 and "rt_snippets.csv does not exist" in log.read_text()
