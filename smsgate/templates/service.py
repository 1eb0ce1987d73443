"""Templates: creation (by an app through the API or by an operator), review, and the checks a
send makes before using one."""

from dataclasses import dataclass

from sqlalchemy import Connection

from smsgate import clock
from smsgate.callbacks.service import enqueue_callback
from smsgate.content.sensitive_words import find_sensitive_words
from smsgate.context import Context
from smsgate.db.engine import Database
from smsgate.db.models import ReviewState
from smsgate.errors import Code, JsmsError
from smsgate.settings import Settings
from smsgate.signs import service as sign_service
from smsgate.templates import repository
from smsgate.templates.auto_review import TemplateUnderReview, review_findings
from smsgate.templates.rendering import MAX_TEMPLATE_LENGTH, lint_template

VOICE_LANGS = (0, 1, 2)
CODE, NOTIFICATION, MARKETING = 1, 2, 3
MAX_TTL = 86_400
MAX_REMARK = 500
MAX_REASON = 500
STATUS_NAMES: dict[int, str] = {
    ReviewState.IN_REVIEW: "review",
    ReviewState.APPROVED: "approved",
    ReviewState.REJECTED: "rejected",
}


@dataclass(frozen=True, slots=True)
class SendableTemplate:
    id: int
    type: int
    text: str
    ttl: int
    voice_fallback_after: int | None = None  # codes: seconds until a call, when opted in
    voice_fallback_lang: int = 0


@dataclass(frozen=True, slots=True)
class TemplateDraft:
    """What an app submits (jsms-api.md §2.12); None for a field it left out."""

    template_type: int | None
    text: str | None
    ttl: int | None
    remark: str | None


class UnknownTemplate(LookupError):
    pass


def _check_text(template_type: int, text: str, ttl: int | None, remark: str) -> int:
    """The rules that need nothing but the template; returns the ttl to store."""
    lint_template(text, template_type, remark)
    if template_type == CODE and (ttl is None or not 0 < ttl <= MAX_TTL):
        raise JsmsError(Code.INVALID_TTL)
    if len(remark) > MAX_REMARK:
        raise JsmsError(Code.REMARK_TOO_LONG)
    return ttl if template_type == CODE and ttl is not None else 0


@dataclass(frozen=True, slots=True)
class VoiceFallbackChoice:
    """An operator's choice for a code template: call after `after_seconds` (0: never) without
    a receipt, reading the code in `voice_lang` (0 Mandarin, 1 English, 2 both)."""

    after_seconds: int
    voice_lang: int = 0


class InvalidFallback(ValueError):
    """A voice fallback the template cannot have; the message says why."""


def _fallback_columns(
    template_type: int, ttl: int, choice: VoiceFallbackChoice | None
) -> dict[str, int | None]:
    if choice is None or choice.after_seconds == 0:
        return {"voice_fallback_after": None, "voice_fallback_lang": None}
    if template_type != CODE:
        raise InvalidFallback("a voice fallback is for verification-code templates (type 1)")
    if not 0 < choice.after_seconds < ttl:
        raise InvalidFallback(f"the fallback must come before the code expires: 1..{ttl - 1} s")
    if choice.voice_lang not in VOICE_LANGS:
        raise InvalidFallback("voice language: 0 Mandarin, 1 English, 2 both")
    return {"voice_fallback_after": choice.after_seconds, "voice_fallback_lang": choice.voice_lang}


async def create_template(
    db: Database,
    app_id: int,
    *,
    template_type: int,
    text: str,
    ttl: int | None = None,
    remark: str = "",
    approve: bool = False,
    voice_fallback: VoiceFallbackChoice | None = None,
) -> int:
    """An operator's template: validated, stored, in review unless `approve` is set."""
    stored_ttl = _check_text(template_type, text, ttl, remark)
    fallback = _fallback_columns(template_type, stored_ttl, voice_fallback)
    now = clock.now_ms()
    values: dict[str, object] = {
        "app_id": app_id,
        "type": template_type,
        "template": text,
        "ttl": stored_ttl,
        "remark": remark,
        "status": ReviewState.APPROVED if approve else ReviewState.IN_REVIEW,
        "created_at": now,
        "updated_at": now,
        **fallback,
    }
    return await db.write(lambda conn: repository.insert_template(conn, values))


async def set_voice_fallback(db: Database, temp_id: int, choice: VoiceFallbackChoice) -> None:
    """Turn a code template's voice fallback on, change it, or turn it off (0 seconds)."""

    def change(conn: Connection) -> None:
        found = repository.find_template(conn, temp_id)
        if found is None:
            raise UnknownTemplate(temp_id)
        values = _fallback_columns(found.type, found.ttl, choice)
        repository.update_template(conn, temp_id, {**values, "updated_at": clock.now_ms()})

    await db.write(change)


@dataclass(frozen=True, slots=True)
class _Checked:
    template_type: int
    text: str
    ttl: int
    remark: str


def _check_draft(draft: TemplateDraft, settings: Settings) -> _Checked:
    """Every rule of §2.12 that needs no database, in the order the reference lists them:
    50025 type, 50042 empty, 50043 long, 50052 【】, 50044 placeholders, 50053 url, 50037
    sensitive words, 50041 ttl, 50045 remark."""
    if draft.template_type is None:
        raise JsmsError(Code.WRONG_TEMPLATE_TYPE)
    text, remark = draft.text or "", draft.remark or ""
    lint_template(text, draft.template_type, remark)
    if find_sensitive_words(text, settings):
        raise JsmsError(Code.HAS_BLACK_WORD)
    ttl = _check_text(draft.template_type, text, draft.ttl, remark)
    return _Checked(draft.template_type, text, ttl, remark)


def _check_against_app(conn: Connection, app_id: int, checked: _Checked, settings: Settings) -> str:
    """50046 without a signature; 50043 when signature, text and (marketing) unsubscribe wording
    exceed 350 characters together. Returns the signature the length was measured with."""
    sign = sign_service.longest_signature(conn, app_id)
    if sign is None:
        raise JsmsError(Code.SIGNATURE_NOT_SET)
    suffix = settings.unsubscribe_suffix if checked.template_type == MARKETING else ""
    if len(f"【{sign}】") + len(checked.text) + len(suffix) > MAX_TEMPLATE_LENGTH:
        raise JsmsError(Code.TEMPLATE_TOO_LONG)
    return sign


def _auto_verdict(checked: _Checked, sign: str, settings: Settings) -> tuple[int, str | None]:
    """The status a submitted template starts in, and the reason when auto-review rejects it."""
    if not settings.auto_review:
        return ReviewState.IN_REVIEW, None
    suffix = settings.unsubscribe_suffix if checked.template_type == MARKETING else ""
    under_review = TemplateUnderReview(
        checked.template_type, checked.text, checked.remark, sign, suffix
    )
    findings = review_findings(under_review, settings)
    if not findings:
        return ReviewState.APPROVED, None
    return ReviewState.REJECTED, _reason("; ".join(findings))


def _reason(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _tell_app(conn: Connection, app_id: int, temp_id: int, status: int, reason: str | None) -> None:
    """The SMS_TEMPLATE callback of a verdict, queued in the verdict's own transaction."""
    if status != ReviewState.IN_REVIEW:
        data = {"tempId": temp_id, "status": status, "refuseReason": reason}
        enqueue_callback(conn, app_id, "SMS_TEMPLATE", data)


def _submitted_columns(
    checked: _Checked, status: int, reason: str | None, now: int
) -> dict[str, object]:
    """What a template is stored with when it is submitted, and again when it is changed."""
    return {
        "type": checked.template_type,
        "template": checked.text,
        "ttl": checked.ttl,
        "remark": checked.remark,
        "status": status,
        "refuse_reason": reason,
        "updated_at": now,
    }


async def submit_template(ctx: Context, app_id: int, draft: TemplateDraft) -> int:
    """POST /v1/templates: a new template in review (or judged at once by the auto-review)."""
    checked = _check_draft(draft, ctx.settings)

    def create(conn: Connection) -> int:
        sign = _check_against_app(conn, app_id, checked, ctx.settings)
        status, reason = _auto_verdict(checked, sign, ctx.settings)
        now = clock.now_ms()
        values = _submitted_columns(checked, status, reason, now)
        temp_id = repository.insert_template(conn, {"app_id": app_id, **values, "created_at": now})
        _tell_app(conn, app_id, temp_id, status, reason)
        return temp_id

    return await ctx.db.write(create)


async def change_template(ctx: Context, app_id: int, temp_id: int, draft: TemplateDraft) -> int:
    """PUT /v1/templates/{id}: a rejected template changed goes back to review; 50013 unknown
    (or another app's), 50047 when it is not rejected."""

    def change(conn: Connection) -> int:
        found = repository.find_app_template(conn, app_id, temp_id, for_update=True)
        if found is None:
            raise JsmsError(Code.INVALID_TEMP_ID)
        if found.status != ReviewState.REJECTED:
            raise JsmsError(Code.TEMPLATE_NOT_MODIFIABLE)
        checked = _check_draft(draft, ctx.settings)
        sign = _check_against_app(conn, app_id, checked, ctx.settings)
        status, reason = _auto_verdict(checked, sign, ctx.settings)
        values = _submitted_columns(checked, status, reason, clock.now_ms())
        repository.update_template(conn, temp_id, values)
        _tell_app(conn, app_id, temp_id, status, reason)
        return temp_id

    return await ctx.db.write(change)


@dataclass(frozen=True, slots=True)
class TemplateView:
    temp_id: int
    template: str
    type: int
    ttl: int
    remark: str
    status: int


async def show_template(db: Database, app_id: int, temp_id: int) -> TemplateView:
    """One of the app's templates; 50013 for an unknown or another app's."""
    found = await db.read(lambda conn: repository.find_app_template(conn, app_id, temp_id))
    if found is None:
        raise JsmsError(Code.INVALID_TEMP_ID)
    return TemplateView(found.id, found.template, found.type, found.ttl, found.remark, found.status)


async def delete_template(db: Database, app_id: int, temp_id: int) -> None:
    def remove(conn: Connection) -> None:
        if repository.find_app_template(conn, app_id, temp_id) is None:
            raise JsmsError(Code.INVALID_TEMP_ID)
        repository.delete_template(conn, temp_id)

    await db.write(remove)


async def review_template(db: Database, temp_id: int, *, approve: bool, reason: str = "") -> None:
    """An operator's verdict; the app gets an SMS_TEMPLATE callback in the same transaction."""
    status = ReviewState.APPROVED if approve else ReviewState.REJECTED
    refusal = None if approve else _reason(reason)

    def review(conn: Connection) -> None:
        found = repository.find_template(conn, temp_id)
        if found is None:
            raise UnknownTemplate(temp_id)
        repository.set_review(conn, temp_id, status, refusal, clock.now_ms())
        _tell_app(conn, found.app_id, temp_id, status, refusal)

    await db.write(review)


@dataclass(frozen=True, slots=True)
class TemplateForReview:
    temp_id: int
    app_key: str
    type: int
    template: str
    ttl: int
    remark: str
    status: str
    refuse_reason: str | None
    voice_fallback_after: int | None = None


async def templates_for_review(
    db: Database, *, status: int | None = None, app_id: int | None = None
) -> list[TemplateForReview]:
    def read(conn: Connection) -> list[TemplateForReview]:
        return [
            TemplateForReview(
                row.id,
                row.app_key,
                row.type,
                row.template,
                row.ttl,
                row.remark,
                STATUS_NAMES[row.status],
                row.refuse_reason,
                row.voice_fallback_after,
            )
            for row in repository.list_templates(conn, status, app_id)
        ]

    return await db.read(read)


def sendable_template(
    conn: Connection, app_id: int, temp_id: int, allowed_types: tuple[int, ...]
) -> SendableTemplate:
    """The template if this app may send with it now: 50013 unknown (or another app's),
    50020 in review, 50021 rejected, 50025 a type this API does not take."""
    template = repository.find_template_for_send(conn, temp_id)
    if template is None or template.app_id != app_id:
        raise JsmsError(Code.INVALID_TEMP_ID)
    if template.status == ReviewState.IN_REVIEW:
        raise JsmsError(Code.TEMPLATE_AUDITING)
    if template.status == ReviewState.REJECTED:
        raise JsmsError(Code.TEMPLATE_NOT_PASS)
    if template.type not in allowed_types:
        raise JsmsError(Code.WRONG_TEMPLATE_TYPE)
    return SendableTemplate(
        template.id,
        template.type,
        template.template,
        template.ttl,
        template.voice_fallback_after,
        template.voice_fallback_lang or 0,
    )


@dataclass(frozen=True, slots=True)
class ReviewNotes:
    """What an operator weighs beside a template in review: the signature it would be sent
    with (the app's longest; None when it has none), the marketing suffix, and every rule of
    the auto-review it fails."""

    sign: str | None
    suffix: str
    findings: list[str]


async def review_notes(ctx: Context, temp_id: int) -> ReviewNotes:
    def read(conn: Connection) -> ReviewNotes:
        found = repository.find_template(conn, temp_id)
        if found is None:
            raise UnknownTemplate(temp_id)
        sign = sign_service.longest_signature(conn, found.app_id)
        suffix = ctx.settings.unsubscribe_suffix if found.type == MARKETING else ""
        under_review = TemplateUnderReview(
            found.type, found.template, found.remark, sign or "", suffix
        )
        return ReviewNotes(sign, suffix, review_findings(under_review, ctx.settings))

    return await ctx.db.read(read)
