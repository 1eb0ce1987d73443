"""Jasmin's console (jCli, telnet) driven line by line: the connectors, the user and the MT route
of the benchmark, as an operator would type them.

Each command is one line; an add command opens a prompt ("> ") that takes `key value` lines and
`ok` to save. Every answer is checked for the words Jasmin prints on success, so a refused setting
stops the run instead of measuring a half-configured Jasmin.
"""

import socket
import time

from errors import BenchError

PROMPTS = (b"jcli : ", b"> ")
ANSWER_TIMEOUT = 15.0


class Jcli:
    """One console session; Jasmin greets with telnet negotiation and a banner, then prompts."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT)
        time.sleep(0.5)  # the banner comes without a prompt; the first answer brings one
        self.sock.recv(65536)

    def close(self) -> None:
        self.sock.close()

    def say(self, line: str) -> str:
        """Send one line, return Jasmin's answer up to its next prompt."""
        self.sock.sendall(line.encode() + b"\r\n")
        buffer = b""
        while not buffer.replace(b"\r", b"").endswith(PROMPTS):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise BenchError(f"jCli closed the session after {line!r}")
            buffer += chunk
        return buffer.replace(b"\r", b"").decode(errors="replace")

    def add(self, command: str, settings: dict[str, str], success: str) -> None:
        """`command` (e.g. `user -a`), then each setting, then `ok`; fail unless saved."""
        self.say(command)
        for key, value in settings.items():
            answer = self.say(f"{key} {value}")
            if "Unknown" in answer or "must" in answer or "Error" in answer:
                self.say("ko")
                raise BenchError(f"jCli refused {key} {value!r} for {command}: {answer}")
        answer = self.say("ok")
        if success not in answer:
            self.say("ko")
            raise BenchError(f"jCli did not save {command}: {answer}")


def configure_jasmin(
    port: int, smsc_port: int, connectors: int, user: str, password: str
) -> list[str]:
    """One SMPP client connector per bind of smsgate (each its own TRX bind), started; a user;
    an MT route over all connectors. Returns the connector ids."""
    cids = [f"smsc{n}" for n in range(connectors)]
    jcli = Jcli(port)
    try:
        for cid in cids:
            connector = {
                "cid": cid,
                "host": "127.0.0.1",
                "port": str(smsc_port),
                "username": "jasmin",
                "password": "secret",
                "bind": "transceiver",
                "submit_throughput": "0",  # Jasmin's default is 1 msg/s per connector
            }
            jcli.add("smppccm -a", connector, "Successfully added")
            answer = jcli.say(f"smppccm -1 {cid}")
            if "Successfully started" not in answer:
                raise BenchError(f"jCli did not start connector {cid}: {answer}")
        jcli.add("group -a", {"gid": "bench"}, "Successfully added")
        account = {"uid": user, "gid": "bench", "username": user, "password": password}
        jcli.add("user -a", account, "Successfully added")
        if len(cids) > 1:  # a non-default route needs a filter; this one matches every message
            jcli.add("filter -a", {"type": "TransparentFilter", "fid": "all"}, "Successfully added")
        jcli.add("mtrouter -a", mt_route(cids), "Successfully added")
    finally:
        jcli.close()
    return cids


def mt_route(cids: list[str]) -> dict[str, str]:
    """Jasmin's default route takes one connector; spreading over several needs a filtered
    round-robin route (it picks a connector at random for each message)."""
    if len(cids) == 1:
        return {"type": "DefaultRoute", "connector": f"smppc({cids[0]})"}
    return {
        "type": "RandomRoundrobinMTRoute",
        "order": "10",
        "connectors": ";".join(f"smppc({cid})" for cid in cids),
        "filters": "all",
        "rate": "0.00",
    }
