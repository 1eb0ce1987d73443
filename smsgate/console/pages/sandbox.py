"""The sandbox inbox: what a handset would have received, voice codes with their audio."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from smsgate.console.web import (
    SECURITY_HEADERS,
    ConsoleRefused,
    context_of,
    file_inside,
    render,
    signed_in,
)
from smsgate.delivery.providers.sandbox import sandbox_inbox
from smsgate.errors import JsmsError
from smsgate.mobiles import display_mobile, normalise_mobile

router = APIRouter()
SHOWN = 100


@router.get("/sandbox")
async def sandbox_page(request: Request) -> Response:
    session = await signed_in(request)
    text = request.query_params.get("mobile", "").strip()[:32]
    try:
        mobile = normalise_mobile(text) if text else None
    except JsmsError:
        return render(
            request,
            "sandbox.html",
            session,
            entries=[],
            mobile=text,
            problem=True,
            display_mobile=display_mobile,
        )
    entries = await sandbox_inbox(context_of(request).db, mobile)
    newest = list(reversed(entries[-SHOWN:]))
    return render(
        request,
        "sandbox.html",
        session,
        entries=newest,
        mobile=text,
        problem=False,
        display_mobile=display_mobile,
    )


@router.get("/sandbox/{msg_id}/audio")
async def sandbox_audio(request: Request, msg_id: str) -> Response:
    """A voice code's recording, only from the data directory."""
    await signed_in(request)
    ctx = context_of(request)
    entries = await sandbox_inbox(ctx.db)
    entry = next((e for e in entries if e.msg_id == msg_id), None)
    found = file_inside(entry.audio_path if entry else None, ctx.settings.data_dir)
    if found is None:
        raise ConsoleRefused(404, "not_found")
    return FileResponse(found, media_type="audio/wav", headers=SECURITY_HEADERS)
