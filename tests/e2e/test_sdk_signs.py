"""Signatures through the official Python SDK (PyPI `jsms==0.0.4`), unmodified, against a real
`smsgate serve`: `create_sign` with a proof image, `show_sign`, `upadte_sign` (sic) and
`delete_sign`, and the operator's review in between from the real command line."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import jsms
import pytest

from .server import SmsgateServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)


@pytest.fixture
def client(smsgate_server: SmsgateServer) -> Iterator[jsms.Jsms]:
    """An app of the test's own, with an approved default signature, on the SDK."""
    app_key, secret = smsgate_server.create_app("sdk signs", "--sign", "默认签名")
    sdk = jsms.Jsms(app_key, secret)
    sdk.BASE_URL = smsgate_server.base_url + "/v1/"
    yield sdk
    sdk.session.close()


def stored_image(server: SmsgateServer, sign_id: int) -> list[bytes]:
    [listed] = [row for row in server.cli("sign", "list", "--json") if row["sign_id"] == sign_id]
    return [Path(path).read_bytes() for path in listed["images"]]


def test_create_show_review_update_delete(
    smsgate_server: SmsgateServer, client: jsms.Jsms, tmp_path: Path
) -> None:
    proof = tmp_path / "licence.png"
    proof.write_bytes(PNG)
    with proof.open("rb") as image:
        created = client.create_sign("官方SDK", image0=image, type=1, remark="营业执照")
    assert set(created) == {"sign_id"}, created
    sign_id = created["sign_id"]
    assert isinstance(sign_id, int)
    assert client.show_sign(str(sign_id)) == {
        "sign_id": sign_id,
        "sign": "官方SDK",
        "status": 0,
        "is_default": 0,
        "use_status": 0,
    }
    assert stored_image(smsgate_server, sign_id) == [PNG]

    # One in review at a time.
    assert client.create_sign("再来一个")["error"]["code"] == 50103

    smsgate_server.cli("sign", "reject", str(sign_id), "--reason", "执照模糊", "--json")
    assert client.show_sign(str(sign_id))["status"] == 2

    replacement = tmp_path / "licence-2.jpg"
    replacement.write_bytes(JPEG)
    with replacement.open("rb") as image:
        updated = client.upadte_sign(str(sign_id), "官方SDK", image0=image, type=1)
    assert updated == {"sign_id": sign_id}
    assert client.show_sign(str(sign_id))["status"] == 0
    assert stored_image(smsgate_server, sign_id) == [JPEG]

    smsgate_server.cli("sign", "approve", str(sign_id), "--json")
    shown = client.show_sign(str(sign_id))
    assert (shown["status"], shown["is_default"], shown["use_status"]) == (1, 0, 1)

    assert client.delete_sign(str(sign_id)) == 200  # the SDK's answer to an empty 200
    assert client.show_sign(str(sign_id))["error"]["code"] == 50102


def test_the_default_signature_stays(client: jsms.Jsms, smsgate_server: SmsgateServer) -> None:
    app_key = client.session.auth[0]
    listed = smsgate_server.cli("sign", "list", "--app", app_key, "--json")
    [default] = [row for row in listed if row["is_default"]]
    answer = client.delete_sign(str(default["sign_id"]))
    assert answer["error"] == {"code": 50105, "message": "default signature cannot be deleted"}
    assert client.show_sign(str(default["sign_id"]))["use_status"] == 1


def test_a_file_that_is_not_an_image(client: jsms.Jsms, tmp_path: Path) -> None:
    fake = tmp_path / "licence.jpg"
    fake.write_bytes(b"%PDF-1.7 this is a document, not an image")
    with fake.open("rb") as image:
        answer = client.create_sign("假图片", image0=image)
    assert answer["error"] == {"code": 50101, "message": "invalid image"}


def test_the_java_sdk_upload_over_tcp(smsgate_server: SmsgateServer) -> None:
    """SMSClient.doPostSign's exact request through the real HTTP server: a space before the `;`
    of the Content-Type and an unquoted boundary full of `=` (jsms-api.md §6.1)."""
    app_key, secret = smsgate_server.create_app("java signs", "--sign", "默认签名")
    boundary = "========7d4a6d158c9"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="sign"\r\n\r\n爪哇\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\n3\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="images"; filename="a.png"\r\n'
            "Content-Type:application/octet-stream\r\n\r\n"
        ).encode()
        + PNG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Content-Type": f"multipart/form-data ; boundary={boundary}",
        "Charset": "utf-8",
        "User-Agent": "Java/1.8.0_392",
    }
    response = httpx.post(
        f"{smsgate_server.base_url}/v1/sign",
        content=body,
        headers=headers,
        auth=(app_key, secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    sign_id = response.json()["sign_id"]
    assert stored_image(smsgate_server, sign_id) == [PNG]
