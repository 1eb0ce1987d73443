"""The SMSC simulator process for tests and the benchmark: start, watch, kill, restart.

Its events (JSON lines) are collected across restarts, so a test can count what the SMSC saw
over a whole run, crashes included.
"""

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.ports import free_port

SIMULATOR = Path(__file__).with_name("smpp_simulator.py")
WAIT_SECONDS = 30.0

Event = dict[str, Any]


class SmscSimulator:
    def __init__(self, *options: str) -> None:
        self.port = free_port()
        self.options = options
        self.events: list[Event] = []
        self.process: subprocess.Popen[str] | None = None
        self.starts = 0
        self._changed = threading.Condition()

    def start(self) -> None:
        first_id = 0xA000 + 0x100000 * self.starts  # ids stay unique across restarts
        self.starts += 1
        command = [sys.executable, str(SIMULATOR), "--port", str(self.port)]
        command += ["--first-id", str(first_id), *self.options]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        threading.Thread(target=self._collect, args=(self.process,), daemon=True).start()
        start = self.starts
        self.wait_for(
            lambda: any(e["event"] == "ready" and e["start"] == start for e in self.events)
        )

    def _collect(self, process: "subprocess.Popen[str]") -> None:
        assert process.stdout is not None
        start = self.starts
        for line in process.stdout:
            with self._changed:
                self.events.append({**json.loads(line), "start": start})
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                if self.process is not None and self.process.poll() not in (None, -9):
                    raise RuntimeError(f"simulator exited with {self.process.returncode}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"simulator: condition not met; last {self.events[-3:]}")
                self._changed.wait(min(left, 0.5))

    async def until(self, condition: Callable[[], bool]) -> None:
        """wait_for from async code (the simulator's output arrives on a thread)."""
        await asyncio.to_thread(self.wait_for, condition)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def send_mo(self, sender: str, to: str, parts: list[bytes], data_coding: int) -> None:
        assert self.process is not None and self.process.stdin is not None
        command = {"sender": sender, "to": to, "parts": [p.hex() for p in parts]}
        self.process.stdin.write(json.dumps({"mo": {**command, "data_coding": data_coding}}) + "\n")
        self.process.stdin.flush()

    def of_kind(self, kind: str) -> list[Event]:
        with self._changed:
            return [e for e in self.events if e["event"] == kind]

    def accepted(self) -> list[Event]:
        return [e for e in self.of_kind("submit") if e["status"] == 0]
