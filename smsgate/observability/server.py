"""The metrics port: a second HTTP server in the process, beside the API or the worker.

It runs in the process's own event loop and leaves signal handling to the process (the API's
uvicorn, or the worker's handlers), so SIGTERM stops everything in one order.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import uvicorn

from smsgate.context import Context
from smsgate.observability.endpoints import create_metrics_app

SERVE_DEFAULT_PORT = 9464
WORKER_DEFAULT_PORT = 9465


class _SideServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the process's main server or the worker handles signals


class MetricsPortTaken(RuntimeError):
    """The metrics address could not be bound."""


def metrics_port(ctx: Context, default: int) -> int:
    """SMSGATE_METRICS_PORT, else the command's default; 0 means no metrics port."""
    port = ctx.settings.metrics_port
    return default if port is None else port


@contextlib.asynccontextmanager
async def metrics_server(ctx: Context, port: int) -> AsyncIterator[None]:
    """Serve /metrics, /healthz and /readyz on SMSGATE_METRICS_HOST:port while the block runs."""
    if port == 0:
        yield
        return
    config = uvicorn.Config(
        create_metrics_app(ctx),
        host=ctx.settings.metrics_host,
        port=port,
        lifespan="off",
        access_log=False,
        log_config=None,  # the process's logging is set up already; leave it as it is
    )
    server = _SideServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():  # the bind failed: uvicorn logged why and exited
            with contextlib.suppress(BaseException):
                task.result()
            raise MetricsPortTaken(f"cannot serve metrics on {ctx.settings.metrics_host}:{port}")
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task
