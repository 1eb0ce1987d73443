"""The webhook endpoints end to end in process: a message goes out through an HTTP provider (to
a local stand-in for the vendor), the vendor's callback comes in at /providers/{name}/...,
and the message's status or the app's replies change in the database (SQLite and PostgreSQL)."""

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from smsgate.app import create_app
from smsgate.context import Context
from smsgate.db.models import Message, PullRecord
from smsgate.delivery.config import BreakerConfig, DeliveryConfig, RouteConfig
from smsgate.delivery.providers.aliyun import AliyunConfig, AliyunProvider
from smsgate.delivery.providers.base import ProviderConfig
from smsgate.delivery.providers.kannel import KannelConfig, KannelProvider
from smsgate.delivery.providers.tencent import TencentConfig, TencentProvider
from smsgate.delivery.providers.twilio import TwilioConfig, TwilioProvider, twilio_signature
from smsgate.delivery.routing import Router
from smsgate.delivery.worker import DeliveryWorker
from tests.api.helpers import assert_error, rows
from tests.delivery.vendor_server import Answer, VendorServer, run_vendor_server
from tests.support.tenants import Tenant

TOKEN = "kT9v2QmX4pL8sN3wR6yB"
OTHER_TOKEN = "Zp4cW8nY2rT6vB1xQ5mJ"  # a second provider of each type, with its own secret
BASE = "https://sms.example.com"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"notification_limits": ""}


@pytest.fixture
def vendor() -> Iterator[VendorServer]:
    yield from run_vendor_server()


def configs(vendor: VendorServer) -> dict[str, ProviderConfig]:
    """One provider of each type, and a twin of each (name + "-b") with secrets of its own."""
    return one_of_each(vendor, "", TOKEN, "12345") | one_of_each(vendor, "-b", OTHER_TOKEN, "678")


def one_of_each(
    vendor: VendorServer, suffix: str, token: str, twilio_token: str
) -> dict[str, ProviderConfig]:
    common = {"callback_base_url": BASE, "callback_token": token}
    kannel = "kannel-a" if not suffix else "kannel-b"
    ali, tc, tw = (f"{name}{suffix}" for name in ("ali", "tc", "tw"))
    return {
        kannel: KannelConfig(
            name=kannel,
            url=f"{vendor.url}/cgi-bin/sendsms",
            username="u",
            password="p",
            **common,
        ),
        ali: AliyunConfig(
            name=ali,
            access_key_id="i",
            access_key_secret="s",
            endpoint=f"{vendor.url}/",
            text_template="SMS_1",
            **common,
        ),
        tc: TencentConfig(
            name=tc,
            secret_id="i",
            secret_key="s",
            sdk_app_id="1400006666",
            endpoint=f"{vendor.url}/",
            text_template="1",
            **common,
        ),
        tw: TwilioConfig(
            name=tw,
            account_sid="AC1",
            auth_token=twilio_token,
            from_number="+15017122661",
            endpoint=vendor.url,
            callback_base_url=BASE,
        ),
    }


@pytest.fixture
async def app(ctx: Context, vendor: VendorServer) -> FastAPI:
    application = create_app(ctx.settings, ctx)
    config = DeliveryConfig(configs(vendor), (), BreakerConfig(), None)
    application.state.delivery_config = config
    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://smsgate") as http:
        yield http


async def send_through(
    ctx: Context, app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, name: str
) -> str:
    """A notification sent by the API and delivered by a worker routing to provider `name`."""
    body = {"mobile": "13800138000", "temp_id": tenant.notify_temp}
    body["temp_para"] = {"name": "赵六", "order": "1"}  # type: ignore[assignment]
    response = await client.post("/v1/messages", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    config = app.state.delivery_config.providers[name]
    provider: Any = {
        "kannel": KannelProvider,
        "aliyun": AliyunProvider,
        "tencent": TencentProvider,
        "twilio": TwilioProvider,
    }[config.type](config)
    routing = DeliveryConfig(
        {name: config}, (RouteConfig(providers=(name,)),), BreakerConfig(), None
    )
    try:
        assert await DeliveryWorker(ctx, Router({name: provider}, routing)).deliver_due() == 1
    finally:
        await provider.client.aclose()
    return str(response.json()["msg_id"])


async def status_of(ctx: Context, msg_id: str) -> tuple[str, int | None, str | None]:
    [row] = await rows(
        ctx,
        select(Message.status, Message.report_status, Message.provider_message_id).where(
            Message.id == msg_id
        ),
    )
    return row.status, row.report_status, row.provider_message_id


async def test_kannel_dlr_url_finishes_the_message(ctx, app, client, tenant, vendor) -> None:
    vendor.answer(Answer(202, b"0: Accepted for delivery", "text/html"))
    msg_id = await send_through(ctx, app, client, tenant, "kannel-a")
    dlr_url = vendor.requests[0].query["dlr-url"]
    assert dlr_url.startswith(f"{BASE}/providers/kannel-a/report?")
    callback = dlr_url.removeprefix(BASE).replace("%d", "8")  # intermediate: nothing changes
    assert (await client.get(callback)).status_code == 200
    assert (await status_of(ctx, msg_id))[:2] == ("submitted", None)
    forged = callback.replace(TOKEN, "x" * len(TOKEN)).replace("type=8", "type=2")
    assert_error(await client.get(forged), 401, 50002)
    response = await client.get(callback.replace("type=8", "type=1"))
    assert response.status_code == 200
    assert (await status_of(ctx, msg_id))[:2] == ("delivered", 4001)


async def test_aliyun_report_push_finds_the_message_by_biz_id(ctx, app, client, tenant, vendor):
    ok = {"Message": "OK", "RequestId": "R", "Code": "OK", "BizId": "900619746936498440^0"}
    vendor.answer(Answer(200, json.dumps(ok).encode()))
    msg_id = await send_through(ctx, app, client, tenant, "ali")
    assert await status_of(ctx, msg_id) == ("submitted", None, "900619746936498440^0")
    report = [
        {
            "phone_number": "13800138000",
            "success": False,
            "err_code": "UNDELIV",
            "biz_id": "900619746936498440^0",
            "out_id": msg_id,
        }
    ]
    response = await client.post(f"/providers/ali/report?token={TOKEN}", json=report)
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "OK"}
    assert (await status_of(ctx, msg_id))[:2] == ("failed", 4100)


async def test_tencent_reply_reaches_the_app_that_sent(ctx, app, client, tenant, vendor) -> None:
    answer = {
        "Response": {"SendStatusSet": [{"SerialNo": "5000:1", "Code": "Ok"}], "RequestId": "R"}
    }
    vendor.answer(Answer(200, json.dumps(answer).encode()))
    await send_through(ctx, app, client, tenant, "tc")
    reply = {
        "extend": "",
        "mobile": "13800138000",
        "nationcode": "86",
        "sign": "smsgate",
        "text": "收到",
        "time": 1470724217,
    }
    assert_error(await client.post("/providers/tc/inbound", json=reply), 401, 50002)
    response = await client.post(f"/providers/tc/inbound?token={TOKEN}", json=reply)
    assert response.status_code == 200 and response.json() == {"result": 0, "errmsg": "OK"}
    records = await rows(ctx, select(PullRecord.kind, PullRecord.data, PullRecord.app_id))
    assert [(r.kind, json.loads(r.data)["content"], r.app_id) for r in records] == [
        ("reply", "收到", tenant.app_id)
    ]


async def test_twilio_status_callback_is_checked_by_signature(ctx, app, client, tenant, vendor):
    created = {"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}
    vendor.answer(Answer(201, json.dumps(created).encode()))
    msg_id = await send_through(ctx, app, client, tenant, "tw")
    assert vendor.requests[0].form()["StatusCallback"] == f"{BASE}/providers/tw/report"
    form = {
        "MessageSid": created["sid"],
        "MessageStatus": "undelivered",
        "ErrorCode": "30005",
        "AccountSid": "AC1",
        "To": "+8613800138000",
        "From": "+15017122661",
    }
    signature = twilio_signature("12345", f"{BASE}/providers/tw/report", form)
    forged = {**form, "MessageStatus": "delivered", "ErrorCode": ""}
    headers = {"X-Twilio-Signature": signature}
    assert_error(
        await client.post("/providers/tw/report", data=forged, headers=headers), 401, 50002
    )
    response = await client.post("/providers/tw/report", data=form, headers=headers)
    assert response.status_code == 200
    assert (await status_of(ctx, msg_id))[:2] == ("failed", 4004)


async def test_unknown_providers_and_bad_bodies_get_jsms_errors(client) -> None:
    assert_error(await client.post(f"/providers/nobody/report?token={TOKEN}", json=[]), 404, 50016)
    bad = await client.post(f"/providers/ali/report?token={TOKEN}", content=b"{not json")
    assert_error(bad, 403, 50007)


# --- a provider's callbacks touch only what that provider carried ------------------------------

SID = "SM0123456789abcdef0123456789abcdef"
SUBMIT_ANSWERS = {
    "kannel": Answer(202, b"0: Accepted for delivery", "text/html"),
    "ali": Answer(200, b'{"Message":"OK","RequestId":"R","Code":"OK","BizId":"9006^0"}'),
    "tc": Answer(
        200, b'{"Response":{"SendStatusSet":[{"SerialNo":"5000:1","Code":"Ok"}],"RequestId":"R"}}'
    ),
    "tw": Answer(201, json.dumps({"sid": SID, "status": "queued"}).encode()),
}


def delivered_report(kind: str, name: str, msg_id: str) -> dict[str, Any]:
    """The request provider `name` (of `kind`) makes to say it delivered the message, naming it
    the way its submit answer did (Kannel: our msg_id; the vendors: their own ids)."""
    token = OTHER_TOKEN if name.endswith("-b") else TOKEN
    path = f"/providers/{name}/report"
    if kind == "kannel":
        return {"method": "GET", "url": f"{path}?token={token}&msg_id={msg_id}&type=1"}
    if kind == "ali":
        item = {"success": True, "biz_id": "9006^0", "out_id": msg_id, "phone_number": "1"}
        return {"method": "POST", "url": f"{path}?token={token}", "json": [item]}
    if kind == "tc":
        item = {"sid": "5000:1", "report_status": "SUCCESS", "mobile": "13800138000"}
        return {"method": "POST", "url": f"{path}?token={token}", "json": [item]}
    form = {"MessageSid": SID, "MessageStatus": "delivered", "AccountSid": "AC1"}
    secret = "678" if name.endswith("-b") else "12345"
    signature = twilio_signature(secret, f"{BASE}{path}", form)
    return {
        "method": "POST",
        "url": path,
        "data": form,
        "headers": {"X-Twilio-Signature": signature},
    }


@pytest.mark.parametrize(
    ("kind", "carrier", "other"),
    [
        ("kannel", "kannel-a", "kannel-b"),
        ("ali", "ali", "ali-b"),
        ("tc", "tc", "tc-b"),
        ("tw", "tw", "tw-b"),
    ],
)
async def test_a_report_from_another_provider_never_finishes_the_message(
    ctx, app, client, tenant, vendor, kind, carrier, other
) -> None:
    """Provider `other` holds a valid secret of its own and names the message exactly as its
    carrier did: the report is taken (200) but touches nothing; the carrier's own report does."""
    vendor.answer(SUBMIT_ANSWERS[kind])
    msg_id = await send_through(ctx, app, client, tenant, carrier)
    response = await client.request(**delivered_report(kind, other, msg_id))
    assert response.status_code == 200, response.text
    assert (await status_of(ctx, msg_id))[:2] == ("submitted", None)
    assert await rows(ctx, select(PullRecord.id)) == []  # no report for the app either
    response = await client.request(**delivered_report(kind, carrier, msg_id))
    assert response.status_code == 200, response.text
    assert (await status_of(ctx, msg_id))[:2] == ("delivered", 4001)


@pytest.mark.parametrize("carrier", ["tc", "tc-b"])
async def test_a_reply_goes_to_the_app_that_sent_through_the_same_provider(
    ctx, app, client, tenant, vendor, carrier
) -> None:
    """Without a reply number, a reply belongs to the app that last sent to the number through
    the provider the reply came from; through any other provider it matches no app."""
    vendor.answer(SUBMIT_ANSWERS["tc"])
    await send_through(ctx, app, client, tenant, "tc")
    reply = {"extend": "", "mobile": "13800138000", "nationcode": "86", "text": "TD"}
    token = OTHER_TOKEN if carrier.endswith("-b") else TOKEN
    response = await client.post(f"/providers/{carrier}/inbound?token={token}", json=reply)
    assert response.status_code == 200, response.text
    records = await rows(ctx, select(PullRecord.app_id).where(PullRecord.kind == "reply"))
    assert [r.app_id for r in records] == ([tenant.app_id] if carrier == "tc" else [])
