"""No secret on any console or in any store, whatever the URL looks like (issue 27): one generator of variants
per form of secret, run through the masking rule, the sweep's search-space check, and a real tiny sweep on a
real PostgreSQL Optuna storage and SQLite MLflow store, after which every file, database row, param, tag,
Optuna attribute and console line is searched for the secret."""

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from conftest import postgres_admin, tiny, user_env
from textsweep.config.masking import mask_secrets
from textsweep.errors import ConfigError

SCHEMES = ("postgresql+psycopg", "mysql+pymysql", "http", "https", "redis")


def url_forms(secret: str):
    """(form, url, the secret as it may show): user:password in every shape a user may write, any scheme."""
    for scheme in SCHEMES:
        host = f"{scheme}-db.example:5432/x"
        yield "empty user", f"{scheme}://:{secret}@{host}?user=postgres", secret
        yield "user", f"{scheme}://alice:{secret}@{host}", secret
        yield "quote", f"{scheme}://alice:{secret}'q\"@{host}", secret
        encoded = quote(f"{secret}@:/x", safe="")
        yield "percent-encoded", f"{scheme}://alice:{encoded}@{host}", encoded
        yield "@ in password", f"{scheme}://alice:{secret}@tail@{host}", secret
        # a URL percent-encoded as a whole (passed inside another URL or a form field): escapes hide '://', ':' and '@'
        yield "whole URL percent-encoded", quote(f"{scheme}://alice:{secret}@{host}", safe=""), secret
        yield "whole URL percent-encoded, empty user", lower_escapes(quote(f"{scheme}://:{secret}@{host}", safe="")), secret
        yield "whole URL percent-encoded, query", quote(f"{scheme}://{host}?sslmode=require&password={secret}&x=1", safe=""), secret
        for key in ("password", "token", "api_key", "access_key"):
            yield f"query {key}", f"{scheme}://{host}?sslmode=require&{key}={secret}&x=1", secret


def lower_escapes(text: str) -> str:
    """%3A -> %3a: escapes are case-insensitive, and some encoders write them in lower case."""
    import re

    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


def contexts(url: str):
    """Where a URL is written: an override, a quoted override, yaml, a repr, a sentence, a sweep expression."""
    yield url
    yield f"tracking.uri={url}"
    yield f"hydra.sweeper.storage='{url}'"
    yield f'  storage: "{url}"'
    yield repr({"storage": url, "n": 1})
    yield f"study quickstart in {url}: 3 trial(s) so far"
    yield f"tracking.uri=choice('{url}', sqlite:///b.db)"
    yield f"+tracking.note=interval('{url}', 2)"


KEY_FORMS = ("+tracking.token={s}", "tracking.password={s}", "+db.api_key='{s}'", "  password: {s}",
             '{{"token": "{s}"}}', "+tracking.secret_key=\"{s}x'y\"", "--access-key={s}",
             "+tracking.token='two {s} words'", "password: \"a {s}\"")


@pytest.mark.parametrize("form", sorted({f for f, _, _ in url_forms("s")}))
def test_every_url_form_is_masked_in_every_context(form):
    cases = [(u, shown) for f, u, shown in url_forms("Sekr3tPw") if f == form]
    assert len(cases) == len(SCHEMES)
    for url, shown in cases:
        for text in contexts(url):
            masked = mask_secrets(text, url)
            assert shown not in masked and unquote(shown) not in masked, (text, masked)
            assert "***" in masked


def test_credential_like_keys_are_masked_and_plain_text_is_left_alone():
    for form in KEY_FORMS:
        text = form.format(s="Sekr3tKey")
        assert "Sekr3tKey" not in mask_secrets(text) and "words" not in mask_secrets(text), text
    for plain in ("dataset.max_tokens=5000 sqlite:////a/b.db", "http://127.0.0.1:5000/#/experiments/1",
                  "model.units=int(interval(4, 8))", "tokens: 12", "https://example.org/a?b=c"):
        assert mask_secrets(plain) == plain


def test_a_secret_is_never_a_search_dimension():
    from textsweep.sweeping.search_space import parse_search_space

    dimensions = [*(f"+tracking.token={v}" for v in ("choice(a,b)", "a,b", "interval(1,2)")),
                  "tracking.password=range(1,3)",
                  *(f"tracking.uri=choice('{url}',sqlite:///b.db)" for _, url, _ in
                    itertools.islice(url_forms("Sekr3tDim"), 0, None, 3))]
    assert len(dimensions) > 10
    for line in dimensions:
        with pytest.raises(ConfigError, match="searches over a secret") as e:
            parse_search_space({}, [line, "model.units=4,8"])
        assert "Sekr3tDim" not in str(e.value)
    parse_search_space({}, ["tracking.uri=choice(sqlite:///a.db,sqlite:///b.db)"])  # no secret: fine


def test_mlflow_is_told_not_to_print_the_tracking_url_with_its_password(home):
    """MLflow 3.17 prints "View run ... at: <URL>" for a server store at each run's end unless
    MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT is set: textsweep's command sets it, and MLflow obeys it before
    any request (the server here does not exist)."""
    code = ("import os, sys, io, contextlib\n"
            "from textsweep.cli import main\n"
            "main(['--version'])\n"
            "assert os.environ['MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT'] == 'true'\n"
            "from mlflow.tracking import MlflowClient\n"
            "client = MlflowClient('http://alice:Sekr3tView@127.0.0.1:9')\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            "    client._tracking_client._log_url('0' * 32)\n"
            "assert out.getvalue() == '', out.getvalue()\n")
    result = subprocess.run([sys.executable, "-c", code], env={**user_env(home), "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "false"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


# --- real sweeps, searched everywhere -------------------------------------------------------------------

SECRETS = {"empty_user": "EmptyUserPw1", "quote": "QuotePw2", "percent": "Pct%40Pw3", "query": "QueryPw4",
           "key": "KeyPw5", "note": "NotePw6"}


def _everything_in(home: Path, admin, database: str) -> str:
    """Every file under home (databases, yaml, csv, json, logs, artifacts) and every row of the PostgreSQL
    Optuna storage, as one text."""
    parts = []
    for path in home.rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={database}", autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in tables:
            parts.extend(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"'))
    assert tables, "the Optuna storage has no tables"
    return "\n".join(parts)


def _child_of(pid: int, timeout: float = 60) -> int | None:
    """The first child process of `pid`, once it exists (by /proc's parent ids)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    return int(stat.parent.name)
        time.sleep(0.2)
    return None


def _dashboard_first_line(home: Path, storage: str) -> str:
    """`textsweep dashboard --storage URL`'s first line (it names the storage), then stopped with SIGTERM."""
    from conftest import free_port

    proc = subprocess.Popen([sys.executable, "-m", "textsweep", "dashboard", "--storage", storage, "--port", str(free_port())],
                            cwd=home, env=user_env(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = None
    try:
        line = proc.stdout.readline()
        server = _child_of(proc.pid)  # the optuna-dashboard server, in its own session
        proc.terminate()
        proc.wait(timeout=60)
    finally:
        proc.kill()
        if server:  # stopped by the command on SIGTERM; killed here if it was not
            with contextlib.suppress(ProcessLookupError):
                os.kill(server, signal.SIGKILL)
    assert line.startswith("optuna-dashboard on postgresql"), line
    return line + proc.stdout.read()


@pytest.mark.slow
def test_no_secret_reaches_any_store_file_or_console_in_a_real_sweep(home):
    import uuid

    admin = postgres_admin()
    database = f"textsweep_secrets_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{database}"')
    try:
        # the server trusts 127.0.0.1: the passwords are sent and ignored, so every form is a working URL
        storage = (f"postgresql+psycopg://:{SECRETS['empty_user']}'{SECRETS['quote']}@127.0.0.1:5432/{database}"
                   f"?user=postgres&application_name=x")
        tracking = f"sqlite:///{home / 'mlruns' / 'mlflow.db'}?password={SECRETS['query']}"
        sweep = [sys.executable, "-m", "textsweep", "train", "-m", "hydra/sweeper=optuna", "hydra.sweeper.n_trials=2",
                 "hydra.sweeper.baseline=false", "hydra.sweeper.sampler.n_startup_trials=2", "model.units=int(interval(4, 8))",
                 f'hydra.sweeper.storage="{storage}"', f"tracking.uri='{tracking}'", f"+tracking.token={SECRETS['key']}",
                 *tiny(epochs=1, log_model=False, explain=0)]
        result = subprocess.run([*sweep, f"+tracking.note='http://bob:{SECRETS['percent']}@h/'"], cwd=home,
                                env=user_env(home), capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        console = result.stdout + result.stderr
        assert "in postgresql+psycopg://:***@127.0.0.1" in console  # the study line, masked
        refused = subprocess.run([*sweep, f"+tracking.note=choice('http://bob:{SECRETS['note']}@h/', b)"], cwd=home, env=user_env(home), capture_output=True, text=True, timeout=300)
        assert refused.returncode == 2 and "searches over a secret" in refused.stderr
        dashboard = _dashboard_first_line(home, storage)
        everything = "\n".join([console, refused.stdout, refused.stderr, dashboard, _everything_in(home, admin, database)])
        assert "View run" not in console and "View experiment" not in console
        shown = {name: s for name, s in SECRETS.items() for form in (s, unquote(s)) if form in everything}
        assert not shown, shown
        assert list(home.rglob("overrides.yaml")) and list(home.rglob("config.yaml"))  # they were searched
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


def test_what_hydra_and_argparse_print_is_masked_too(cli):
    secrets = ("CfgPw1", "CfgTok2", "ArgPw3")
    shown = cli("train", "--cfg", "job", "tracking.uri=postgresql://u:CfgPw1@h/db", "+tracking.token=CfgTok2", timeout=120)
    assert shown.returncode == 0 and "uri: postgresql://u:***@h/db" in shown.stdout, shown.stdout[-2000:]
    assert "token: ***" in shown.stdout
    wrong = cli("train", "--info", "tracking.uri=postgresql://u:ArgPw3@h/db", timeout=120)  # argparse echoes it
    assert wrong.returncode != 0 and "invalid choice" in wrong.stderr
    for result in (shown, wrong):
        assert not [s for s in secrets if s in result.stdout + result.stderr]


@pytest.mark.slow
def test_a_password_in_an_http_tracking_url_is_never_printed_by_mlflow_for_any_trial(home, tmp_path):
    """A real `mlflow server` (no auth: the URL's user and password are sent and ignored) and a sweep of two
    trials in two joblib workers: MLflow's own "View run ... at: <URL>" lines would print the password once per
    run, in every process."""
    import urllib.request

    from conftest import free_port

    port, server_home = free_port(), tmp_path / "server"
    server_home.mkdir()
    mlflow_cli = Path(sys.executable).parent / "mlflow"
    with (server_home / "server.log").open("wb") as log:
        server = subprocess.Popen([str(mlflow_cli), "server", "--backend-store-uri", f"sqlite:///{server_home / 'mlflow.db'}",
                                   "--default-artifact-root", (server_home / "artifacts").as_uri(), "--host", "127.0.0.1",
                                   "--port", str(port), "--workers", "1"], stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None and time.monotonic() < deadline, (server_home / "server.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        result = subprocess.run(
            [sys.executable, "-m", "textsweep", "train", "-m", "hydra/sweeper=optuna", "hydra.sweeper.n_trials=2",
             "hydra.sweeper.n_jobs=2", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.baseline=false",
             "model.units=int(interval(4, 8))", "tracking=server", f"tracking.uri=http://alice:HttpPw7@127.0.0.1:{port}",
             *tiny(epochs=1, log_model=False, explain=0)],
            cwd=home, env=user_env(home), capture_output=True, text=True, timeout=600)
        console = result.stdout + result.stderr
        assert result.returncode == 0, console[-3000:]
        assert "HttpPw7" not in console and "View run" not in console
        assert "HttpPw7" not in "\n".join(p.read_bytes().decode("utf-8", "replace") for p in home.rglob("*") if p.is_file())
        import mlflow

        runs = mlflow.MlflowClient(f"http://127.0.0.1:{port}").search_runs(
            [e.experiment_id for e in mlflow.MlflowClient(f"http://127.0.0.1:{port}").search_experiments()])
        assert len(runs) >= 3  # the parent and its two trials
        assert "HttpPw7" not in repr([(r.data.params, r.data.tags) for r in runs])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
