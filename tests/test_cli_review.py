"""`smsgate template list/approve/reject` and `smsgate sign list/approve/reject`: how an operator
reviews what apps submitted, against the same database the API writes."""

import asyncio
from pathlib import Path

from smsgate.apps.service import find_app
from smsgate.context import open_context
from smsgate.db.migrate import migrate
from smsgate.settings import Settings
from smsgate.signs.service import SignDraft, show_sign, submit_sign
from tests.support.cli import as_json

PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)


def submitted_sign(tmp_path: Path, app_key: str, text: str, images: list[bytes]) -> int:
    """A signature as the API would store it (POST /v1/sign), written by the same service."""

    async def work() -> int:
        ctx = open_context(Settings(data_dir=tmp_path, database_url=None))
        try:
            await migrate(ctx.db)
            app = await find_app(ctx.db, app_key)
            return await submit_sign(ctx, app.id, SignDraft(text, "1", "营业执照", images))
        finally:
            await ctx.close()

    return asyncio.run(work())


def sign_state(tmp_path: Path, app_key: str, sign_id: int) -> tuple[int, bool]:
    async def work() -> tuple[int, bool]:
        ctx = open_context(Settings(data_dir=tmp_path, database_url=None))
        try:
            app = await find_app(ctx.db, app_key)
            shown = await show_sign(ctx.db, app.id, sign_id)
            return shown.status, shown.is_default
        finally:
            await ctx.close()

    return asyncio.run(work())


def test_template_review_from_the_list(run) -> None:  # type: ignore[no-untyped-def]
    key = as_json(run("app", "create", "--name", "shop", "--sign", "商城", "--json"))["app_key"]
    create = ("template", "create", "--app", key, "--type", "2", "--json")
    waiting = as_json(run(*create, "--template", "您好{{name}}", "--remark", "问候"))["temp_id"]
    approved = as_json(run(*create, "--template", "已通过", "--approve"))["temp_id"]
    listed = as_json(run("template", "list", "--status", "review", "--json"))
    assert [row["temp_id"] for row in listed] == [waiting]
    assert listed[0] == {
        "temp_id": waiting,
        "app_key": key,
        "type": 2,
        "template": "您好{{name}}",
        "ttl": 0,
        "remark": "问候",
        "status": "review",
        "refuse_reason": None,
        "voice_fallback_after": None,
    }
    rejected_answer = run("template", "reject", str(waiting), "--reason", "请写明用途", "--json")
    assert as_json(rejected_answer) == {"temp_id": waiting, "status": "rejected"}
    assert as_json(run("template", "list", "--status", "review", "--json")) == []
    [rejected] = as_json(run("template", "list", "--status", "rejected", "--app", key, "--json"))
    assert (rejected["temp_id"], rejected["refuse_reason"]) == (waiting, "请写明用途")
    everything = as_json(run("template", "list", "--json"))
    assert [row["temp_id"] for row in everything] == [waiting, approved]
    text = run("template", "list", "--status", "rejected").stdout
    assert "您好{{name}}" in text and "请写明用途" in text
    approved_answer = as_json(run("template", "approve", str(waiting), "--json"))
    assert approved_answer == {"temp_id": waiting, "status": "approved"}
    assert [row["status"] for row in as_json(run("template", "list", "--json"))] == [
        "approved",
        "approved",
    ]


def test_template_list_refuses_an_unknown_status(run) -> None:  # type: ignore[no-untyped-def]
    result = run("template", "list", "--status", "pending", ok=False)
    assert result.exit_code != 0


def test_sign_review(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = as_json(run("app", "create", "--name", "shop", "--json"))["app_key"]
    sign_id = submitted_sign(tmp_path, key, "新商城", [PNG])
    [listed] = as_json(run("sign", "list", "--status", "review", "--json"))
    assert {k: listed[k] for k in ("sign_id", "app_key", "sign", "type", "remark", "status")} == {
        "sign_id": sign_id,
        "app_key": key,
        "sign": "新商城",
        "type": 1,
        "remark": "营业执照",
        "status": "review",
    }
    [image] = listed["images"]
    assert Path(image).read_bytes() == PNG  # the operator opens the proof from here
    assert image in run("sign", "list").stdout

    run("sign", "reject", str(sign_id), "--reason", "执照模糊")
    assert sign_state(tmp_path, key, sign_id) == (2, False)
    [rejected] = as_json(run("sign", "list", "--status", "rejected", "--app", key, "--json"))
    assert rejected["refuse_reason"] == "执照模糊"

    run("sign", "approve", str(sign_id))
    assert sign_state(tmp_path, key, sign_id) == (1, True)  # the app's first: its default
    assert as_json(run("sign", "list", "--status", "review", "--json")) == []


def test_sign_reject_needs_a_reason_and_unknown_ids_fail(run) -> None:  # type: ignore[no-untyped-def]
    assert run("sign", "reject", "1", ok=False).exit_code != 0
    result = run("sign", "approve", "999", ok=False)
    assert result.exit_code == 1
    assert "not found" in result.output
    assert run("sign", "list", "--status", "nope", ok=False).exit_code != 0
