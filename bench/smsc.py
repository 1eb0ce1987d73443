"""The SMSC of the end-to-end benchmark: smpp34's server, answering every submit_sm at once and
sending a delivery receipt (DELIVRD) for each one that asks for it, counting what it saw.

Run as its own process (`python bench/smsc.py --port N`). It prints {"event": "ready"} once it
listens; then each line "report" on stdin is answered with one JSON line: submits so far, the
monotonic time of the first and the last, receipts sent and bound sessions. "reset" zeroes them.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import smpp34

from smsgate.delivery.providers.smpp.nodelay import set_nodelay

# Submits queued for this process to answer; beyond it smpp34 refuses them (ESME_RSYSERR).
INBOUND_CAPACITY = 100_000


class Smsc:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sessions: dict[str, smpp34.Esme] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.reset()

    def reset(self) -> None:
        self.submits = self.receipts = self.receipt_failures = self.asked_receipts = 0
        self.first = self.last = 0.0
        self.next_id = 0x10000

    async def serve(self) -> None:
        server = smpp34.Server(
            "127.0.0.1", self.args.port, system_id="smsc", inbound_capacity=INBOUND_CAPACITY
        )
        await server.start()
        commands = asyncio.get_running_loop().create_task(self.read_commands())
        self.tasks.add(commands)  # a task nobody refers to may be collected
        print(json.dumps({"event": "ready"}), flush=True)
        while True:
            event = await server.next()
            if isinstance(event, smpp34.Esme):
                self.sessions[event.session_id] = event
                if self.args.nodelay:
                    set_nodelay(local_port=self.args.port)
            elif isinstance(event, smpp34.Unbound):
                self.sessions.pop(event.session_id, None)
            elif isinstance(event, smpp34.SubmitSmEvent):
                self.on_submit(event)

    def on_submit(self, event: smpp34.SubmitSmEvent) -> None:
        now = time.monotonic()
        self.first = self.first or now
        self.last = now
        self.submits += 1
        message_id = format(self.next_id, "X")
        self.next_id += 1
        event.accept(message_id=message_id)
        session = self.sessions.get(event.session_id)
        if event.registered_delivery & 1 and session is not None:
            self.asked_receipts += 1
            task = asyncio.get_running_loop().create_task(
                self.receipt(session, event.destination_addr, event.source_addr, message_id)
            )
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def receipt(self, session: smpp34.Esme, mobile: str, short_code: str, mid: str) -> None:
        body = (
            f"id:{mid} sub:001 dlvrd:001 submit date:2612071200 done date:2612071200 "
            "stat:DELIVRD err:000 text:bench"
        ).encode()
        tlvs = [
            smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, mid.encode() + b"\x00"),
            smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, bytes([2])),
        ]
        try:
            await session.deliver_sm(short_code, body, source_addr=mobile, esm_class=4, tlvs=tlvs)
            self.receipts += 1
        except smpp34.SmppError:
            self.receipt_failures += 1

    def report(self) -> dict[str, Any]:
        return {
            "submits": self.submits,
            "first": self.first,
            "last": self.last,
            "asked_receipts": self.asked_receipts,
            "receipts": self.receipts,
            "receipt_failures": self.receipt_failures,
            "sessions": len(self.sessions),
            "now": time.monotonic(),
        }

    async def read_commands(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            command = line.decode().strip()
            if command == "reset":
                self.reset()
            if command in ("report", "reset"):
                print(json.dumps(self.report()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-nodelay", dest="nodelay", action="store_false")
    asyncio.run(Smsc(parser.parse_args()).serve())


if __name__ == "__main__":
    main()
