"""Callbacks: those waiting for their next try and the dead ones; replay one or all."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.callbacks import service as callbacks
from smsgate.console import audit
from smsgate.console.web import PREFIX, checked_form, context_of, render, see_other, signed_in

router = APIRouter()


@router.get("/callbacks")
async def callbacks_page(request: Request) -> Response:
    session = await signed_in(request)
    db = context_of(request).db
    waiting = await callbacks.list_callbacks(db, dead=False)
    dead = await callbacks.list_callbacks(db, dead=True)
    return render(request, "callbacks.html", session, waiting=waiting, dead=dead)


@router.post("/callbacks/replay")
async def replay_all(request: Request) -> Response:
    session, _form = await checked_form(request)
    db = context_of(request).db
    revived = await callbacks.replay_dead(db, None)
    await audit.record(
        db, session.operator, "replay_callbacks", "all dead", f"{len(revived)} replayed"
    )
    return see_other(f"{PREFIX}/callbacks")


@router.post("/callbacks/{entry_id}/replay")
async def replay_one(request: Request, entry_id: int) -> Response:
    session, _form = await checked_form(request)
    db = context_of(request).db
    revived = await callbacks.replay_dead(db, [entry_id])
    await audit.record(
        db,
        session.operator,
        "replay_callback",
        f"callback {entry_id}",
        "replayed" if revived else "was not dead",
    )
    return see_other(f"{PREFIX}/callbacks")
