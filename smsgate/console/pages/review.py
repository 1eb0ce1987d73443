"""The review queue: templates and signatures waiting, with the SMS as a handset would show it,
its segment count, the auto-review's findings and the proof images; approve or reject."""

import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from smsgate.console import audit
from smsgate.console.web import (
    PREFIX,
    SECURITY_HEADERS,
    ConsoleRefused,
    checked_form,
    context_of,
    file_inside,
    form_text,
    render,
    see_other,
    signed_in,
)
from smsgate.context import Context
from smsgate.db.models import ReviewState
from smsgate.errors import JsmsError
from smsgate.messages.service import compose_sms
from smsgate.signs import review as sign_review
from smsgate.signs.images import image_dir
from smsgate.templates import service as template_service
from smsgate.templates.rendering import placeholders, render_template
from smsgate.text.segments import count_segments

router = APIRouter()


@dataclass(frozen=True, slots=True)
class TemplateCard:
    template: template_service.TemplateForReview
    preview: str
    segments: int
    findings: list[str]


def _sample_values(ctx: Context, text: str) -> dict[str, str | None]:
    """A code as long as the codes smsgate makes, every other value shown by its name."""
    return {
        name: "8" * ctx.settings.code_length if name == "code" else f"[{name}]"
        for name in placeholders(text)
    }


async def _card(ctx: Context, template: template_service.TemplateForReview) -> TemplateCard:
    notes = await template_service.review_notes(ctx, template.temp_id)
    try:
        body = render_template(template.template, _sample_values(ctx, template.template))
        preview = compose_sms(notes.sign or "?", body, notes.suffix)
    except JsmsError:  # a preview longer than an SMS may be: shown as written
        preview = f"【{notes.sign or '?'}】{template.template}{notes.suffix}"
    return TemplateCard(template, preview, count_segments(preview), notes.findings)


@router.get("/review")
async def review_page(request: Request) -> Response:
    session = await signed_in(request)
    ctx = context_of(request)
    templates = await template_service.templates_for_review(ctx.db, status=ReviewState.IN_REVIEW)
    cards = [await _card(ctx, template) for template in templates]
    signs = await sign_review.signs_for_review(
        ctx.db, ctx.settings.data_dir, status=ReviewState.IN_REVIEW
    )
    return render(request, "review.html", session, cards=cards, signs=signs)


def _verdict(form_action: str) -> bool:
    if form_action not in ("approve", "reject"):
        raise ConsoleRefused(400, "stale_form")
    return form_action == "approve"


# Reviews one template or signature: (db, id, approve=, reason=) -> None.
Review = Callable[..., Awaitable[None]]


@router.post("/review/templates/{temp_id}")
async def review_template(request: Request, temp_id: int) -> Response:
    review = template_service.review_template
    return await _review(request, review, template_service.UnknownTemplate, "template", temp_id)


@router.post("/review/signs/{sign_id}")
async def review_sign(request: Request, sign_id: int) -> Response:
    return await _review(request, sign_review.review_sign, sign_review.UnknownSign, "sign", sign_id)


async def _review(
    request: Request, review: Review, unknown: type[Exception], kind: str, item_id: int
) -> Response:
    """Approve, or reject with a reason, through the same service the CLI uses; audited."""
    session, form = await checked_form(request)
    approve = _verdict(form_text(form, "verdict"))
    reason = form_text(form, "reason")[: template_service.MAX_REASON]
    if not approve and not reason:
        raise ConsoleRefused(400, "reason_needed")
    db = context_of(request).db
    try:
        await review(db, item_id, approve=approve, reason=reason)
    except unknown:
        raise ConsoleRefused(404, "not_found") from None
    action = f"{'approve' if approve else 'reject'}_{kind}"
    target = f"{'template' if kind == 'template' else 'signature'} {item_id}"
    await audit.record(db, session.operator, action, target, reason)
    return see_other(f"{PREFIX}/review")


@router.get("/review/signs/{sign_id}/images/{position}")
async def sign_image(request: Request, sign_id: int, position: int) -> Response:
    """A proof image, only from the signature image directory."""
    await signed_in(request)
    ctx = context_of(request)
    signs = await sign_review.signs_for_review(ctx.db, ctx.settings.data_dir)
    images = next((sign.images for sign in signs if sign.sign_id == sign_id), [])
    found = (
        file_inside(images[position], image_dir(ctx.settings.data_dir))
        if 0 <= position < len(images)
        else None
    )
    if found is None:
        raise ConsoleRefused(404, "not_found")
    media_type = mimetypes.guess_type(Path(found).name)[0] or "application/octet-stream"
    return FileResponse(found, media_type=media_type, headers=SECURITY_HEADERS)
