"""A real Kannel (Debian's bearerbox and smsbox) for end-to-end tests, bound over SMPP to the
SMSC simulator: its sendsms interface takes smsgate's messages, and it calls smsgate back with
delivery reports (dlr-url) and replies (an sms-service get-url).

bearerbox may ignore SIGTERM, so both boxes are stopped with SIGKILL by their PID.
"""

import contextlib
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port

START_TIMEOUT_SECONDS = 30.0
SENDSMS_USER, SENDSMS_PASSWORD = "smsgate", "kannel-secret"


def kannel_missing() -> str | None:
    """Why Kannel cannot run here, or None."""
    for box in ("bearerbox", "smsbox"):
        if shutil.which(box) is None and not Path(f"/usr/sbin/{box}").exists():
            return f"Kannel's {box} is not installed (apt-get install -y kannel)"
    return None


def _box(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


@dataclass
class Kannel:
    directory: Path
    smsc_port: int
    inbound_url: str  # the sms-service get-url (smsgate's /providers/{name}/inbound?...)
    admin_port: int = field(default_factory=free_port)
    box_port: int = field(default_factory=free_port)
    sendsms_port: int = field(default_factory=free_port)
    processes: list["subprocess.Popen[bytes]"] = field(default_factory=list)

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def write_config(self) -> Path:
        log = self.directory
        config = f"""
group = core
admin-port = {self.admin_port}
admin-interface = 127.0.0.1
admin-password = admin-secret
smsbox-port = {self.box_port}
box-allow-ip = 127.0.0.1
log-file = "{log}/bearerbox.log"
log-level = 0
access-log = "{log}/access.log"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = simulator
host = 127.0.0.1
port = {self.smsc_port}
transceiver-mode = true
smsc-username = kannel
smsc-password = secret
system-type = ""
source-addr-ton = 0
source-addr-npi = 1
dest-addr-ton = 1
dest-addr-npi = 1
enquire-link-interval = 30
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.box_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
log-file = "{log}/smsbox.log"
log-level = 0
access-log = "{log}/smsbox-access.log"

group = sendsms-user
username = {SENDSMS_USER}
password = {SENDSMS_PASSWORD}
max-messages = 10
concatenation = true

group = sms-service
keyword = default
get-url = "{self.inbound_url}&from=%p&to=%P&text=%a&charset=%C"
max-messages = 0
"""
        path = self.directory / "kannel.conf"
        path.write_text(config)
        return path

    def start(self) -> None:
        config = self.write_config()
        for box in ("bearerbox", "smsbox"):
            with (self.directory / f"{box}.out").open("ab") as out:
                self.processes.append(
                    subprocess.Popen(
                        [_box(box), str(config)],
                        cwd=self.directory,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            if box == "bearerbox":
                self._wait_for_port(self.box_port, "bearerbox")
        self._wait_for_port(self.sendsms_port, "smsbox")

    def _wait_for_port(self, port: int, box: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                raise RuntimeError(f"{box} exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{box} not listening in {START_TIMEOUT_SECONDS} s:\n{self.log_tail()}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        self.processes.clear()

    def log_tail(self, lines: int = 30) -> str:
        tails = []
        for name in ("bearerbox.log", "smsbox.log", "bearerbox.out", "smsbox.out"):
            path = self.directory / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                tails.append(f"--- {name}\n" + "\n".join(text))
        return "\n".join(tails)
