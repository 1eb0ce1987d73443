"""Numbers on the command line: an amount, id, duration or limit out of range is refused with
one line before anything changes, on SQLite and PostgreSQL alike."""

import asyncio

import pytest
from sqlalchemy import func, select

from smsgate.db.engine import Database
from smsgate.db.models import App, Template, table
from smsgate.db.quotas import MAX_UNITS
from tests.support.cli import CliRun, as_json, failure_line

HUGE = "99999999999999999999999"
pytestmark = pytest.mark.usefixtures("backend")


def count_rows(database_url: str, model: type) -> int:
    """From a test that is not async itself: the commands run their own event loops."""

    async def count() -> int:
        db = Database(database_url)
        try:
            query = select(func.count()).select_from(table(model))
            return int(await db.read(lambda conn: conn.execute(query).scalar_one()))
        finally:
            await db.dispose()

    return asyncio.run(count())


def new_app(run_on: CliRun, *options: str) -> str:
    key: str = as_json(run_on("app", "create", "--name", "shop", *options, "--json"))["app_key"]
    return key


def quotas(run_on: CliRun, key: str) -> dict[str, int | None]:
    shown: dict[str, int | None] = as_json(run_on("app", "topup", key, "--json"))
    return shown


@pytest.mark.parametrize("amount", ["-5", "-1", HUGE, str(MAX_UNITS + 1), "ten", "1.5"])
def test_a_topup_out_of_range_changes_nothing(run_on: CliRun, amount: str) -> None:
    unmetered, metered = new_app(run_on), new_app(run_on, "--balance", "7")
    for key in (unmetered, metered):
        for category in ("--balance", "--voice", "--industry", "--market"):
            line = failure_line(run_on("app", "topup", key, category, amount, ok=False), 2)
            assert line.startswith("smsgate app topup: ") and category in line
    assert set(quotas(run_on, unmetered).values()) == {None}
    assert quotas(run_on, metered)["balance"] == 7


def test_an_app_is_not_created_with_a_quota_out_of_range(run_on: CliRun, database_url: str) -> None:
    for amount in ("-1", HUGE):
        failure_line(run_on("app", "create", "--name", "x", "--balance", amount, ok=False), 2)
    assert count_rows(database_url, App) == 0
    assert quotas(run_on, new_app(run_on, "--balance", "0"))["balance"] == 0


def test_no_quota_passes_the_most_an_sdk_can_read(run_on: CliRun) -> None:
    key = new_app(run_on, "--industry", str(MAX_UNITS))
    refused = failure_line(run_on("app", "topup", key, "--industry", "1", ok=False), 1)
    assert refused == f"refused: the industry quota would pass {MAX_UNITS} units"
    dev = as_json(run_on("dev", "create", "--name", "studio", "--json"))["dev_key"]
    run_on("dev", "topup", dev, "--voice", str(MAX_UNITS))
    assert failure_line(run_on("dev", "topup", dev, "--voice", "1", ok=False), 1).startswith(
        "refused: "
    )
    owned = new_app(run_on, "--dev", dev, "--voice", str(MAX_UNITS))
    moved = run_on("dev", "transfer", dev, "--app", owned, "--voice", "1", ok=False)
    assert "would pass" in failure_line(moved, 1)
    assert as_json(run_on("dev", "topup", dev, "--json"))["voice"] == MAX_UNITS  # nothing moved
    assert quotas(run_on, owned)["voice"] == MAX_UNITS


@pytest.mark.parametrize("amount", ["-1", HUGE])
def test_developer_pools_refuse_the_same_amounts(run_on: CliRun, amount: str) -> None:
    dev = as_json(run_on("dev", "create", "--name", "studio", "--json"))["dev_key"]
    app = new_app(run_on, "--dev", dev)
    failure_line(run_on("dev", "topup", dev, "--balance", amount, ok=False), 2)
    failure_line(run_on("dev", "transfer", dev, "--app", app, "--balance", amount, ok=False), 2)


@pytest.mark.parametrize(
    "command",
    [
        ("template", "approve"),
        ("template", "reject", "--reason", "no"),
        ("sign", "approve"),
        ("sign", "reject", "--reason", "no"),
        ("callbacks", "replay"),
    ],
)
@pytest.mark.parametrize("record", ["2147483648", "9223372036854775808", HUGE, "0", "-1", "x"])
def test_ids_that_cannot_exist_are_refused_before_the_database(
    run_on: CliRun, command: tuple[str, ...], record: str
) -> None:
    failure_line(run_on(*command, "--", record, ok=False), 2)


def test_template_numbers_are_checked(run_on: CliRun, database_url: str) -> None:
    key = new_app(run_on)
    base = ("template", "create", "--app", key, "--template", "码{{code}}")
    for ttl in ("0", "86401", HUGE, "-3"):
        failure_line(run_on(*base, "--type", "1", "--ttl", ttl, ok=False), 2)
    for kind in ("0", "4", HUGE):
        failure_line(run_on(*base, "--type", kind, "--ttl", "60", ok=False), 2)
    assert count_rows(database_url, Template) == 0
    assert as_json(run_on(*base, "--type", "1", "--ttl", "86400", "--json"))["temp_id"] >= 1


@pytest.mark.parametrize(
    "rule", [f"{HUGE}/60", f"1/{HUGE}", "1/31622401", "1000001/60", "²/60", "0/60"]
)
def test_limits_out_of_range_are_refused(run_on: CliRun, rule: str) -> None:
    key = new_app(run_on)
    line = failure_line(run_on("app", "update", key, "--code-limits", rule, ok=False), 1)
    assert line.startswith("invalid: rate rule")
    failure_line(run_on("app", "create", "--name", "x", "--voice-code-limits", rule, ok=False), 1)
    assert as_json(run_on("app", "update", key, "--json"))["limits"] == {}


def test_names_and_reasons_fit_their_columns(run_on: CliRun) -> None:
    failure_line(run_on("app", "create", "--name", "n" * 101, ok=False), 2)
    failure_line(run_on("app", "create", "--name", " ", ok=False), 2)
    failure_line(run_on("dev", "create", "--name", "n" * 101, ok=False), 2)
    key = new_app(run_on)
    failure_line(run_on("app", "update", key, "--name", "n" * 101, ok=False), 2)
    failure_line(run_on("template", "reject", "1", "--reason", "r" * 501, ok=False), 2)
    failure_line(run_on("sign", "reject", "1", "--reason", "r" * 501, ok=False), 2)
    assert as_json(run_on("app", "update", key, "--name", "n" * 100, "--json"))["name"] == "n" * 100
