"""Shared fixtures: a migrated database per test on every configured backend, an in-process API,
and tenants (apps with a signature and templates) to drive it.

The API suite runs on SQLite always and on PostgreSQL when SMSGATE_TEST_POSTGRES_URL is set;
limit tests also run on Redis when SMSGATE_TEST_REDIS_URL is set. The summary says how many ran
on each.
"""

import os
import shutil
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from click.testing import Result
from typer.testing import CliRunner

from smsgate.app import create_app
from smsgate.cli import cli
from smsgate.context import Context, open_context
from smsgate.settings import Settings
from tests.support.cli import CliRun
from tests.support.clock import FrozenClock
from tests.support.databases import (
    POSTGRES_URL,
    REDIS_URL,
    create_postgres_database,
    empty_all_tables,
    finish_drops,
    keep_autovacuum_away,
    migrate_url,
    postgres_execute,
    run_apart,
    with_database,
)
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under pytest-xdist

_backend_results: Counter[tuple[str, str]] = Counter()


# --- databases ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    run_apart(migrate_url(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of its own for this run (for each xdist worker), migrated once, dropped at the
    end."""
    if not POSTGRES_URL:
        pytest.skip("SMSGATE_TEST_POSTGRES_URL is not set: PostgreSQL runs skipped")
    name = f"smsgate_test_{uuid.uuid4().hex[:12]}"
    run_apart(create_postgres_database(POSTGRES_URL, name))
    url = with_database(POSTGRES_URL, name)
    run_apart(migrate_url(url.replace("postgresql://", "postgresql+asyncpg://", 1)))
    run_apart(keep_autovacuum_away(url))
    yield url
    run_apart(postgres_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        target = tmp_path / "smsgate.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_database")
    await empty_all_tables(url)
    return url


# --- the service -------------------------------------------------------------------------------


@pytest.fixture
def limiter(request: pytest.FixtureRequest) -> str:
    """Which frequency-limit backend: the database, unless a test module parametrizes this
    indirectly with "redis" too."""
    name = str(getattr(request, "param", "sql"))
    if name == "redis" and not REDIS_URL:
        pytest.skip("SMSGATE_TEST_REDIS_URL is not set: Redis limiter runs skipped")
    return name


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Tests override settings by redefining this fixture or parametrizing it."""
    return {}


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, limiter: str, settings_overrides: dict[str, object]
) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "database_url": database_url,
        "secret_key": "test-server-key",
        "embedded_worker": False,
        "create_demo": False,
        "sandbox_report_delay": 0.0,
        "redis_url": REDIS_URL if limiter == "redis" else None,
        # a prefix of its own: parallel workers and other runs share the Redis server
        "redis_prefix": f"smsgate-test:{WORKER}:{uuid.uuid4().hex}:",
    }
    values.update(settings_overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def ctx(settings: Settings) -> AsyncIterator[Context]:
    context = open_context(settings)
    yield context
    await context.close()


@pytest.fixture
async def api(ctx: Context) -> AsyncIterator[httpx.AsyncClient]:
    """The API in process: real routing, middleware and database, no sockets."""
    transport = httpx.ASGITransport(app=create_app(ctx.settings, ctx), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://smsgate") as client:
        yield client


@pytest.fixture
def worker(ctx: Context) -> Delivery:
    return Delivery(ctx)


# --- tenants -----------------------------------------------------------------------------------


@pytest.fixture
async def tenant(ctx: Context) -> Tenant:
    return await make_tenant(ctx)


def pytest_sessionfinish(session: pytest.Session) -> None:
    finish_drops()  # the e2e servers' databases, dropped in the background


# --- order -------------------------------------------------------------------------------------

E2E_DIR = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules that start smsgate processes (tests/e2e) first, the in-process ones after,
    each in its own order.

    Under `--dist loadfile --no-loadscope-reorder` (make test) pytest-xdist hands out modules in
    this order. The e2e modules are few tests each but the longest modules by far; started
    last, one of them would keep a worker busy long after the others ran out of work, while the
    many short in-process modules at the end even out the workers' finishing times."""
    items.sort(key=lambda item: E2E_DIR not in Path(item.path).resolve().parents)


# --- reporting ---------------------------------------------------------------------------------


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Counts per backend; under pytest-xdist the controller receives every worker's reports
    through this same hook, so the summary there covers the whole run."""
    if report.when != "call" and not (report.when == "setup" and report.skipped):
        return
    for name in ("sqlite", "postgres"):
        if f"[{name}" in report.nodeid or f"-{name}" in report.nodeid:
            _backend_results[(name, report.outcome)] += 1


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: its counts reach the controller
        return
    terminalreporter.section("database backends")
    for name in ("sqlite", "postgres"):
        counts = {o: _backend_results[(name, o)] for o in ("passed", "failed", "skipped")}
        line = ", ".join(f"{n} {o}" for o, n in counts.items())
        terminalreporter.write_line(f"{name}: {line}")


# --- logging -----------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """structlog's defaults, with tracebacks rendered plain.

    Unconfigured, structlog renders a logged exception with rich, every frame's local variables
    included: seconds for each exception a test provokes (a failed send, a crashed batch). The
    smsgate processes log plain tracebacks (smsgate/logs.py); so does code under test here, until
    a test configures logging itself."""
    *processors, _renderer = structlog.get_config()["processors"]
    renderer = structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    structlog.configure(processors=[*processors, renderer])


# --- time --------------------------------------------------------------------------------------


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    return FrozenClock(monkeypatch)


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path) -> CliRun:
    """`smsgate ...` in-process on a SQLite database in tmp_path; unless `ok=False`, the command
    must exit 0."""
    return _invoker({"SMSGATE_DATA_DIR": str(tmp_path), "SMSGATE_DATABASE_URL": ""})


@pytest.fixture
def run_on(database_url: str, tmp_path: Path) -> CliRun:
    """`run`, on each backend the `backend` fixture gives (SQLite and PostgreSQL)."""
    return _invoker({"SMSGATE_DATA_DIR": str(tmp_path), "SMSGATE_DATABASE_URL": database_url})


def _invoker(env: dict[str, str]) -> CliRun:
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(cli, list(args), env=env, prog_name="smsgate")
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke
