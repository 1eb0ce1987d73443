"""The wake-up from API processes to the delivery process: a set event reaches the listener's
event of the same kind, many sets in one loop turn are one datagram, and a missing listener
costs the sender nothing."""

import asyncio
import socket
from pathlib import Path

from smsgate.process_wakeup import OUTBOX, SCHEDULES, CrossProcessWakeup, WakeupListener

DEADLINE_SECONDS = 5.0


async def test_a_set_on_the_sender_sets_the_listeners_event_of_that_kind(tmp_path: Path) -> None:
    path = tmp_path / "delivery.sock"
    outbox, schedules = asyncio.Event(), asyncio.Event()
    listener = WakeupListener(path, {OUTBOX: outbox, SCHEDULES: schedules})
    listener.start()
    try:
        sender = CrossProcessWakeup(path, OUTBOX)
        sender.set()
        assert sender.is_set()  # still an event of its own process
        await asyncio.wait_for(outbox.wait(), DEADLINE_SECONDS)
        assert not schedules.is_set()
        CrossProcessWakeup(path, SCHEDULES).set()
        await asyncio.wait_for(schedules.wait(), DEADLINE_SECONDS)
    finally:
        listener.stop()
    assert not path.exists()


async def test_sets_in_one_loop_turn_send_one_datagram(tmp_path: Path) -> None:
    path = tmp_path / "count.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(str(path))
        receiver.setblocking(False)
        sender = CrossProcessWakeup(path, OUTBOX)
        for _ in range(100):
            sender.set()
        await asyncio.sleep(0)  # the turn in which the datagram goes out
        await asyncio.sleep(0)
        assert receiver.recv(16) == OUTBOX
        try:
            extra = receiver.recv(16)
        except BlockingIOError:
            extra = b""
        assert extra == b""
        sender.clear()
        sender.set()  # a later turn: another datagram
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert receiver.recv(16) == OUTBOX


async def test_without_a_listener_the_sender_only_sets_its_own_event(tmp_path: Path) -> None:
    sender = CrossProcessWakeup(tmp_path / "nobody.sock", OUTBOX)
    sender.set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert sender.is_set()


async def test_a_listener_replaces_a_socket_file_left_by_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "left.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dead:
        dead.bind(str(path))
    outbox = asyncio.Event()
    listener = WakeupListener(path, {OUTBOX: outbox})
    listener.start()
    try:
        CrossProcessWakeup(path, OUTBOX).set()
        await asyncio.wait_for(outbox.wait(), DEADLINE_SECONDS)
    finally:
        listener.stop()
