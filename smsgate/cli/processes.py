"""How `smsgate serve` and `smsgate worker` run: one process, or API processes beside one
delivery process under a small supervisor.

One process (the default) answers the API and runs delivery and the other loops on one event
loop. With SMSGATE_WORKERS=N (`serve --workers N`) or SMSGATE_SEPARATE_DELIVERY, serve becomes a
supervisor of N API processes and one delivery process:

- each API process listens on the port with SO_REUSEPORT, so the kernel spreads connections
  over them, and runs with the embedded worker off;
- the delivery process runs the loops of `smsgate worker`, once, on SQLite as on PostgreSQL:
  one set of SMPP binds (a carrier counts binds per account), one lease owner on SQLite;
- API processes wake it after each send with a datagram (smsgate/process_wakeup.py);
- SIGTERM or SIGINT to the supervisor is passed to every process, each stops gracefully as
  it would alone; when one process ends by itself the others are stopped and serve exits 1,
  for the service manager to restart the whole.

Metrics ports: the delivery process takes serve's (SMSGATE_METRICS_PORT, default 9464), which
shows the loops in /readyz; API process k takes that port + k.
"""

import asyncio
import contextlib
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import uvicorn

from smsgate.app import create_app
from smsgate.background import run_background, stop_background
from smsgate.cli.running import run_job
from smsgate.connection_watch import WatchedHttpToolsProtocol
from smsgate.context import Context
from smsgate.logs import configure_logging
from smsgate.observability.server import (
    SERVE_DEFAULT_PORT,
    WORKER_DEFAULT_PORT,
    metrics_port,
    metrics_server,
)
from smsgate.process_wakeup import OUTBOX, SCHEDULES, WakeupListener
from smsgate.settings import Settings

START_TIMEOUT_SECONDS = 60.0
# Past the stop timeout a process still running is killed; the processes' own graceful stop
# (requests in flight, then the loops) takes at most about twice SMSGATE_STOP_TIMEOUT_SECONDS.
KILL_MARGIN_SECONDS = 10.0
LISTEN_BACKLOG = 2048
server_log = logging.getLogger("uvicorn.error")  # where uvicorn says that it listens


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The server's options, the same for one process and for each of several."""
    return {
        "log_level": settings.log_level,
        "log_config": None,  # uvicorn's lines go through smsgate's logging (logs.py), redacted
        "access_log": False,  # smsgate writes its own (smsgate/telemetry/access_log.py)
        # smsgate alone decides which proxy headers name the client (SMSGATE_TRUSTED_PROXIES):
        # uvicorn would otherwise rewrite the client address from X-Forwarded-For by itself.
        "proxy_headers": False,
        "forwarded_allow_ips": "",
        # SIGTERM: answer the requests in flight (for at most this long), then stop the loops.
        "timeout_graceful_shutdown": math.ceil(settings.stop_timeout_seconds),
        # Pulls hand records out once: this protocol tells them whether the client took it.
        "http": WatchedHttpToolsProtocol,
    }


def serve_one_process(settings: Settings) -> None:
    """The API with the delivery worker embedded, in this process."""
    uvicorn.run(
        create_app(settings, serve_metrics=True),
        host=settings.host,
        port=settings.port,
        **uvicorn_options(settings),
    )


async def run_worker(ctx: Context, on_started: Callable[[], None] | None = None) -> bool:
    """The background loops and the metrics port until SIGTERM or SIGINT, then a graceful stop
    (the same as serve's). False when a loop failed."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, ctx.request_stop)
    wakeups = None
    if ctx.settings.wake_socket is not None:  # the delivery process of `smsgate serve`
        events = {OUTBOX: ctx.outbox_wakeup, SCHEDULES: ctx.schedule_wakeup}
        wakeups = WakeupListener(ctx.settings.wake_socket, events)
        wakeups.start()
    try:
        async with metrics_server(ctx, metrics_port(ctx, WORKER_DEFAULT_PORT)):
            background = asyncio.create_task(run_background(ctx))
            if on_started is not None:
                on_started()
            stopping = asyncio.create_task(ctx.process.stopping.wait())
            await asyncio.wait([background, stopping], return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            await stop_background(ctx, background)
    finally:
        if wakeups is not None:
            wakeups.stop()
    return background.cancelled() or background.exception() is None


def serve_processes(settings: Settings) -> int:
    """Run `settings.workers` API processes and one delivery process until a signal stops
    them (exit status 0) or one of them ends by itself (1)."""
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter each: no forked loops
    ready_reader, ready_writer = spawn.Pipe(duplex=False)
    wake_dir = Path(tempfile.mkdtemp(prefix="smsgate-"))
    supervisor = _Supervisor(settings.stop_timeout_seconds)
    supervisor.install_signal_handlers()
    try:
        # SMSGATE_EMBEDDED_WORKER=false: API processes only, delivery runs in `smsgate worker`.
        delivering = settings.embedded_worker
        wake_socket = wake_dir / "delivery.sock" if delivering else None
        for process in _processes(spawn, settings, wake_socket, ready_writer):
            supervisor.start(process)
        if supervisor.await_ready(ready_reader, len(supervisor.processes)):
            delivery = f"delivery in process {supervisor.processes[0].pid}"
            server_log.info(
                "Uvicorn running on http://%s:%d (%d API processes, %s)",
                settings.host,
                settings.port,
                settings.workers,
                delivery if delivering else "delivery left to smsgate worker",
            )
        return supervisor.supervise()
    finally:
        supervisor.stop_all()
        shutil.rmtree(wake_dir, ignore_errors=True)


def _processes(
    spawn: Any, settings: Settings, wake_socket: Path | None, ready: Connection
) -> list[BaseProcess]:
    """The delivery process (first, when there is one) and the API processes, to be started
    all at once: the delivery process binds its wake-up socket before its first pass, so a
    send committed before the bind is found by that pass and one after it wakes it."""
    base_metrics = SERVE_DEFAULT_PORT if settings.metrics_port is None else settings.metrics_port
    processes: list[BaseProcess] = []
    if wake_socket is not None:
        delivery = settings.model_copy(
            update={"wake_socket": wake_socket, "metrics_port": base_metrics}
        )
        processes.append(
            spawn.Process(target=_delivery_process, args=(delivery, ready), name="smsgate-delivery")
        )
    for index in range(1, settings.workers + 1):
        api = settings.model_copy(
            update={
                "wake_socket": wake_socket,
                "embedded_worker": False,
                "metrics_port": base_metrics + index if base_metrics else 0,
            }
        )
        processes.append(
            spawn.Process(target=_api_process, args=(api, ready), name=f"smsgate-api-{index}")
        )
    return processes


class _Supervisor:
    """The processes of one `smsgate serve`, stopped together."""

    def __init__(self, stop_timeout: float) -> None:
        self.stop_timeout = stop_timeout
        self.processes: list[BaseProcess] = []
        self.stopping = False
        self.failed = False

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.request_stop())

    def start(self, process: BaseProcess) -> None:
        process.start()
        self.processes.append(process)

    def request_stop(self) -> None:
        """Each process stops as it would alone on SIGTERM (requests in flight answered, loops
        finish their passes, binds unbind)."""
        self.stopping = True
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)

    def await_ready(self, reader: Connection, count: int) -> bool:
        """Until `count` processes said they serve; False when stopped or one died first."""
        waiting = count
        while waiting and not self.stopping:
            sentinels = [p.sentinel for p in self.processes]
            ready = multiprocessing.connection.wait([reader, *sentinels], START_TIMEOUT_SECONDS)
            if not ready:
                server_log.error("a process of smsgate serve did not start in time")
                self._fail()
            elif reader in ready:
                reader.recv()
                waiting -= 1
            else:
                self._note_ended()
        return not self.stopping

    def supervise(self) -> int:
        """Wait until every process has ended; the first to end unasked stops the rest."""
        while any(process.is_alive() for process in self.processes):
            multiprocessing.connection.wait([p.sentinel for p in self.processes])
            self._note_ended()
        graceful = all(p.exitcode in (0, -signal.SIGTERM) for p in self.processes)
        return 1 if self.failed or not graceful else 0

    def stop_all(self) -> None:
        """Signal what still runs and wait; kill what outlives the graceful stop."""
        self.request_stop()
        for process in self.processes:
            process.join(2 * self.stop_timeout + KILL_MARGIN_SECONDS)
            if process.is_alive():
                server_log.error("killing %s: it did not stop in time", process.name)
                process.kill()
                process.join()

    def _note_ended(self) -> None:
        for process in self.processes:
            if not process.is_alive() and not self.stopping:
                server_log.error(
                    "%s ended with status %s: stopping smsgate serve",
                    process.name,
                    process.exitcode,
                )
                self._fail()

    def _fail(self) -> None:
        self.failed = True
        self.request_stop()


class _ReportingServer(uvicorn.Server):
    """uvicorn's server that tells the supervisor once it serves (its lifespan has run)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started()


def _api_process(settings: Settings, ready: Connection) -> None:
    configure_logging(settings.log_level, settings.log_format)
    try:
        listener = _listening_socket(settings.host, settings.port)
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        server_log.error("cannot listen on %s:%d: %s", settings.host, settings.port, reason)
        sys.exit(3)
    config = uvicorn.Config(create_app(settings, serve_metrics=True), **uvicorn_options(settings))
    _ReportingServer(config, lambda: ready.send("api")).run(sockets=[listener])


def _listening_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port that the other API processes share (SO_REUSEPORT):
    the kernel hands each new connection to one of them."""
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(address)
    listener.listen(LISTEN_BACKLOG)
    listener.set_inheritable(False)
    return listener


def _delivery_process(settings: Settings, ready: Connection) -> None:
    configure_logging(settings.log_level, settings.log_format)

    async def work(ctx: Context) -> None:
        if not await run_worker(ctx, lambda: ready.send("delivery")):
            raise SystemExit(1)

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C before the loop's handlers are in
        run_job(work, settings)
