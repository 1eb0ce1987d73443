"""Every command says what really happened: no option is silently ignored, no output claims
what did not happen, and a refused command changes nothing (SQLite and PostgreSQL)."""

import pytest

from smsgate.db.models import App, PullRecord, Template
from tests.support.cli import CliRun, as_json, failure_line
from tests.test_cli_bounds import count_rows, new_app

pytestmark = pytest.mark.usefixtures("backend")


def test_a_master_secret_without_a_callback_url_is_refused(run_on: CliRun) -> None:
    key = new_app(run_on)
    alone = run_on("app", "update", key, "--master-secret", "WRONG", "--name", "new", ok=False)
    assert failure_line(alone, 1).startswith("refused: --master-secret signs callbacks")
    removing = run_on("app", "update", key, "--callback-url", "", "--master-secret", "x", ok=False)
    failure_line(removing, 1)
    assert as_json(run_on("app", "update", key, "--json"))["name"] == "shop"  # nothing changed


def test_a_reply_that_matches_no_app_says_it_was_dropped(run_on: CliRun, database_url: str) -> None:
    args = ("sandbox", "reply", "--to", "95555", "--from", "13800138000", "--text", "hi")
    line = failure_line(run_on(*args, "--json", ok=False), 1)
    assert line.startswith("refused: reply dropped: no app has a reply number")
    assert count_rows(database_url, PullRecord) == 0
    key = new_app(run_on, "--reply-number", "95555")
    assert as_json(run_on(*args, "--json")) == {"recorded": True, "app_key": key}
    assert run_on(*args).stdout == f"reply recorded for app {key}\n"
    assert count_rows(database_url, PullRecord) == 2


def test_a_reply_number_that_is_not_a_number_is_refused(run_on: CliRun) -> None:
    key = new_app(run_on, "--reply-number", "10690001")
    for bad in ("abc", "1069x", "١٢٣"):
        failure_line(run_on("app", "update", key, "--reply-number", bad, ok=False), 1)
        failure_line(run_on("app", "create", "--name", "x", "--reply-number", bad, ok=False), 1)
    replied = run_on("sandbox", "reply", "--to", "10690001", "--from", "13800138000", "--text", "1")
    assert key in replied.stdout  # the app kept its number
    shown = as_json(run_on("app", "update", key, "--reply-number", "+86 1069-0002", "--json"))
    assert shown["reply_numbers"] == ["8610690002"]


def test_a_refused_update_changes_nothing(run_on: CliRun) -> None:
    owner = new_app(run_on, "--reply-number", "10690001")
    key = new_app(run_on)
    changes = ("--name", "renamed", "--allow-ip", "10.0.0.0/8", "--no-sms")
    taken = run_on("app", "update", key, *changes, "--reply-number", "10690001", ok=False)
    assert failure_line(taken, 1) == ("refused: reply number already used by another app: 10690001")
    bad_limit = run_on("app", "update", key, *changes, "--code-limits", "often", ok=False)
    assert failure_line(bad_limit, 1).startswith("invalid: rate rule 'often'")
    shown = as_json(run_on("app", "update", key, "--json"))
    assert (shown["name"], shown["allow_ip"], shown["sms_enabled"]) == ("shop", "", True)
    assert owner != key


def test_a_refused_create_creates_no_app(run_on: CliRun, database_url: str) -> None:
    new_app(run_on, "--reply-number", "10690001")
    bad_sign = run_on("app", "create", "--name", "x", "--sign", "x", ok=False)
    assert failure_line(bad_sign, 1).startswith("error 50104")
    taken = run_on("app", "create", "--name", "x", "--reply-number", "10690001", ok=False)
    assert failure_line(taken, 1).startswith("refused: reply number already used")
    secret = run_on("app", "create", "--name", "x", "--dev", "nobody", ok=False)
    assert failure_line(secret, 1) == "not found: developer nobody"
    assert count_rows(database_url, App) == 1


def test_a_ttl_only_code_templates_have_is_refused(run_on: CliRun, database_url: str) -> None:
    key = new_app(run_on)
    for kind in ("2", "3"):
        args = ("template", "create", "--app", key, "--type", kind, "--template", "hello")
        assert "--ttl" in failure_line(run_on(*args, "--ttl", "60", ok=False), 1)
    assert count_rows(database_url, Template) == 0


def test_replaying_ids_that_are_not_dead_callbacks_names_them(run_on: CliRun) -> None:
    result = run_on("callbacks", "replay", "5", "7", "--json", ok=False)
    assert result.exit_code == 1
    assert as_json(result) == {"replayed": 0}
    assert result.stderr == "refused: not replayed, no dead callback has these ids: [5, 7]\n"
    both = run_on("callbacks", "replay", "5", "--all-dead", ok=False)
    assert failure_line(both, 1) == "refused: give callback ids or --all-dead, not both"


def test_a_zero_topup_leaves_an_unmetered_app_unmetered(run_on: CliRun) -> None:
    key = new_app(run_on)
    shown = as_json(run_on("app", "topup", key, "--balance", "0", "--voice", "2", "--json"))
    assert shown == {"balance": None, "voice": 2, "industry": None, "market": None}
