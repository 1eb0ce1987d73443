"""An SMSC for tests: the smpp34 server, answering submits and sending receipts and replies.

Run as a process (`python smpp_simulator.py --port N`) so a test can kill it like a crashed
carrier. It prints one JSON line per event on stdout (ready, bound, submit, unbound) and reads
commands as JSON lines on stdin ({"mo": {...}} sends a reply to the first bound session).

Numbers ending in 4000 are refused (ESME_RINVDSTADR); numbers ending in 40NN get a receipt
with the stat smsgate maps to 40NN (4002 REJECTD, 4003 UNDELIV); every other number DELIVRD.
"""

import argparse
import asyncio
import contextlib
import json
import sys
from typing import Any

import smpp34

from smsgate.delivery.providers.smpp.nodelay import set_nodelay

RECEIPT_STATS = {"4002": ("REJECTD", 8), "4003": ("UNDELIV", 5), "4100": ("UNKNOWN", 7)}


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


class Simulator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sessions: dict[str, smpp34.Esme] = {}
        self.next_id = args.first_id
        self.seen: set[bytes] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.in_flight: dict[str, int] = {}  # submits received and not answered yet, by session
        # Receipts owed, kept in --state across a crash as an SMSC keeps them: (mobile, sender, id)
        self.owed: list[tuple[str, str, str]] = []
        if args.state:
            self.owed = load_owed_receipts(args.state)

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def serve(self) -> None:
        server = smpp34.Server("127.0.0.1", self.args.port, system_id="smsc")
        await server.start()
        self.spawn(self.read_commands())
        emit("ready")
        while True:
            event = await server.next()
            if isinstance(event, smpp34.Esme):
                self.sessions[event.session_id] = event
                set_nodelay(local_port=self.args.port)  # as a real SMSC's stack would
                emit("bound", system_id=event.system_id, session=event.session_id)
                for mobile, short_code, mid in self.owed:  # from before a crash
                    self.spawn(self.receipt(event, mobile, short_code, mid))
                self.owed = []
            elif isinstance(event, smpp34.Unbound):
                self.sessions.pop(event.session_id, None)
                emit("unbound", session=event.session_id)
            elif isinstance(event, smpp34.SubmitSmEvent):
                self.in_flight[event.session_id] = self.in_flight.get(event.session_id, 0) + 1
                if self.args.answer_delay:
                    self.spawn(self.answer_later(event))
                else:
                    self.on_submit(event)

    async def answer_later(self, event: smpp34.SubmitSmEvent) -> None:
        await asyncio.sleep(self.args.answer_delay)
        self.on_submit(event)

    def on_submit(self, event: smpp34.SubmitSmEvent) -> None:
        in_flight = self.in_flight[event.session_id]  # this one included
        self.in_flight[event.session_id] -= 1
        record = {
            "in_flight": in_flight,
            "session": event.session_id,
            "source": event.source_addr,
            "dest": event.destination_addr,
            "dest_ton": event.dest_addr_ton,
            "data_coding": event.data_coding,
            "esm_class": event.esm_class,
            "registered_delivery": event.registered_delivery,
            "sm": event.short_message.hex(),
            "tlvs": {str(t.tag): t.value.hex() for t in event.tlvs},
        }
        if event.destination_addr.endswith("4000"):
            event.reject(smpp34.ESME_RINVDSTADR)
            emit("submit", status=smpp34.ESME_RINVDSTADR, **record)
            return
        if self.args.throttle_first and event.short_message not in self.seen:
            self.seen.add(event.short_message)
            event.reject(smpp34.ESME_RTHROTTLED)
            emit("submit", status=smpp34.ESME_RTHROTTLED, **record)
            return
        message_id = format(self.next_id, "X")  # hex ids, as many SMSCs give them
        self.next_id += 1
        session = self.sessions.get(event.session_id)
        if self.args.receipt_first and session is not None and event.registered_delivery & 1:
            self.spawn(self.receipt_then_accept(session, event, message_id, record))
            return
        # Recorded before the answer goes out: a crash in between leaves the submit counted
        # and its receipt owed, never an accepted submit the record lacks.
        if not self.args.quiet:
            emit("submit", status=0, message_id=message_id, **record)
        wants_receipt = session is not None and event.registered_delivery & 1
        if wants_receipt:
            self.remember({"owed": [event.destination_addr, event.source_addr, message_id]})
        event.accept(message_id=message_id)
        if session is not None and wants_receipt:
            self.spawn(self.receipt(session, event.destination_addr, event.source_addr, message_id))

    def remember(self, entry: dict[str, Any]) -> None:
        if self.args.state:
            with open(self.args.state, "a") as state:
                state.write(json.dumps(entry) + "\n")

    async def receipt_then_accept(
        self, session: smpp34.Esme, event: smpp34.SubmitSmEvent, message_id: str, record: Any
    ) -> None:
        await self.receipt(session, event.destination_addr, event.source_addr, message_id)
        await asyncio.sleep(self.args.receipt_delay)
        event.accept(message_id=message_id)
        if not self.args.quiet:
            emit("submit", status=0, message_id=message_id, **record)

    async def receipt(self, session: smpp34.Esme, mobile: str, short_code: str, mid: str) -> None:
        await asyncio.sleep(self.args.receipt_delay)
        stat, state = RECEIPT_STATS.get(mobile[-4:], ("DELIVRD", 2))
        # Many SMSCs write the id in decimal in the text and as given in the TLV.
        text_id = str(int(mid, 16)).zfill(10) if self.args.decimal_text_id else mid
        body = (
            f"id:{text_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} "
            f"submit date:2611261200 done date:2611261201 stat:{stat} err:000 text:receipt"
        )
        tlvs = (
            []
            if self.args.no_receipt_tlvs
            else [
                smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, mid.encode() + b"\x00"),
                smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, bytes([state])),
            ]
        )
        try:
            await session.deliver_sm(
                short_code, body.encode(), source_addr=mobile, esm_class=0x04, tlvs=tlvs
            )
            emit("receipt", message_id=mid, stat=stat)
            self.remember({"sent": mid})
        except smpp34.SmppError as error:
            emit("receipt_failed", message_id=mid, error=str(error))

    async def read_commands(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            command = json.loads(line)
            if "mo" in command:
                await self.send_mo(**command["mo"])

    async def send_mo(self, sender: str, to: str, parts: list[str], data_coding: int) -> None:
        """A reply from a handset; several `parts` (hex) are sent as one UDH-concatenated SMS."""
        session = next(iter(self.sessions.values()))
        for number, part in enumerate(parts, start=1):
            body = bytes.fromhex(part)
            esm_class = 0
            if len(parts) > 1:
                body = bytes((5, 0, 3, 0x42, len(parts), number)) + body
                esm_class = 0x40
            await session.deliver_sm(
                to,
                body,
                source_addr=sender,
                source_addr_ton=1,
                source_addr_npi=1,
                esm_class=esm_class,
                data_coding=data_coding,
            )
        emit("mo_sent", sender=sender)


def load_owed_receipts(path: str) -> list[tuple[str, str, str]]:
    owed: dict[str, tuple[str, str, str]] = {}
    with contextlib.suppress(FileNotFoundError), open(path) as state:
        for line in state:
            entry = json.loads(line)
            if "owed" in entry:
                owed[entry["owed"][2]] = tuple(entry["owed"])
            else:
                owed.pop(entry["sent"], None)
    return list(owed.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--receipt-delay", type=float, default=0.05)
    parser.add_argument("--first-id", type=int, default=0xA000)
    parser.add_argument("--state")  # a file: receipts owed survive a kill and a restart
    parser.add_argument("--quiet", action="store_true")  # no line per accepted submit (benchmarks)
    parser.add_argument("--answer-delay", type=float, default=0.0)  # a slow SMSC
    parser.add_argument("--throttle-first", action="store_true")
    parser.add_argument("--receipt-first", action="store_true")
    parser.add_argument("--decimal-text-id", action="store_true")
    parser.add_argument("--no-receipt-tlvs", action="store_true")
    asyncio.run(Simulator(parser.parse_args()).serve())


if __name__ == "__main__":
    main()
