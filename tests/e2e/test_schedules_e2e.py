"""Scheduled SMS against a real `smsgate serve`: the official Python SDK's schedule calls, and a
schedule that falls due while the server is down (kill -9) is sent once after the restart."""

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import jsms
import pytest

from .server import ServerFactory, SmsgateServer
from .test_official_sdk import make_client

SIGN = "定时测试"
TEMPLATE = "{{name}}您好，订单{{order}}已发货。"
SHANGHAI = ZoneInfo("Asia/Shanghai")


# How far ahead a schedule is set, tried in turn: the server refuses a send_time that has passed
# by the time it reads the POST (50027), and on a loaded machine (a fresh server's first
# requests) that has taken more than two seconds. On a quiet machine the first one is taken, and
# the tests wait about a second for a schedule to fall due instead of several.
LEADS_SECONDS = (1, 3, 9)
INVALID_SEND_TIME = 50027


def shanghai_time(seconds_from_now: float) -> tuple[str, float]:
    """A send_time the given seconds ahead, rounded up to a whole second, and its epoch time."""
    due = int(time.time() + seconds_from_now) + 1
    return datetime.fromtimestamp(due, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), float(due)


def schedule_soon(post: Callable[[str], dict[str, Any]]) -> tuple[dict[str, Any], float]:
    """`post(send_time)` with the nearest send_time the server takes: its answer, and the epoch
    time the schedule is due."""
    for lead in LEADS_SECONDS:
        when, due = shanghai_time(lead)
        answer = post(when)
        if answer.get("error", {}).get("code") != INVALID_SEND_TIME:
            break
    return answer, due


def new_app(server: SmsgateServer) -> tuple[str, str, int]:
    app_key, secret = server.create_app("schedules", "--sign", SIGN, "--balance", "100")
    return app_key, secret, server.create_template(app_key, 2, TEMPLATE)


@pytest.fixture(scope="module")
def sdk(smsgate_server: SmsgateServer) -> Iterator[tuple[jsms.Jsms, int]]:
    app_key, secret, temp_id = new_app(smsgate_server)
    client = make_client(smsgate_server, app_key, secret)
    yield client, temp_id
    client.session.close()


def test_sdk_schedules_shows_and_deletes(sdk: tuple[jsms.Jsms, int]) -> None:
    """send_teml with `time` schedules (POST /v1/schedule); show_schedule_message reads it back
    in the shape the SDKs parse; delete_schedule_message gets the empty 200 (the SDK returns
    the bare status) and the schedule is gone."""
    client, temp_id = sdk
    when, _ = shanghai_time(3600)
    para = {"name": "李雷", "order": "S-1"}
    answer = client.send_teml("13900139101", str(temp_id), temp_para=para, time=when)
    assert set(answer) == {"schedule_id"}, answer
    schedule_id = answer["schedule_id"]

    shown = client.show_schedule_message(schedule_id)
    [recipient] = shown["recipients"]
    assert shown == {
        "schedule_id": schedule_id,
        "send_time": when,
        "temp_id": temp_id,
        "recipients": [{"msg_id": recipient["msg_id"], "mobile": "13900139101", "temp_para": para}],
    }
    assert client.delete_schedule_message(schedule_id) == 200
    assert client.show_schedule_message(schedule_id)["error"]["code"] == 50028
    assert client.delete_schedule_message(schedule_id)["error"]["code"] == 50029


def test_sdk_schedule_in_the_past_is_refused(sdk: tuple[jsms.Jsms, int]) -> None:
    client, temp_id = sdk
    when, _ = shanghai_time(-3600)
    answer = client.send_teml(
        "13900139102", temp_id, temp_para={"name": "x", "order": "y"}, time=when
    )
    assert answer["error"]["code"] == 50027


def test_sdk_schedule_is_delivered_at_its_time(
    smsgate_server: SmsgateServer, sdk: tuple[jsms.Jsms, int]
) -> None:
    client, temp_id = sdk
    mobile = "13900139103"
    para = {"name": "韩梅梅", "order": "S-3"}
    answer, due = schedule_soon(
        lambda when: dict(client.send_teml(mobile, temp_id, temp_para=para, time=when))
    )
    schedule_id = answer["schedule_id"]
    msg_id = client.show_schedule_message(schedule_id)["recipients"][0]["msg_id"]
    entry = smsgate_server.wait_for_messages({msg_id}, mobile)[msg_id]
    assert entry["text"] == f"【{SIGN}】韩梅梅您好，订单S-3已发货。"
    assert datetime.fromisoformat(entry["delivered_at"]).timestamp() >= due


def test_schedule_due_while_the_server_was_down_is_sent_once_after_restart(
    start_fresh_server: ServerFactory,
) -> None:
    """The server is killed (SIGKILL) after accepting a schedule due a moment later, stays
    down past the due time, and on restart sends it exactly once. Killed and restarted again, it
    sends a second schedule made after that restart: by then the scheduler has passed over the
    first one again, and it was not sent twice.

    The first server runs without its background loops, so the schedule cannot go out before the
    kill however slow the machine is between the answer and the kill."""
    server = start_fresh_server(SMSGATE_EMBEDDED_WORKER="false")
    app_key, secret, temp_id = new_app(server)
    auth = (app_key, secret)
    body = {"mobile": "13900139201", "temp_id": temp_id,
            "temp_para": {"name": "甲", "order": "R-1"}}  # fmt: skip
    url = f"{server.base_url}/v1/schedule"

    def posting(fields: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
        return lambda when: dict(
            httpx.post(url, json={**fields, "send_time": when}, auth=auth).json()
        )

    answer, due = schedule_soon(posting(body))
    schedule_id = answer["schedule_id"]
    server.kill()
    assert server.inbox("13900139201") == []
    time.sleep(max(0.0, due - time.time()) + 0.5)  # down while the schedule falls due

    server.env["SMSGATE_EMBEDDED_WORKER"] = "true"
    server.restart()
    shown = httpx.get(f"{url}/{schedule_id}", auth=auth).json()
    msg_id = shown["recipients"][0]["msg_id"]
    server.wait_for_messages({msg_id}, "13900139201")

    server.restart()  # killed again after the send: nothing more goes out
    later, _ = schedule_soon(posting({**body, "mobile": "13900139202"}))
    later_id = later["schedule_id"]
    later_shown = httpx.get(f"{url}/{later_id}", auth=auth).json()
    server.wait_for_messages({later_shown["recipients"][0]["msg_id"]}, "13900139202")
    [entry] = server.inbox("13900139201")
    assert entry["msg_id"] == msg_id
    assert entry["text"] == f"【{SIGN}】甲您好，订单R-1已发货。"
