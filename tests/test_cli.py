"""The `smsgate` command line: the contract scripts rely on (--json output, exit codes)."""

import re
from pathlib import Path
from typing import Any

from tests.api.callback_receiver import CallbackReceiver
from tests.support.cli import as_json


def create_code_template(run, key: str, text: str, *extra: str, ok: bool = True) -> Any:  # type: ignore[no-untyped-def]
    command = ("template", "create", "--app", key, "--type", "1", "--template", text)
    return run(*command, "--ttl", "60", *extra, ok=ok)


def test_app_create_prints_java_sdk_shaped_credentials(run) -> None:  # type: ignore[no-untyped-def]
    created = as_json(run("app", "create", "--name", "shop", "--sign", "商城", "--json"))
    assert set(created) == {"app_key", "master_secret"}
    for value in created.values():
        assert re.fullmatch(r"[a-z0-9]{24}", value)
    assert created["app_key"] != created["master_secret"]


def test_secrets_are_not_stored_in_clear(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    created = as_json(run("app", "create", "--name", "shop", "--json"))
    database = (tmp_path / "smsgate.db").read_bytes()
    assert created["master_secret"].encode() not in database
    assert created["app_key"].encode() in database


def test_template_lifecycle_and_topup(run) -> None:  # type: ignore[no-untyped-def]
    app = as_json(run("app", "create", "--name", "shop", "--balance", "5", "--json"))
    key = app["app_key"]
    temp_id = as_json(create_code_template(run, key, "码{{code}}", "--json"))["temp_id"]
    assert isinstance(temp_id, int)
    run("template", "reject", str(temp_id), "--reason", "too short")
    run("template", "approve", str(temp_id))
    quotas = as_json(run("app", "topup", key, "--balance", "10", "--voice", "3", "--json"))
    assert quotas == {"balance": 15, "voice": 3, "industry": None, "market": None}


def test_invalid_template_fails_with_the_jsms_reason(run) -> None:  # type: ignore[no-untyped-def]
    key = as_json(run("app", "create", "--name", "shop", "--json"))["app_key"]
    result = create_code_template(run, key, "{{name}}", ok=False)
    assert result.exit_code == 1
    assert "50044" in result.output


def test_unknown_app_and_template(run) -> None:  # type: ignore[no-untyped-def]
    assert run("app", "topup", "nope", "--balance", "1", ok=False).exit_code == 1
    assert run("template", "approve", "999", ok=False).exit_code == 1


def test_sandbox_inbox_is_empty_json_list(run) -> None:  # type: ignore[no-untyped-def]
    assert as_json(run("sandbox", "inbox", "--json")) == []
    assert as_json(run("sandbox", "inbox", "--mobile", "13800138000", "--json")) == []


def test_a_separate_worker_is_refused_on_sqlite(run) -> None:  # type: ignore[no-untyped-def]
    result = run("worker", ok=False)
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output


def test_app_limits_override_and_reset(run) -> None:  # type: ignore[no-untyped-def]
    created = run("app", "create", "--name", "shop", "--code-limits", "2/60", "--json")
    key = as_json(created)["app_key"]
    updated = as_json(run("app", "update", key, "--voice-code-limits", "", "--no-sms", "--json"))
    assert updated["sms_enabled"] is False
    assert updated["limits"] == {"code": "2/60", "voice_code": ""}
    reset = as_json(run("app", "update", key, "--code-limits", "default", "--sms", "--json"))
    assert reset["limits"] == {"voice_code": ""}
    assert reset["sms_enabled"] is True
    bad = run("app", "update", key, "--code-limits", "often", ok=False)
    assert bad.exit_code == 1
    assert "often" in bad.output


def test_app_rotate_secret_prints_a_new_secret_and_the_old_one_stops_matching(run) -> None:  # type: ignore[no-untyped-def]
    created = as_json(run("app", "create", "--name", "shop", "--json"))
    key, old = created["app_key"], created["master_secret"]
    rotated = as_json(run("app", "rotate-secret", key, "--json"))
    assert rotated["app_key"] == key and re.fullmatch(r"[a-z0-9]{24}", rotated["master_secret"])
    assert rotated["master_secret"] != old
    receiver = CallbackReceiver(key, rotated["master_secret"])
    with receiver.running():
        refused = run(
            "app", "update", key, "--callback-url", receiver.url, "--master-secret", old, ok=False
        )
        assert refused.exit_code == 1 and "does not match" in refused.output
        new = rotated["master_secret"]
        run("app", "update", key, "--callback-url", receiver.url, "--master-secret", new)
    assert run("app", "rotate-secret", "nope", ok=False).exit_code == 1
