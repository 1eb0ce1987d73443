"""Ids are handed out once: a deleted template's or signature's id never names another one, on
either backend; and a pending schedule whose template or signature was deleted sends nothing,
and reports each of its messages as failed."""

import json

import pytest
from httpx import AsyncClient
from sqlalchemy import Integer, func, select, text

from smsgate.context import Context
from smsgate.db.models import Base, Message, PullRecord
from smsgate.messages.schedules.scheduler import send_due_schedules
from smsgate.messages.schedules.send_time import format_send_time, schedule_zone
from smsgate.signs.review import review_sign
from smsgate.templates.service import NOTIFICATION, create_template
from tests.api.helpers import rows, scalar
from tests.support.clock import FrozenClock
from tests.support.tenants import Tenant

HOUR = 3_600_000
# Integer ids that never leave smsgate (they only order rows): reuse there is harmless.
INTERNAL_IDS = {
    "outbox",
    "limit_hits",
    "sandbox_inbox",
    "fraud_attempts",
    "fraud_events",
    "message_events",
    "console_login_failures",
    "replies",
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"notification_limits": ""}


async def new_template(api: AsyncClient, tenant: Tenant) -> int:
    body = {"template": "您的订单{{order}}已发货", "type": 2, "remark": "order shipped"}
    response = await api.post("/v1/templates", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    return int(response.json()["temp_id"])


async def new_sign(api: AsyncClient, tenant: Tenant, text: str) -> int:
    response = await api.post("/v1/sign", files={"sign": (None, text)}, auth=tenant.auth)
    assert response.status_code == 200, response.text
    return int(response.json()["sign_id"])


async def test_a_deleted_templates_id_is_never_handed_out_again(
    api: AsyncClient, tenant: Tenant
) -> None:
    seen = []
    for _ in range(3):  # the newest is deleted each time: SQLite would give its id back
        temp_id = await new_template(api, tenant)
        assert temp_id not in seen
        seen.append(temp_id)
        assert (await api.delete(f"/v1/templates/{temp_id}", auth=tenant.auth)).status_code == 200


async def test_a_deleted_signatures_id_is_never_handed_out_again(
    api: AsyncClient, tenant: Tenant
) -> None:
    seen = []
    for wording in ("极光", "极光二", "极光三"):
        sign_id = await new_sign(api, tenant, wording)
        assert sign_id not in seen
        seen.append(sign_id)
        assert (await api.delete(f"/v1/sign/{sign_id}", auth=tenant.auth)).status_code == 200


def test_every_table_with_ids_that_leave_it_asks_for_ids_never_reused() -> None:
    for table in Base.metadata.sorted_tables:
        [*keys] = table.primary_key.columns
        generated = (
            len(keys) == 1 and isinstance(keys[0].type, Integer) and not keys[0].foreign_keys
        )
        if not generated or table.name in INTERNAL_IDS:
            continue
        assert table.dialect_kwargs.get("sqlite_autoincrement") is True, table.name


async def test_the_migrated_sqlite_schema_has_autoincrement(ctx: Context) -> None:
    if not ctx.db.is_sqlite:
        pytest.skip("PostgreSQL's sequences never go back")
    query = text(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'"
    )
    found = {row.name for row in await rows(ctx, query)}
    assert found == {"apps", "devs", "templates", "signs", "sign_images"} | {
        "callback_outbox",
        "pull_records",
        "operators",
        "console_audit",
    }


@pytest.mark.parametrize("deleted", ["template", "sign"])
async def test_a_schedule_whose_template_or_signature_was_deleted_fails_with_a_report(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock, deleted: str
) -> None:
    """The delete is allowed (JSMS has no "in use" answer); when the schedule falls due it
    sends nothing, not even a template or signature that took the old id, and the app finds
    the msg_id it was given reported as failed (4100)."""
    temp_id = await create_template(
        ctx.db, tenant.app_id, template_type=NOTIFICATION, text="订单{{order}}已发货", approve=True
    )
    sign_id = await new_sign(api, tenant, "极光")
    await review_sign(ctx.db, sign_id, approve=True)
    body = {
        "send_time": format_send_time(frozen_clock.now + HOUR, schedule_zone(ctx.settings)),
        "mobile": "13800138000",
        "temp_id": temp_id,
        "sign_id": sign_id,
        "temp_para": {"order": "A1"},
    }
    response = await api.post("/v1/schedule", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    schedule_id = response.json()["schedule_id"]
    shown = await api.get(f"/v1/schedule/{schedule_id}", auth=tenant.auth)
    [recipient] = shown.json()["recipients"]
    path = f"/v1/templates/{temp_id}" if deleted == "template" else f"/v1/sign/{sign_id}"
    assert (await api.delete(path, auth=tenant.auth)).status_code == 200
    if deleted == "template":  # a new template with the same wording and parameters
        await create_template(
            ctx.db,
            tenant.app_id,
            template_type=NOTIFICATION,
            text="订单{{order}}已改",
            approve=True,
        )
    else:
        await review_sign(ctx.db, await new_sign(api, tenant, "冒名"), approve=True)
    frozen_clock.advance(HOUR)
    assert await send_due_schedules(ctx) == 1
    assert await scalar(ctx, select(func.count()).select_from(Message)) == 0
    reports = await api.get("/v1/report", auth=tenant.auth)
    assert reports.status_code == 200, reports.text
    assert [(r["msgId"], r["status"]) for r in reports.json()] == [(recipient["msg_id"], 4100)]
    kept = await rows(ctx, select(PullRecord.data))
    assert all(json.loads(r.data)["msgId"] == recipient["msg_id"] for r in kept)
