"""POST /v1/sign, POST or PUT /v1/sign/{sign_id}, GET and DELETE /v1/sign/{sign_id}
(jsms-api.md §2.16-2.19, §5.2), the operator's review and SMS_SIGN callbacks, and signatures
on sends."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select

from smsgate.context import Context
from smsgate.db.models import SignImage
from smsgate.signs.review import review_sign
from tests.api.helpers import assert_error, inbox, rows
from tests.api.review_spy import ReviewCallbacks, review_callbacks_fixture  # noqa: F401
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(40))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(40))
GIF = b"GIF89a" + bytes(range(40))
BMP = b"BM" + bytes(range(40))


async def post_sign(
    api: AsyncClient, tenant: Tenant, fields: dict[str, Any], url: str = "/v1/sign"
) -> Response:
    """A multipart POST as requests / httpx build it (the Python SDK's way)."""
    return await api.post(url, files=fields, auth=tenant.auth)


async def new_sign(api: AsyncClient, tenant: Tenant, text: str, **parts: Any) -> int:
    response = await post_sign(api, tenant, {"sign": (None, text), **parts})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"sign_id"} and isinstance(answer["sign_id"], int)
    return int(answer["sign_id"])


async def shown(api: AsyncClient, tenant: Tenant, sign_id: int) -> dict[str, Any]:
    response = await api.get(f"/v1/sign/{sign_id}", auth=tenant.auth)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def stored_images(ctx: Context, sign_id: int) -> list[bytes]:
    found = await rows(
        ctx,
        select(SignImage.file_name)
        .where(SignImage.sign_id == sign_id)
        .order_by(SignImage.position),
    )
    directory = ctx.settings.data_dir / "sign-images"
    return [(directory / row.file_name).read_bytes() for row in found]


def image_files(ctx: Context) -> list[Path]:
    directory = ctx.settings.data_dir / "sign-images"
    return sorted(directory.iterdir()) if directory.exists() else []


# --- create and show ---------------------------------------------------------------------------


async def test_created_signature_waits_in_review_with_its_image(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    sign_id = await new_sign(
        api,
        tenant,
        "极光推送",
        image0=("licence.png", PNG, "image/png"),
        type=(None, "1"),
        remark=(None, "公司名称"),
    )
    assert await shown(api, tenant, sign_id) == {
        "sign_id": sign_id,
        "sign": "极光推送",
        "status": 0,
        "is_default": 0,
        "use_status": 0,
    }
    assert await stored_images(ctx, sign_id) == [PNG]
    [path] = image_files(ctx)
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("image", [PNG, JPEG, GIF, BMP, b"GIF87a" + bytes(30)])
async def test_every_allowed_image_type(
    api: AsyncClient, ctx: Context, tenant: Tenant, image: bytes
) -> None:
    sign_id = await new_sign(api, tenant, "证明", image0=("proof", image))
    assert await stored_images(ctx, sign_id) == [image]


async def test_images_0_to_3_keep_their_order(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    parts = [("sign", (None, "四张图片"))]
    parts += [(f"image{n}", (f"{n}.png", PNG + bytes([n]))) for n in range(4)]
    response = await api.post("/v1/sign", files=parts, auth=tenant.auth)
    assert response.status_code == 200, response.text
    stored = await stored_images(ctx, response.json()["sign_id"])
    assert stored == [PNG + bytes([n]) for n in range(4)]


@pytest.mark.parametrize(
    ("images", "why"),
    [
        ([b"%PDF-1.7 not an image at all, really not"], "a PDF"),
        ([b"just some text pretending to be a jpg file"], "text"),
        ([b"\xff\xd8\xff"], "a JPEG header alone"),
        ([PNG] * 5, "five images"),
    ],
)
async def test_unusable_images_are_50101(
    api: AsyncClient, ctx: Context, tenant: Tenant, images: list[bytes], why: str
) -> None:
    parts = [("sign", (None, "坏图"))] + [
        ("images", ("x.jpg", data, "image/jpeg")) for data in images
    ]
    assert_error(await api.post("/v1/sign", files=parts, auth=tenant.auth), 403, 50101)
    assert image_files(ctx) == [], why


@pytest.mark.parametrize("settings_overrides", [{"sign_image_max_bytes": 64}])
async def test_an_image_over_the_size_setting_is_50101(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    small = PNG[:64]
    assert (
        await post_sign(api, tenant, {"sign": (None, "小图"), "image0": ("a", small)})
    ).status_code == 200
    big = {"sign": (None, "大图"), "image0": ("b", PNG + bytes(30))}
    assert_error(await post_sign(api, tenant, big), 403, 50101)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, 50104),
        ({"sign": (None, "")}, 50104),
        ({"sign": (None, "极")}, 50104),
        ({"sign": (None, "九个字的签名太长了")}, 50104),
        ({"sign": (None, "极光 推送")}, 50104),
        ({"sign": (None, "【极光】")}, 50104),
        ({"sign": (None, "(极光)")}, 50104),
        ({"sign": (None, "极光!")}, 50104),
        ({"sign": (None, "极光"), "type": (None, "8")}, 50007),
        ({"sign": (None, "极光"), "type": (None, "0")}, 50007),
        ({"sign": (None, "极光"), "type": (None, "one")}, 50007),
        ({"sign": (None, "极光"), "remark": (None, "r" * 101)}, 50045),
    ],
)
async def test_sign_rules(
    api: AsyncClient, tenant: Tenant, fields: dict[str, Any], code: int
) -> None:
    fields = fields or {"other": (None, "x")}
    assert_error(await post_sign(api, tenant, fields), 403, code)


async def test_allowed_edges(api: AsyncClient, tenant: Tenant) -> None:
    assert await new_sign(api, tenant, "ab", type=(None, "7"), remark=(None, "r" * 100))


async def test_bodies_that_are_not_multipart(api: AsyncClient, tenant: Tenant) -> None:
    json_body = await api.post("/v1/sign", json={"sign": "极光"}, auth=tenant.auth)
    assert_error(json_body, 415, 50017)
    assert_error(await api.post("/v1/sign", auth=tenant.auth), 400, 50003)
    no_boundary = {"Content-Type": "multipart/form-data"}
    response = await api.post("/v1/sign", content=b"x", headers=no_boundary, auth=tenant.auth)
    assert_error(response, 403, 50007)
    cut_short = java_body({"sign": "极光"}, [("a.png", PNG)])[:-40]
    response = await api.post("/v1/sign", content=cut_short, headers=JAVA_HEADERS, auth=tenant.auth)
    assert_error(response, 403, 50007)
    assert_error(await api.post("/v1/sign", files={"sign": (None, "极光")}), 400, 50001)


async def test_one_signature_in_review_at_a_time(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    first = await new_sign(api, tenant, "第一个")
    with_image = {"sign": (None, "第二个"), "image0": ("p.png", PNG)}
    assert_error(await post_sign(api, tenant, with_image), 403, 50103)
    assert image_files(ctx) == []  # the refused upload's file is not left behind
    await review_sign(ctx.db, first, approve=False, reason="缺少证明")
    second = await new_sign(api, tenant, "第二个")
    # Resubmitting the rejected one would put two in review.
    change = await post_sign(api, tenant, {"sign": (None, "第一个")}, f"/v1/sign/{first}")
    assert_error(change, 403, 50103)
    await review_sign(ctx.db, second, approve=True)
    assert await new_sign(api, tenant, "第三个")


async def test_another_apps_review_does_not_block(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    other = await make_tenant(ctx)
    await new_sign(api, other, "别家")
    assert await new_sign(api, tenant, "自家")


# --- the official SDKs' multipart bodies, byte for byte (jsms-api.md §6) ------------------------

JAVA_BOUNDARY = "========7d4a6d158c9"


def java_body(fields: dict[str, str], files: list[tuple[str, bytes]]) -> bytes:
    """SMSClient.doPostSign: fixed boundary, files as repeated `images` parts whose type header
    has no space after the colon."""
    out = b""
    for name, value in fields.items():
        out += (
            (f'--{JAVA_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n').encode()
            + value.encode()
            + b"\r\n"
        )
    for filename, data in files:
        out += (
            (
                f'--{JAVA_BOUNDARY}\r\nContent-Disposition: form-data; name="images"; '
                f'filename="{filename}"\r\nContent-Type:application/octet-stream\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    return out + f"--{JAVA_BOUNDARY}--\r\n".encode()


JAVA_HEADERS = {
    "Content-Type": f"multipart/form-data ; boundary={JAVA_BOUNDARY}",
    "Charset": "utf-8",
    "User-Agent": "Java/1.8.0_392",
}


async def test_the_java_sdk_upload_parses(api: AsyncClient, ctx: Context, tenant: Tenant) -> None:
    body = java_body(
        {"sign": "爪哇签名", "type": "3", "remark": "App名称"}, [("a.jpg", JPEG), ("b.png", PNG)]
    )
    response = await api.post("/v1/sign", content=body, headers=JAVA_HEADERS, auth=tenant.auth)
    assert response.status_code == 200, response.text
    sign_id = response.json()["sign_id"]
    assert (await shown(api, tenant, sign_id))["sign"] == "爪哇签名"
    assert await stored_images(ctx, sign_id) == [JPEG, PNG]


PHP_BOUNDARY = "------------------------5f0d7c3a9e1b2d44"


def php_part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"'
    if filename is None:
        return f"--{PHP_BOUNDARY}\r\n{disposition}\r\n\r\n".encode() + value + b"\r\n"
    head = f'{disposition}; filename="{filename}"\r\nContent-Type: application/octet-stream'
    return f"--{PHP_BOUNDARY}\r\n{head}\r\n\r\n".encode() + value + b"\r\n"


PHP_HEADERS = {
    "Content-Type": f"multipart/form-data; boundary={PHP_BOUNDARY}",
    "User-Agent": "JSMS-API-PHP-CLIENT",
    "Accept": "*/*",
}


async def test_the_php_sdk_upload_with_empty_parts(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """Sign::create('PHP签名'): every part present, the unset ones empty; posted to `/v1/sign/`."""
    body = (
        b"".join(
            [
                php_part("sign", "PHP签名".encode()),
                php_part("image0", b""),
                php_part("type", b""),
                php_part("remark", b""),
            ]
        )
        + f"--{PHP_BOUNDARY}--\r\n".encode()
    )
    response = await api.post("/v1/sign/", content=body, headers=PHP_HEADERS, auth=tenant.auth)
    assert response.status_code == 200, response.text
    assert await stored_images(ctx, response.json()["sign_id"]) == []


async def test_the_php_sdk_upload_with_an_image_by_full_path(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    body = (
        b"".join(
            [
                php_part("sign", "PHP签名".encode()),
                php_part("image0", GIF, "/home/dev/proofs/licence.gif"),
                php_part("type", b"1"),
                php_part("remark", "营业执照".encode()),
            ]
        )
        + f"--{PHP_BOUNDARY}--\r\n".encode()
    )
    response = await api.post("/v1/sign/", content=body, headers=PHP_HEADERS, auth=tenant.auth)
    assert response.status_code == 200, response.text
    assert await stored_images(ctx, response.json()["sign_id"]) == [GIF]


async def test_the_csharp_sdk_upload_with_unquoted_parameters(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    boundary = "4f2b7d0c-93a1-4e55-b0a7-1c2d3e4f5a6b"
    text = (
        "Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: form-data; name={}\r\n\r\n"
    )
    body = (
        f"--{boundary}\r\n{text.format('sign')}".encode()
        + "微软签名".encode()
        + f"\r\n--{boundary}\r\n{text.format('type')}6\r\n".encode()
        + f"--{boundary}\r\nContent-Disposition: form-data; name=image0; filename=image0; "
        f"filename*=utf-8''image0\r\n\r\n".encode()
        + BMP
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f'multipart/form-data; boundary="{boundary}"'}
    response = await api.post("/v1/sign", content=body, headers=headers, auth=tenant.auth)
    assert response.status_code == 200, response.text
    sign_id = response.json()["sign_id"]
    assert (await shown(api, tenant, sign_id))["sign"] == "微软签名"
    assert await stored_images(ctx, sign_id) == [BMP]


# --- change, show, delete ----------------------------------------------------------------------


async def rejected_sign(api: AsyncClient, ctx: Context, tenant: Tenant, **parts: Any) -> int:
    sign_id = await new_sign(api, tenant, "原签名", **parts)
    await review_sign(ctx.db, sign_id, approve=False, reason="证明不清楚")
    return sign_id


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_a_rejected_signature_is_changed_and_resubmitted(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks, method: str
) -> None:
    sign_id = await rejected_sign(api, ctx, tenant, image0=("old.png", PNG))
    old_files = image_files(ctx)
    fields = {"sign": (None, "新签名"), "image0": ("new.jpg", JPEG)}
    response = await api.request(method, f"/v1/sign/{sign_id}", files=fields, auth=tenant.auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"sign_id": sign_id}
    answer = await shown(api, tenant, sign_id)
    assert (answer["sign"], answer["status"]) == ("新签名", 0)
    assert await stored_images(ctx, sign_id) == [JPEG]
    assert not any(path.exists() for path in old_files)


async def test_a_change_without_images_keeps_the_old_ones(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    sign_id = await rejected_sign(api, ctx, tenant, image0=("old.png", PNG))
    response = await post_sign(api, tenant, {"sign": (None, "改文字")}, f"/v1/sign/{sign_id}")
    assert response.status_code == 200
    assert await stored_images(ctx, sign_id) == [PNG]


async def test_a_refused_change_keeps_everything(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    sign_id = await rejected_sign(api, ctx, tenant, image0=("old.png", PNG))
    bad = {"sign": (None, "x"), "image0": ("n.jpg", JPEG)}
    assert_error(await post_sign(api, tenant, bad, f"/v1/sign/{sign_id}"), 403, 50104)
    answer = await shown(api, tenant, sign_id)
    assert (answer["sign"], answer["status"]) == ("原签名", 2)
    assert await stored_images(ctx, sign_id) == [PNG]
    assert len(image_files(ctx)) == 1


async def test_an_approved_signature_is_not_changed_in_place(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    sign_id = await new_sign(api, tenant, "已通过")
    await review_sign(ctx.db, sign_id, approve=True)
    change = await post_sign(api, tenant, {"sign": (None, "改掉它")}, f"/v1/sign/{sign_id}")
    assert_error(change, 403, 50102)
    assert (await shown(api, tenant, sign_id))["sign"] == "已通过"


@pytest.mark.parametrize("path_id", ["999999", "abc", "-3"])
async def test_unknown_ids_are_50102(api: AsyncClient, tenant: Tenant, path_id: str) -> None:
    url = f"/v1/sign/{path_id}"
    assert_error(await api.get(url, auth=tenant.auth), 403, 50102)
    assert_error(await api.delete(url, auth=tenant.auth), 403, 50102)
    assert_error(await post_sign(api, tenant, {"sign": (None, "极光")}, url), 403, 50102)


async def test_delete_answers_an_empty_200_and_removes_the_images(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    sign_id = await new_sign(api, tenant, "要删除", image0=("a.png", PNG))
    assert len(image_files(ctx)) == 1
    response = await api.delete(f"/v1/sign/{sign_id}", auth=tenant.auth)
    assert (response.status_code, response.content) == (200, b"")
    assert image_files(ctx) == []
    assert_error(await api.get(f"/v1/sign/{sign_id}", auth=tenant.auth), 403, 50102)
    assert await new_sign(api, tenant, "新的")  # nothing is in review any more


async def test_the_default_signature_cannot_be_deleted(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    [default_id] = [row.id for row in await rows(ctx, _signs_of(tenant.app_id)) if row.is_default]
    assert (await shown(api, tenant, default_id))["is_default"] == 1
    assert_error(await api.delete(f"/v1/sign/{default_id}", auth=tenant.auth), 403, 50105)
    assert (await shown(api, tenant, default_id))["use_status"] == 1


def _signs_of(app_id: int) -> Any:
    from smsgate.db.models import Sign

    return select(Sign.id, Sign.is_default).where(Sign.app_id == app_id)


async def test_another_apps_signature_does_not_exist(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    other = await make_tenant(ctx)
    theirs = await rejected_sign(api, ctx, other, image0=("p.png", PNG))
    url = f"/v1/sign/{theirs}"
    assert_error(await api.get(url, auth=tenant.auth), 403, 50102)
    assert_error(await post_sign(api, tenant, {"sign": (None, "抢走")}, url), 403, 50102)
    assert_error(await api.delete(url, auth=tenant.auth), 403, 50102)
    answer = await shown(api, other, theirs)
    assert (answer["sign"], answer["status"]) == ("原签名", 2)
    assert await stored_images(ctx, theirs) == [PNG]


# --- review and sends --------------------------------------------------------------------------


async def test_review_callbacks_and_the_first_approved_signature_becomes_the_default(
    api: AsyncClient, ctx: Context, review_callbacks: ReviewCallbacks
) -> None:
    unsigned = await make_tenant(ctx, sign=None)
    sign_id = await new_sign(api, unsigned, "首个签名")
    await review_sign(ctx.db, sign_id, approve=False, reason="请补充营业执照")
    assert (await shown(api, unsigned, sign_id))["is_default"] == 0
    await post_sign(api, unsigned, {"sign": (None, "首个签名")}, f"/v1/sign/{sign_id}")
    await review_sign(ctx.db, sign_id, approve=True)
    assert await shown(api, unsigned, sign_id) == {
        "sign_id": sign_id,
        "sign": "首个签名",
        "status": 1,
        "is_default": 1,
        "use_status": 1,
    }
    second = await new_sign(api, unsigned, "第二签名")
    await review_sign(ctx.db, second, approve=True)
    assert (await shown(api, unsigned, second))["is_default"] == 0
    assert review_callbacks.events == [
        (
            unsigned.app_id,
            "SMS_SIGN",
            {"signId": sign_id, "status": 2, "refuseReason": "请补充营业执照"},
        ),
        (unsigned.app_id, "SMS_SIGN", {"signId": sign_id, "status": 1, "refuseReason": None}),
        (unsigned.app_id, "SMS_SIGN", {"signId": second, "status": 1, "refuseReason": None}),
    ]


async def test_make_default_moves_the_flag(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    sign_id = await new_sign(api, tenant, "新默认")
    await review_sign(ctx.db, sign_id, approve=True, make_default=True)
    defaults = [row.id for row in await rows(ctx, _signs_of(tenant.app_id)) if row.is_default]
    assert defaults == [sign_id]


async def test_sign_id_on_sends_picks_only_an_approved_signature_of_the_app(
    api: AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    review_callbacks: ReviewCallbacks,
) -> None:
    sign_id = await new_sign(api, tenant, "活动专用")
    notify = {
        "mobile": "13800138000",
        "temp_id": tenant.notify_temp,
        "temp_para": {"name": "张三", "order": "A1"},
    }
    assert_error(
        await api.post("/v1/messages", json={**notify, "sign_id": sign_id}, auth=tenant.auth),
        403,
        50102,
    )
    assert_error(
        await api.post(
            "/v1/codes",
            json={"mobile": "13800138000", "temp_id": tenant.code_temp, "sign_id": sign_id},
            auth=tenant.auth,
        ),
        403,
        50102,
    )
    await review_sign(ctx.db, sign_id, approve=True)
    response = await api.post(
        "/v1/messages", json={**notify, "sign_id": str(sign_id)}, auth=tenant.auth
    )
    assert response.status_code == 200, response.text
    await worker.run_until_idle()
    assert [entry.text for entry in await inbox(ctx)] == [
        "【活动专用】尊敬的张三，您的订单A1已发货。"
    ]
    other = await make_tenant(ctx)
    response = await api.post(
        "/v1/messages",
        json={**notify, "temp_id": other.notify_temp, "sign_id": sign_id},
        auth=other.auth,
    )
    assert_error(response, 403, 50102)


async def test_parallel_uploads_leave_exactly_one_in_review(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """Eight uploads at once: one is taken, seven get 50103, and no refused image stays."""
    uploads = [
        post_sign(api, tenant, {"sign": (None, f"并发{n}"), "image0": ("p.png", PNG)})
        for n in range(8)
    ]
    answers = await asyncio.gather(*uploads)
    codes = sorted(
        answer.status_code if answer.status_code == 200 else answer.json()["error"]["code"]
        for answer in answers
    )
    assert codes == [200] + [50103] * 7
    assert len(image_files(ctx)) == 1


async def test_rejecting_the_default_takes_the_flag_and_stops_unsigned_sends(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    [default_id] = [row.id for row in await rows(ctx, _signs_of(tenant.app_id)) if row.is_default]
    await review_sign(ctx.db, default_id, approve=False, reason="商标过期")
    answer = await shown(api, tenant, default_id)
    assert (answer["status"], answer["is_default"], answer["use_status"]) == (2, 0, 0)
    send = {
        "mobile": "13800138000",
        "temp_id": tenant.notify_temp,
        "temp_para": {"name": "张三", "order": "A1"},
    }
    assert_error(await api.post("/v1/messages", json=send, auth=tenant.auth), 403, 50046)
    response = await api.delete(f"/v1/sign/{default_id}", auth=tenant.auth)
    assert response.status_code == 200  # no longer the default
