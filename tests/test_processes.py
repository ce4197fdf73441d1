"""Child processes end whole: the suite's own helpers (tests/processes.py) and the foreground server of
`textsweep ui` / `textsweep dashboard` (commands/server_process.py). Real processes, no mocks."""

import signal
import subprocess
import sys
import time

import processes
from conftest import SESSION_MARK

# A "server" that forks a worker, as `mlflow ui` forks uvicorn workers, and prints the worker's pid.
FORKING_SERVER = ("import subprocess, sys, time\n"
                  "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
                  "print(worker.pid, flush=True)\n"
                  "time.sleep(120)\n")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_killed_leader_orphans_its_worker_and_the_session_check_finds_it():
    proc = processes.spawn([sys.executable, "-c", FORKING_SERVER], stdout=subprocess.PIPE, text=True)
    worker = int(proc.stdout.readline())
    proc.kill()  # the leader only: what the suite used to do
    proc.wait()
    proc.stdout.close()
    # re-parented, still marked (polled: a process's command line reads empty for a moment after its exec)
    processes.wait_until(lambda: worker in processes.leftovers(SESSION_MARK), "the orphan found", ceiling=10, interval=0.1)
    assert worker in processes.end_leftovers(SESSION_MARK, grace=0)
    processes.wait_until(lambda: not _alive(worker), "the orphan killed", ceiling=10, interval=0.1)


def test_stop_ends_the_whole_group():
    proc = processes.spawn([sys.executable, "-c", FORKING_SERVER], stdout=subprocess.PIPE, text=True)
    worker = int(proc.stdout.readline())
    processes.stop(proc)
    assert proc.returncode == -signal.SIGTERM
    processes.wait_until(lambda: not _alive(worker), "the worker gone", ceiling=10, interval=0.1)
    assert processes.stop(proc) == -signal.SIGTERM  # twice is harmless


def test_run_ends_the_group_on_a_timeout():
    started = time.monotonic()
    try:
        processes.run([sys.executable, "-c", FORKING_SERVER], timeout=2)
    except subprocess.TimeoutExpired:
        pass
    else:
        raise AssertionError("no timeout")
    assert time.monotonic() - started < processes.patience(60)
    assert not [c for c in processes.leftovers(SESSION_MARK).values() if "time.sleep(120)" in c]


def test_wait_until_fails_at_once_when_the_process_ends_and_stretches_with_load():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    try:
        processes.wait_until(lambda: False, "never", proc=proc)
    except AssertionError as e:
        assert "ended with code 0" in str(e)
    assert processes.patience(100) >= 100  # never shorter than asked; longer on a loaded machine


def test_textsweep_servers_end_their_whole_group_on_sigterm_and_sigint(tmp_path):
    """commands/server_process.serve, as `textsweep ui` and `dashboard` run it: the signal reaches the server's
    group (its worker too), and the command returns at once, not after the SIGKILL grace."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        log = tmp_path / f"server-{signum}.log"
        code = ("import sys\nfrom textsweep.commands.server_process import serve\n"
                f"print(serve([sys.executable, '-c', {FORKING_SERVER!r}], {str(log)!r}))\n")
        with processes.running([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as command:
            worker = processes.wait_until(lambda: log.exists() and log.read_text().strip(), "the server's worker started", command, ceiling=30)
            worker = int(worker)
            server_pids = [pid for pid in processes.leftovers(SESSION_MARK) if pid not in (command.pid, worker)]
            command.send_signal(signum)  # to textsweep's command only, as a user's kill or Ctrl-C in a script
            out, _ = command.communicate(timeout=processes.patience(8))  # under serve's 10 s SIGKILL grace
            assert command.returncode == 0 and out.strip() == "None"  # stopped by a signal: not a server failure
            assert not _alive(worker) and not any(_alive(pid) for pid in server_pids)
