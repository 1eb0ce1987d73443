"""structlog setup: console lines for people, JSON lines for collectors; every line, also the
standard library's (uvicorn, SQLAlchemy), redacted on the way out (telemetry/redaction.py)."""

import asyncio
import logging
import sys
import threading
from typing import Any, TextIO

import orjson
import structlog

from smsgate.telemetry.redaction import RedactingFormatter, format_exc_info_safely, redact_event


def _json_text(event: object, **_options: object) -> str:
    """orjson instead of json.dumps: a tenth of the cost, on every access-log line."""
    return orjson.dumps(event, default=repr, option=orjson.OPT_NON_STR_KEYS).decode()


class TurnFlushedLogger:
    """Writes each line at once and flushes once per turn of the running event loop (at once
    outside one). A flush per line, structlog's PrintLogger's, is a system call per line: with
    the access log, the accepted line and a send's story, several per send under load."""

    def __init__(self, file: TextIO | None = None) -> None:
        self._file = file  # None: whatever sys.stdout is when a line comes (tests replace it)
        self._lock = threading.Lock()  # a line may come from another thread
        # The loop a flush is scheduled on: a loop that stopped before running it leaves it
        # behind, and the next loop's lines schedule their own.
        self._flush_due_on: asyncio.AbstractEventLoop | None = None

    def msg(self, message: str) -> None:
        with self._lock:
            (self._file or sys.stdout).write(message + "\n")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._flush()
            return
        if self._flush_due_on is not loop:
            self._flush_due_on = loop
            loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due_on = None
        with self._lock:
            (self._file or sys.stdout).flush()

    debug = info = warning = warn = error = critical = exception = fatal = failure = err = msg


def _stdout_logger(*_args: Any) -> TurnFlushedLogger:
    return TurnFlushedLogger()


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """`fmt` auto: console lines when standard output is a terminal, JSON lines otherwise."""
    if fmt == "auto":
        fmt = "console" if sys.stdout.isatty() else "json"
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(serializer=_json_text)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is plenty
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            # Plain tracebacks without local variables (they can hold codes and secrets), and
            # without a database driver's own message (it can quote parameter values).
            structlog.processors.ExceptionRenderer(format_exc_info_safely),
            redact_event,
            structlog.processors.add_log_level,  # after the redaction: nothing to redact here
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stdout_logger,
        cache_logger_on_first_use=True,
    )
