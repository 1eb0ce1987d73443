"""`smsgate serve` in several processes: `--workers 2` (two API processes on one port, delivery
in a third) and `--separate-delivery` (one API process, delivery beside it).

Both API processes answer, a code sent through one verifies through the other, every message
is delivered exactly once, new sends wake the delivery process (its poll interval is set far
beyond the tests' deadlines, so only the wake-up can deliver in time), and SIGTERM to serve
stops every process gracefully.
"""

import os
import re
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from .server import ServerFactory, SmsgateServer, wait_until_ready

SIGN = "多进程"
POLL_SECONDS = 0.05
EXIT_TIMEOUT_SECONDS = 90.0
# Far beyond every deadline here: a message delivered in time was woken up, not polled for.
SLOW_POLL = "600"
SENDS = 40
REQUEST_LINE = re.compile(r'^smsgate_api_requests_total\{[^}]*route="([^"]+)"[^}]*\} (\S+)$', re.M)


def free_port_run(length: int) -> int:
    """A port such that it and the `length - 1` after it are free now (metrics ports: the
    delivery process takes the first, API process k the first + k)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first: int = probe.getsockname()[1]
        if first + length > 65535:
            continue
        try:
            for port in range(first, first + length):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no run of free ports")


def start(factory: ServerFactory, **settings: str) -> tuple[SmsgateServer, int]:
    """A server of the test's own and its first metrics port."""
    metrics = free_port_run(4)
    server = factory(
        SMSGATE_METRICS_PORT=str(metrics),
        SMSGATE_OUTBOX_POLL_SECONDS=SLOW_POLL,
        SMSGATE_NOTIFICATION_LIMITS="",
        SMSGATE_SANDBOX_REPORT_DELAY="0",
        **settings,
    )
    return server, metrics


def app_and_templates(server: SmsgateServer) -> tuple[tuple[str, str], int, int]:
    app_key, secret = server.create_app("processes", "--sign", SIGN)
    code_temp = server.create_template(app_key, 1, "验证码{{code}}", "--ttl", "300")
    notice_temp = server.create_template(app_key, 2, "订单{{order}}已发货")
    return (app_key, secret), code_temp, notice_temp


def post_each_on_a_new_connection(
    server: SmsgateServer, path: str, bodies: list[dict[str, object]], auth: tuple[str, str]
) -> list[httpx.Response]:
    """Each request on a connection of its own, so the kernel picks an API process for each."""

    def post(body: dict[str, object]) -> httpx.Response:
        return httpx.post(server.base_url + path, json=body, auth=auth, timeout=30.0)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(post, bodies))


def requests_counted(metrics_url: str, route: str) -> float:
    scraped = httpx.get(f"{metrics_url}/metrics", timeout=10).text
    return sum(float(n) for r, n in REQUEST_LINE.findall(scraped) if r == route)


def children(pid: int) -> set[int]:
    """The processes `pid` started (Linux /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(child) for child in (task / "children").read_text().split())
    return found


def stop_and_wait(server: SmsgateServer, started: set[int]) -> int:
    """SIGTERM to serve; its exit status once it and every process it started are gone."""
    server.terminate()
    status = server.wait_exited(EXIT_TIMEOUT_SECONDS)
    deadline = time.monotonic() + EXIT_TIMEOUT_SECONDS
    while any(_alive(pid) for pid in started):
        assert time.monotonic() < deadline, f"left running: {[p for p in started if _alive(p)]}"
        time.sleep(POLL_SECONDS)
    return status


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
    return status != "Z"  # a zombie has ended; its parent just has not collected it


def notices(temp_id: int, first: int, count: int) -> list[dict[str, object]]:
    return [
        {"mobile": f"1390015{i:04d}", "temp_id": temp_id, "temp_para": {"order": f"P{i}"}}
        for i in range(first, first + count)
    ]


def test_two_api_processes_share_the_port_and_deliver_each_message_once(
    start_fresh_server: ServerFactory, e2e_backend: str
) -> None:
    server, metrics = start(start_fresh_server, SMSGATE_WORKERS="2")
    started = children(server.process.pid if server.process else 0)
    auth, code_temp, notice_temp = app_and_templates(server)

    answers = post_each_on_a_new_connection(
        server, "/v1/messages", notices(notice_temp, 0, SENDS), auth
    )
    assert [answer.status_code for answer in answers] == [200] * SENDS
    accepted = {answer.json()["msg_id"] for answer in answers}
    # Both API processes took connections: each counted some of the sends, none was lost.
    per_process = [
        requests_counted(f"http://127.0.0.1:{metrics + k}", "/v1/messages") for k in (1, 2)
    ]
    assert min(per_process) > 0 and sum(per_process) == SENDS, per_process

    delivered = server.wait_for_messages(accepted, timeout=60.0)
    assert {entry["text"] for entry in delivered.values()} == {
        f"【{SIGN}】订单P{i}已发货" for i in range(SENDS)
    }
    every_entry = Counter(e["msg_id"] for e in server.inbox() if e["msg_id"] in accepted)
    assert set(every_entry.values()) == {1}  # nobody's message reached the handset twice

    # Codes sent through either process verify through either (one key, one database).
    mobiles = [f"1390016{i:04d}" for i in range(8)]
    sent = post_each_on_a_new_connection(
        server, "/v1/codes", [{"mobile": m, "temp_id": code_temp} for m in mobiles], auth
    )
    msg_ids = {answer.json()["msg_id"] for answer in sent}
    codes = {
        msg_id: re.findall(r"\d{6}", entry["text"])[0]
        for msg_id, entry in server.wait_for_messages(msg_ids, timeout=60.0).items()
    }
    for msg_id, code in codes.items():
        path = f"{server.base_url}/v1/codes/{msg_id}/valid"
        first = httpx.post(path, json={"code": code}, auth=auth, timeout=30.0)
        assert first.json() == {"is_valid": True}
        again = httpx.post(path, json={"code": code}, auth=auth, timeout=30.0)
        assert again.json()["error"]["code"] == 50012  # verified once, whichever process

    assert stop_and_wait(server, started) == 0
    log = server.log_path.read_text(errors="replace")
    assert log.count("Application shutdown complete") == 2  # both API processes, gracefully
    assert "ended with status" not in log


def test_delivery_in_its_own_process_is_woken_by_sends_and_stops_gracefully(
    start_fresh_server: ServerFactory, e2e_backend: str
) -> None:
    server, metrics = start(start_fresh_server, SMSGATE_SEPARATE_DELIVERY="true")
    started = children(server.process.pid if server.process else 0)
    # The delivery process serves the first metrics port and runs every loop.
    ready = wait_until_ready(f"http://127.0.0.1:{metrics}/readyz")
    assert ready.status_code == 200, ready.text
    assert "delivery" in ready.json()["checks"]["loops"]["age_seconds"]
    auth, _, notice_temp = app_and_templates(server)

    for round_ in range(3):  # each after the worker went back to waiting
        bodies = notices(notice_temp, 100 + 10 * round_, 10)
        answers = post_each_on_a_new_connection(server, "/v1/messages", bodies, auth)
        assert [answer.status_code for answer in answers] == [200] * 10
        server.wait_for_messages({answer.json()["msg_id"] for answer in answers}, timeout=30.0)
    # The API process answered the sends; it runs no loops of its own.
    api_metrics = f"http://127.0.0.1:{metrics + 1}"
    assert requests_counted(api_metrics, "/v1/messages") == 30
    api_ready = wait_until_ready(f"{api_metrics}/readyz").json()
    assert "delivery" not in api_ready["checks"]["loops"]["age_seconds"]

    assert stop_and_wait(server, started) == 0
    log = server.log_path.read_text(errors="replace")
    assert "ended with status" not in log
    assert "Application shutdown complete" in log
