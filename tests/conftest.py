"""Shared fixtures: a migrated database per test on every configured backend, an in-process API,
and tenants (apps with a signature and templates) to drive it.

The API suite runs on SQLite always and on PostgreSQL when SMSGATE_TEST_POSTGRES_URL is set;
limit tests also run on Redis when SMSGATE_TEST_REDIS_URL is set. The summary says how many ran
on each.
"""

import asyncio
import json
import os
import shutil
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx
import pytest
from click.testing import Result
from sqlalchemy import text
from typer.testing import CliRunner

from smsgate.app import create_app
from smsgate.apps.service import create_app as create_account
from smsgate.cli import cli
from smsgate.context import Context, open_context
from smsgate.db.engine import Database
from smsgate.db.migrate import migrate
from smsgate.db.models import Base
from smsgate.delivery.providers.sandbox import SandboxProvider
from smsgate.delivery.worker import DeliveryWorker
from smsgate.settings import Settings
from smsgate.signs.service import create_default_sign
from smsgate.templates.service import CODE, MARKETING, NOTIFICATION, create_template

POSTGRES_URL = os.environ.get("SMSGATE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("SMSGATE_TEST_REDIS_URL")
CODE_TEMPLATE = "您的验证码是{{code}}，5分钟内有效。"
NOTIFY_TEMPLATE = "尊敬的{{name}}，您的订单{{order}}已发货。"
MARKET_TEMPLATE = "双十一大促，全场五折。"

_backend_results: Counter[tuple[str, str]] = Counter()


# --- databases ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    _run_apart(_migrate_url(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of its own for this run, migrated once, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("SMSGATE_TEST_POSTGRES_URL is not set: PostgreSQL runs skipped")
    name = f"smsgate_test_{uuid.uuid4().hex[:12]}"
    _run_apart(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    _run_apart(_migrate_url(url.replace("postgresql://", "postgresql+asyncpg://", 1)))
    yield url
    _run_apart(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _run_apart(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run set-up work on a loop of its own: session fixtures may be first asked for from inside
    a test's running loop."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _migrate_url(url: str) -> None:
    db = Database(url)
    try:
        await migrate(db)
    finally:
        await db.dispose()


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
    await _truncate_all(url)
    return url


async def _truncate_all(url: str) -> None:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    db = Database(url)
    try:
        statement = text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        await db.write(lambda conn: conn.execute(statement))
    finally:
        await db.dispose()


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
        "redis_prefix": f"smsgate-test:{uuid.uuid4().hex}:",
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
def worker(ctx: Context) -> "Delivery":
    return Delivery(ctx)


class Delivery:
    """Drives the delivery worker by hand, so tests decide when messages move."""

    def __init__(self, ctx: Context) -> None:
        self.provider = SandboxProvider(ctx.db, ctx.settings.sandbox_report_delay)
        self.worker = DeliveryWorker(ctx, self.provider)

    async def run_until_idle(self) -> None:
        """Deliver everything due, then send every due delivery report."""
        while await self.worker.deliver_due():
            pass
        await self.provider.send_due_reports()


# --- tenants -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    app_id: int
    app_key: str
    secret: str
    code_temp: int
    notify_temp: int
    market_temp: int

    @property
    def auth(self) -> tuple[str, str]:
        return (self.app_key, self.secret)


async def make_tenant(
    ctx: Context,
    *,
    quotas: dict[str, int | None] | None = None,
    sms_enabled: bool = True,
    sign: str | None = "smsgate",
    code_ttl: int = 300,
) -> Tenant:
    new = await create_account(ctx.db, "test app", sms_enabled=sms_enabled, quotas=quotas)
    app_id = new.account.id
    if sign:
        await create_default_sign(ctx.db, app_id, sign)
    code = await create_template(
        ctx.db, app_id, template_type=CODE, text=CODE_TEMPLATE, ttl=code_ttl, approve=True
    )
    notify = await create_template(
        ctx.db, app_id, template_type=NOTIFICATION, text=NOTIFY_TEMPLATE, approve=True
    )
    market = await create_template(
        ctx.db, app_id, template_type=MARKETING, text=MARKET_TEMPLATE, approve=True
    )
    return Tenant(app_id, new.account.app_key, new.master_secret, code, notify, market)


@pytest.fixture
async def tenant(ctx: Context) -> Tenant:
    return await make_tenant(ctx)


# --- reporting ---------------------------------------------------------------------------------


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.skipped):
        return
    for name in ("sqlite", "postgres"):
        if f"[{name}" in report.nodeid or f"-{name}" in report.nodeid:
            _backend_results[(name, report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("database backends")
    for name in ("sqlite", "postgres"):
        counts = {o: _backend_results[(name, o)] for o in ("passed", "failed", "skipped")}
        line = ", ".join(f"{n} {o}" for o, n in counts.items())
        terminalreporter.write_line(f"{name}: {line}")


# --- time --------------------------------------------------------------------------------------


class FrozenClock:
    """smsgate's clock, stopped at the real time of the test's start until moved."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from smsgate import clock

        self.now = clock.now_ms()
        monkeypatch.setattr(clock, "now_ms", lambda: self.now)

    def advance(self, milliseconds: int) -> None:
        self.now += milliseconds


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    return FrozenClock(monkeypatch)


# --- the command line --------------------------------------------------------------------------


class CliRun(Protocol):
    def __call__(self, *args: str, ok: bool = True) -> Result: ...


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


def failure_line(result: Result, exit_code: int) -> str:
    """A failed command: the exit code, nothing on stdout, exactly one line on stderr."""
    assert result.exit_code == exit_code, result.output
    assert result.stdout == "", result.output
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    return result.stderr.strip()


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)
