"""What a pull learns of its answer from the connection it was written on."""

import asyncio

from smsgate.connection_watch import ConnectionWatch, WatchedRequest


async def test_a_client_that_closed_before_the_answer_was_written_did_not_get_it() -> None:
    """asyncio closes the transport right after the client's FIN and drops later writes, yet
    the connection ends without an error: the FIN's timing is what tells."""
    watch = ConnectionWatch()
    request = WatchedRequest(watch, watch.request_began())
    watch.client_closed(answer_pending=True)
    assert await request.answer_received(grace=5.0) is False
    watch.connection_ended(None)
    assert await request.answer_received(grace=5.0) is False


async def test_a_clean_close_after_the_answer_means_it_was_read() -> None:
    watch = ConnectionWatch()
    request = WatchedRequest(watch, watch.request_began())
    watch.client_closed(answer_pending=False)
    watch.connection_ended(None)
    assert await request.answer_received(grace=5.0) is False  # ended before the check: dropped


async def test_a_close_while_the_pull_waits_settles_it_by_how_it_ended() -> None:
    watch = ConnectionWatch()
    request = WatchedRequest(watch, watch.request_began())
    waiting = asyncio.create_task(request.answer_received(grace=30.0))
    await asyncio.sleep(0)  # one turn of the loop: the pull is now waiting on the connection
    assert not waiting.done()
    watch.client_closed(answer_pending=False)
    watch.connection_ended(None)
    assert await waiting is True


async def test_a_reset_while_the_pull_waits_hands_the_records_back() -> None:
    watch = ConnectionWatch()
    request = WatchedRequest(watch, watch.request_began())
    waiting = asyncio.create_task(request.answer_received(grace=30.0))
    await asyncio.sleep(0)  # one turn of the loop: the pull is now waiting on the connection
    assert not waiting.done()
    watch.connection_ended(ConnectionResetError())
    assert await waiting is False
