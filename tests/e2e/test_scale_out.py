"""Scale-out on PostgreSQL: two API processes and a separate worker share one database.

Shows what DESIGN promises for many stateless processes: a frequency limit holds exactly when the
burst is spread over two servers (counted in PostgreSQL, or in Redis when SMSGATE_TEST_REDIS_URL
is set), two competing workers deliver every message exactly once, and a code sent through one
server verifies through the other (they share SMSGATE_SECRET_KEY).
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.databases import POSTGRES_URL_ENV, REDIS_URL_ENV
from tests.support.ports import free_port

from .server import (
    SmsgateServer,
    clean_environment,
    fresh_database,
    running_server,
    wait_until_ready,
)

BURST = 50
CODE_LIMIT = 7
SPREAD = 120

pytestmark = pytest.mark.skipif(
    not os.environ.get(POSTGRES_URL_ENV),
    reason=f"scale-out runs need PostgreSQL ({POSTGRES_URL_ENV})",
)


@dataclass
class Cluster:
    """Two API processes (only the first delivers) and a standalone `smsgate worker`."""

    first: SmsgateServer
    second: SmsgateServer
    worker: subprocess.Popen[bytes]
    worker_metrics_url: str  # the worker's metrics port: /metrics, /healthz, /readyz

    @property
    def servers(self) -> tuple[SmsgateServer, SmsgateServer]:
        return (self.first, self.second)


@pytest.fixture(scope="module", params=["postgres-sql", "postgres-redis"])
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    shared = {
        "SMSGATE_SECRET_KEY": "scale-out-shared-key",
        "SMSGATE_CODE_LIMITS": f"{CODE_LIMIT}/3600",
        "SMSGATE_NOTIFICATION_LIMITS": "",
        "SMSGATE_SANDBOX_REPORT_DELAY": "0",
    }
    if request.param == "postgres-redis":
        if not os.environ.get(REDIS_URL_ENV):
            pytest.skip(f"Redis limiter runs need {REDIS_URL_ENV}")
        shared["SMSGATE_REDIS_URL"] = os.environ[REDIS_URL_ENV]
        shared["SMSGATE_REDIS_PREFIX"] = f"smsgate-e2e-{os.getpid()}-{id(request)}:"
    with fresh_database("postgres") as url:
        assert url is not None
        shared["SMSGATE_DATABASE_URL"] = url
        with (
            # "sqlite" only tells running_server not to make a database: both use `url`.
            running_server(tmp_path_factory.mktemp("first"), "sqlite", shared) as first,
            running_server(
                tmp_path_factory.mktemp("second"),
                "sqlite",
                {**shared, "SMSGATE_EMBEDDED_WORKER": "false"},
            ) as second,
        ):
            port = free_port()
            worker = _start_worker(first.env, tmp_path_factory.mktemp("worker"), port)
            try:
                yield Cluster(first, second, worker, f"http://127.0.0.1:{port}")
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()


def _start_worker(
    env: dict[str, str], directory: Path, metrics_port: int
) -> subprocess.Popen[bytes]:
    worker_env = {**clean_environment(), **{k: v for k, v in env.items() if "SMSGATE" in k}}
    worker_env["SMSGATE_METRICS_PORT"] = str(metrics_port)  # not the first server's
    with (directory / "worker.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "smsgate", "worker"],
            cwd=directory,
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture(scope="module")
def app(cluster: Cluster) -> tuple[tuple[str, str], int, int]:
    """(auth, code temp_id, notification temp_id) of an app created once for the module."""
    app_key, secret = cluster.first.create_app("scale", "--sign", "扩展测试")
    code_temp = cluster.first.create_template(app_key, 1, "验证码{{code}}", "--ttl", "300")
    notice_temp = cluster.first.create_template(app_key, 2, "订单{{order}}已发货")
    return (app_key, secret), code_temp, notice_temp


def _post(
    base_url: str, path: str, body: dict[str, object], auth: tuple[str, str]
) -> httpx.Response:
    return httpx.post(base_url + path, json=body, auth=auth, timeout=30.0)


def test_a_limit_holds_exactly_across_two_servers(
    cluster: Cluster, app: tuple[tuple[str, str], int, int]
) -> None:
    auth, code_temp, _ = app
    body = {"mobile": "13900139000", "temp_id": code_temp}
    targets = [cluster.servers[i % 2].base_url for i in range(BURST)]
    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(lambda url: _post(url, "/v1/codes", body, auth), targets))
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {200: CODE_LIMIT, 403: BURST - CODE_LIMIT}
    refused = {answer.json()["error"]["code"] for answer in answers if answer.status_code == 403}
    assert refused == {50009}


def test_competing_workers_deliver_everything_exactly_once(
    cluster: Cluster, app: tuple[tuple[str, str], int, int]
) -> None:
    auth, _, notice_temp = app
    bodies = [
        {"mobile": f"1390014{i:04d}", "temp_id": notice_temp, "temp_para": {"order": f"S{i}"}}
        for i in range(SPREAD)
    ]
    with ThreadPoolExecutor(16) as pool:
        answers = list(
            pool.map(
                lambda pair: _post(
                    cluster.servers[pair[0] % 2].base_url, "/v1/messages", pair[1], auth
                ),
                enumerate(bodies),
            )
        )
    assert [answer.status_code for answer in answers] == [200] * SPREAD
    accepted = {answer.json()["msg_id"] for answer in answers}
    delivered = cluster.first.wait_for_messages(accepted, timeout=60.0)
    assert {entry["text"] for entry in delivered.values()} == {
        f"【扩展测试】订单S{i}已发货" for i in range(SPREAD)
    }
    every_entry = [e for e in cluster.first.inbox() if e["msg_id"] in accepted]
    assert len(every_entry) == SPREAD  # nobody's message reached the handset twice


def test_a_code_sent_through_one_server_verifies_through_the_other(
    cluster: Cluster, app: tuple[tuple[str, str], int, int]
) -> None:
    auth, code_temp, _ = app
    body = {"mobile": "13900139999", "temp_id": code_temp}
    msg_id = _post(cluster.first.base_url, "/v1/codes", body, auth).json()["msg_id"]
    [entry] = cluster.first.wait_for_messages({msg_id}).values()
    code = re.search(r"\d{6}", entry["text"])
    assert code is not None
    path = f"/v1/codes/{msg_id}/valid"
    first = _post(cluster.second.base_url, path, {"code": code.group()}, auth)
    assert first.json() == {"is_valid": True}
    again = _post(cluster.first.base_url, path, {"code": code.group()}, auth)
    assert again.json()["error"]["code"] == 50012


def test_the_worker_shows_health_and_metrics_and_stops_on_sigterm(cluster: Cluster) -> None:
    """Last in the module: it stops the worker."""
    ready = wait_until_ready(f"{cluster.worker_metrics_url}/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert checks["providers"] == {"ok": True, "delivering": True, "names": ["sandbox"]}
    assert set(checks["loops"]["age_seconds"]) == {
        "delivery",
        "callbacks",
        "scheduler",
        "voice_fallbacks",
        "gauges",
    }
    scraped = httpx.get(f"{cluster.worker_metrics_url}/metrics", timeout=10)
    assert "smsgate_outbox_depth " in scraped.text
    assert "smsgate_api_requests_total{" not in scraped.text  # a worker answers no API
    cluster.worker.send_signal(signal.SIGTERM)
    assert cluster.worker.wait(timeout=60) == 0
