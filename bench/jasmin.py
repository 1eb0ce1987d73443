"""Jasmin 0.11.0 on the SMSC of bench/e2e.py, measured the way smsgate is (bench/e2e.py
--with-jasmin).

Everything is throwaway and started here, each process in its own session and stopped by its
PID (process group) on the way out, error or Ctrl-C included:

  venv      var/bench/jasmin-0.11.0: Jasmin from PyPI (kept between runs, so only the first
            run installs)
  epmd      Erlang's port mapper on a free port, in the foreground, so RabbitMQ starts none of
            its own in the background
  rabbitmq  Debian's rabbitmq-server in the foreground: free ports, data and logs in a
            temporary directory
  redis     a redis-server of its own on a free port, nothing saved
  jasmind   a generated jasmin.cfg (every listener on 127.0.0.1, free ports), DLR lookup and
            thrower in the same process; configured over jCli (bench/jcli.py) with one SMPP
            connector per smsgate bind, a user and an MT route over all connectors
  receipts  an HTTP listener in this process taking Jasmin's receipt callbacks (dlr-url)

After one probe message, wrk posts JSON to Jasmin's HTTP API (/send, a new `to` per request,
dlr=yes dlr-level=2 when smsgate asks for receipts, as bench/e2e.py's provider always does) for
the same duration and connections; the rate is what the SMSC received over the time from the
first to the last message, as for smsgate.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from shutil import which
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qs

from errors import BenchError
from jcli import configure_jasmin
from servers import Server, free_port, log_tail, stop, wait_until_listening
from wrk import Target, WrkSettings, basic_auth, run_wrk

JASMIN_VERSION = "0.11.0"
VENV = Path(__file__).resolve().parents[1] / "var" / "bench" / f"jasmin-{JASMIN_VERSION}"
RABBITMQ_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")  # Debian's, without its su
USER, PASSWORD = "bench", "benchpw"  # Jasmin's passwords are at most 8 characters
FIRST_MOBILE = 13600000000
STALL_SECONDS = 60.0
QUIET_SECONDS = 3.0
BIND_TIMEOUT = 60.0
START_TIMEOUT = 180.0  # RabbitMQ took over 30 s on the shared 2-core machine


class Smsc(Protocol):
    """bench/e2e.py's SmscProcess: its port and its counters."""

    port: int

    def ask(self, command: str) -> dict[str, Any]: ...


@dataclass
class Ports:
    epmd: int
    amqp: int
    erlang_dist: int
    redis: int
    jcli: int
    http: int


def jasmin_python() -> Path:
    """The virtualenv's python, installing Jasmin from PyPI on first use."""
    python = VENV / "bin" / "python"
    if (VENV / ".installed").exists():
        return python
    print(f"   installing Jasmin {JASMIN_VERSION} from PyPI into {VENV}", flush=True)
    shutil.rmtree(VENV, ignore_errors=True)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        [sys.executable, "-m", "venv", str(VENV)],
        [str(python), "-m", "pip", "install", "-q", f"jasmin=={JASMIN_VERSION}"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchError(f"{' '.join(step)} failed:\n{done.stderr[-3000:]}")
    (VENV / ".installed").touch()
    return python


@contextmanager
def background(
    name: str, command: list[str], workdir: Path, env: dict[str, str], port: int
) -> Iterator[Server]:
    """A process in its own session, logging to workdir/name.log, waited for until `port`
    listens, always stopped by its process group."""
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, process, port, log_path)
    try:
        wait_until_listening(server, START_TIMEOUT)
        yield server
    except BenchError as error:
        error.add_note(f"--- last lines of the {name} log:\n{log_tail(log_path)}")
        raise
    finally:
        stop(process)


def rabbitmq_env(workdir: Path, ports: Ports) -> dict[str, str]:
    """RabbitMQ entirely in workdir: no /etc/rabbitmq, no plugins, its own node name and ports."""
    base = workdir / "rabbitmq"
    base.mkdir()
    return dict(os.environ) | {
        "HOME": str(base),  # the Erlang cookie
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "ERL_EPMD_PORT": str(ports.epmd),
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_ENABLED_PLUGINS": "",
        "RABBITMQ_PLUGINS_EXPAND_DIR": str(base / "plugins"),
        "RABBITMQ_GENERATED_CONFIG_DIR": str(base / "generated"),
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_LOGS": "-",
        "RABBITMQ_NODENAME": f"jasminbench{ports.amqp}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(ports.amqp),
        "RABBITMQ_DIST_PORT": str(ports.erlang_dist),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
    }


def jasmin_config(root: Path, ports: Ports, python: Path) -> Path:
    """jasmin.cfg: only ports, 127.0.0.1 and no console passwords; otherwise Jasmin's
    defaults (billing off: the benchmark's user has no balance to keep)."""
    config_dir = root / "etc" / "jasmin"
    (config_dir / "resource").mkdir(parents=True)
    (config_dir / "store").mkdir()
    # The pip package ships no AMQP spec file where Jasmin looks for it; txAMQP carries it.
    lib = next((python.parent.parent / "lib").glob("python3*/site-packages"))
    spec = lib / "txamqp" / "specs" / "standard" / "amqp0-9-1.stripped.xml"
    shutil.copy(spec, config_dir / "resource" / "amqp0-9-1.xml")
    sections = {
        "smpp-server": {"bind": "127.0.0.1", "port": free_port()},
        "smpp-server-pb": {"bind": "127.0.0.1", "port": free_port()},
        "client-management": {"bind": "127.0.0.1", "port": free_port(), "authentication": False},
        "router": {"bind": "127.0.0.1", "port": free_port(), "authentication": False},
        "jcli": {"bind": "127.0.0.1", "port": ports.jcli, "authentication": False},
        "http-api": {"bind": "127.0.0.1", "port": ports.http, "billing_feature": False},
        "amqp-broker": {"host": "127.0.0.1", "port": ports.amqp},
        "redis-client": {"host": "127.0.0.1", "port": ports.redis},
    }
    config = config_dir / "jasmin.cfg"
    config.write_text(
        "".join(
            f"[{name}]\n" + "".join(f"{key} = {value}\n" for key, value in keys.items())
            for name, keys in sections.items()
        )
    )
    return config


@contextmanager
def running_jasmin(workdir: Path) -> Iterator[tuple[Ports, Server]]:
    """epmd, RabbitMQ, Redis and jasmind started in that order, stopped in the reverse."""
    missing = [tool for tool in (str(RABBITMQ_SERVER), "redis-server", "epmd") if not which(tool)]
    if missing:
        raise BenchError(
            f"missing {', '.join(missing)}: apt-get install -y rabbitmq-server redis-server"
        )
    python = jasmin_python()
    ports = Ports(*(free_port() for _ in range(6)))
    root = workdir / "jasmin"
    config = jasmin_config(root, ports, python)
    jasmin_env = dict(os.environ) | {"ROOT_PATH": str(root), "LOG_PATH": str(root / "log")}
    jasmind = [
        str(python),
        str(python.parent / "jasmind.py"),
        "-c",
        str(config),
        "--enable-dlr-lookup",  # receipts matched and thrown in jasmind itself,
        "--enable-dlr-thrower",  # not in separate dlrd/dlrlookupd processes
    ]
    redis = ["redis-server", "--port", str(ports.redis), "--bind", "127.0.0.1"]
    redis += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
    epmd = ["epmd", "-port", str(ports.epmd), "-address", "127.0.0.1"]
    with ExitStack() as stack:
        stack.enter_context(background("epmd", epmd, workdir, dict(os.environ), ports.epmd))
        env = rabbitmq_env(workdir, ports)
        rabbit = [str(RABBITMQ_SERVER)]
        stack.enter_context(background("rabbitmq", rabbit, workdir, env, ports.amqp))
        stack.enter_context(background("redis", redis, workdir, dict(os.environ), ports.redis))
        yield (
            ports,
            stack.enter_context(background("jasmind", jasmind, workdir, jasmin_env, ports.jcli)),
        )


class ReceiptCounter(BaseHTTPRequestHandler):
    """Jasmin's dlr-url: counts the receipts it posts (and for how many messages), answering
    each as Jasmin wants."""

    count: ClassVar[int] = 0
    message_ids: ClassVar[set[str]] = set()
    statuses: ClassVar[Counter[str]] = Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        fields = parse_qs(body.decode(errors="replace"))
        with ReceiptCounter.lock:
            ReceiptCounter.count += 1
            ReceiptCounter.message_ids.add(fields.get("id", [""])[0])
            ReceiptCounter.statuses[fields.get("message_status", [""])[0]] += 1
        answer = b"ACK/Jasmin"
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    @classmethod
    def reset(cls) -> None:
        with cls.lock:
            cls.count = 0
            cls.message_ids = set()
            cls.statuses = Counter()

    def log_message(self, format: str, *args: Any) -> None:  # no line per request
        pass


@contextmanager
def receipt_listener() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ReceiptCounter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def measure_jasmin(
    args: argparse.Namespace, wrk: str, smsc: Smsc, receipts: bool
) -> dict[str, Any]:
    """Jasmin with args.binds connectors against `smsc`, loaded by wrk for args.duration s,
    then drained; the SMSC's counters give the rate."""
    with (
        tempfile.TemporaryDirectory(prefix="jasmin-e2e-") as tmp,
        receipt_listener() as dlr_port,
        running_jasmin(Path(tmp)) as (ports, jasmind),
    ):
        configure_jasmin(ports.jcli, smsc.port, args.binds, USER, PASSWORD)
        wait_for_binds(smsc, args.binds)
        fields = {"username": USER, "password": PASSWORD, "from": "1069"}
        fields["content"] = "Your code is 123456"
        if receipts:
            fields |= {"dlr": "yes", "dlr-level": "2", "dlr-method": "POST"}
            fields["dlr-url"] = f"http://127.0.0.1:{dlr_port}/dlr"
        probe(ports.http, fields)
        wait_for_probe(smsc, receipts)
        smsc.ask("reset")
        ReceiptCounter.reset()
        http = Server("jasmind", jasmind.process, ports.http, jasmind.log_path)
        target = Target(http, "/send", basic_auth(USER, PASSWORD))
        script = ["jasmin", str(FIRST_MOBILE), json.dumps(fields)[1:-1]]
        settings = WrkSettings(1, args.connections, args.duration, 0)
        load_started = time.monotonic()
        result = run_wrk(wrk, settings, args.duration, target, script, "wrk")
        assert result is not None
        load_ended = time.monotonic()
        during = smsc.ask("report")["submits"]
        final = drained(smsc, result.ok)
        thrown = wait_for_thrown_receipts(final["receipts"] if receipts else 0)
        if final["submits"] < result.ok:
            print(f"   jasmind's last lines:\n{log_tail(jasmind.log_path)}")
    span = max(final["last"] - final["first"], 1e-9)
    return {
        "accepted": result.ok,
        "accepted_rps": result.ok_rps,
        "accept_p99_ms": result.latency_ms["p99"],
        "non_2xx": result.non_2xx,
        "reached": final["submits"],
        "rate": final["submits"] / span,
        "during_load_rate": during / (load_ended - load_started),
        "drain_s": max(final["last"] - load_ended, 0.0),
        "asked_receipts": final["asked_receipts"],
        "receipts_sent": final["receipts"],
        "receipt_failures": final["receipt_failures"],
        "receipts_thrown": thrown,
        "receipts_thrown_messages": len(ReceiptCounter.message_ids),
        "receipts_thrown_statuses": dict(ReceiptCounter.statuses),
        "jasmind_cores": (result.cpu_cores or {}).get("server"),
    }


def probe(port: int, fields: dict[str, str]) -> None:
    """One message through Jasmin before the load: a refusal shows its answer, not a table of
    non-2xx."""
    body = json.dumps(fields | {"to": str(FIRST_MOBILE - 1)}).encode()
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/send", body, headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        answer = f"{error.code} {error.read().decode(errors='replace')}"
    if not answer.startswith("Success"):
        raise BenchError(f"Jasmin refused a message: {answer}")


def wait_for_probe(smsc: Smsc, receipts: bool) -> None:
    """The probe at the SMSC (and its receipt back through Jasmin) before the counters reset."""
    deadline = time.monotonic() + BIND_TIMEOUT
    while smsc.ask("report")["submits"] < 1 or (receipts and ReceiptCounter.count < 1):
        if time.monotonic() > deadline:
            raise BenchError("Jasmin accepted a message but it did not come through")
        time.sleep(0.1)


def wait_for_binds(smsc: Smsc, binds: int) -> None:
    deadline = time.monotonic() + BIND_TIMEOUT
    while smsc.ask("report")["sessions"] < binds:
        if time.monotonic() > deadline:
            raise BenchError(f"Jasmin's connectors did not all bind within {BIND_TIMEOUT}s")
        time.sleep(0.2)


def drained(smsc: Smsc, accepted: int) -> dict[str, Any]:
    """The SMSC's counters once every accepted message reached it, every receipt was sent and
    nothing more came for QUIET_SECONDS (wrk does not count the requests still open when it
    stops, and Jasmin, still draining its queues, delivers those later), or once nothing came
    for STALL_SECONDS."""
    report = smsc.ask("report")
    while (
        report["submits"] < accepted
        or report["receipts"] < report["asked_receipts"]
        or report["now"] - report["last"] < QUIET_SECONDS
    ):
        if report["now"] - max(report["last"], report["first"]) > STALL_SECONDS:
            print(f"   stalled: {report['submits']} of {accepted} reached the SMSC")
            break
        time.sleep(0.2)
        report = smsc.ask("report")
    return report


def wait_for_thrown_receipts(expected: int) -> int:
    """Receipts Jasmin posted to the dlr-url, once all came or none came for 10 s."""
    last_change, seen = time.monotonic(), -1
    while ReceiptCounter.count < expected and time.monotonic() - last_change < 10:
        if ReceiptCounter.count != seen:
            last_change, seen = time.monotonic(), ReceiptCounter.count
        time.sleep(0.2)
    return ReceiptCounter.count


def print_jasmin(result: dict[str, Any] | None, base: float) -> None:
    """Jasmin's row under smsgate's, with who asked the SMSC for receipts."""
    if result is None:
        return
    print(
        f"Jasmin {JASMIN_VERSION}: accepted {result['accepted_rps']:.0f} req/s "
        f"(p99 {result['accept_p99_ms']:.1f} ms, {result['non_2xx']} non-2xx); "
        f"{result['reached']} of {result['accepted']} reached the SMSC at {result['rate']:.0f} "
        f"msg/s ({result['during_load_rate']:.0f} during the load), last one "
        f"{result['drain_s']:.1f} s after the load stopped"
    )
    print(
        f"Jasmin asked for {result['asked_receipts']} receipts (dlr=yes dlr-level=2: "
        f"registered_delivery=1), the SMSC sent {result['receipts_sent']} (and "
        f"{result['receipt_failures']} that failed), Jasmin posted "
        f"{result['receipts_thrown']} to its dlr-url (for {result['receipts_thrown_messages']} "
        f"messages: {result['receipts_thrown_statuses']})"
    )
    print(f"jasmind used {result['jasmind_cores']} cores during the load (one process)")
    print(f"Jasmin ratio to the bare client {result['rate'] / base:.2f}")
