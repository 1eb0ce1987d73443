"""`smsgate template create/update --voice-fallback-after`: the opt-in is stored on the template,
checked (codes only, before the code expires), shown by `template list`, and can be turned off."""

from tests.support.cli import CliRun, as_json


def new_app(run: CliRun) -> str:
    key: str = as_json(run("app", "create", "--name", "A", "--sign", "smsgate", "--json"))[
        "app_key"
    ]
    return key


def listed(run: CliRun) -> dict[int, int | None]:
    rows = as_json(run("template", "list", "--json"))
    return {row["temp_id"]: row["voice_fallback_after"] for row in rows}


def test_create_with_a_fallback_then_change_and_turn_it_off(run: CliRun) -> None:
    key = new_app(run)
    created = run(
        "template",
        "create",
        "--app",
        key,
        "--type",
        "1",
        "--template",
        "码{{code}}",
        "--ttl",
        "300",
        "--voice-fallback-after",
        "45",
        "--voice-fallback-lang",
        "1",
        "--json",
    )
    temp_id = as_json(created)["temp_id"]
    assert listed(run) == {temp_id: 45}
    assert "voice fallback 45 s" in run("template", "list").stdout
    changed = run("template", "update", str(temp_id), "--voice-fallback-after", "20", "--json")
    assert as_json(changed) == {"temp_id": temp_id, "voice_fallback_after": 20}
    assert (
        "voice fallback off"
        in run("template", "update", str(temp_id), "--voice-fallback-after", "0").stdout
    )
    assert listed(run) == {temp_id: None}


def test_a_fallback_is_refused_where_it_cannot_work(run: CliRun) -> None:
    key = new_app(run)
    base = ("template", "create", "--app", key, "--template", "码{{code}}")
    too_late = run(*base, "--type", "1", "--ttl", "60", "--voice-fallback-after", "60", ok=False)
    assert too_late.exit_code == 1
    assert "before the code expires" in too_late.stderr
    notice = run(
        *base[:-2], "--template", "您好", "--type", "2", "--voice-fallback-after", "5", ok=False
    )
    assert notice.exit_code == 1 and "type 1" in notice.stderr
    assert listed(run) == {}
    unknown = run("template", "update", "999", "--voice-fallback-after", "5", ok=False)
    assert unknown.exit_code == 1 and "not found" in unknown.stderr
    nothing = run("template", "update", "999", ok=False)
    assert nothing.exit_code == 2
