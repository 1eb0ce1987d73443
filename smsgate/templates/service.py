"""Templates: creation, review, and the checks a send makes before using one."""

from dataclasses import dataclass

from sqlalchemy import Connection

from smsgate import clock
from smsgate.db.engine import Database
from smsgate.errors import JsmsError
from smsgate.templates import repository
from smsgate.templates.rendering import lint_template

IN_REVIEW, APPROVED, REJECTED = 0, 1, 2
CODE, NOTIFICATION, MARKETING = 1, 2, 3
MAX_TTL = 86_400
MAX_REMARK = 500


@dataclass(frozen=True, slots=True)
class SendableTemplate:
    id: int
    type: int
    text: str
    ttl: int


class UnknownTemplate(LookupError):
    pass


async def create_template(
    db: Database,
    app_id: int,
    *,
    template_type: int,
    text: str,
    ttl: int | None = None,
    remark: str = "",
    approve: bool = False,
) -> int:
    """Validate and store a template; it waits in review unless `approve` is set."""
    lint_template(text, template_type, remark)
    if template_type == CODE and (ttl is None or not 0 < ttl <= MAX_TTL):
        raise JsmsError(50041)
    if len(remark) > MAX_REMARK:
        raise JsmsError(50045)
    now = clock.now_ms()
    values = {
        "app_id": app_id,
        "type": template_type,
        "template": text,
        "ttl": ttl if template_type == CODE else 0,
        "remark": remark,
        "status": APPROVED if approve else IN_REVIEW,
        "created_at": now,
        "updated_at": now,
    }
    return await db.write(lambda conn: repository.insert_template(conn, values))


async def review_template(db: Database, temp_id: int, *, approve: bool, reason: str = "") -> None:
    status = APPROVED if approve else REJECTED
    refusal = None if approve else reason
    now = clock.now_ms()
    found = await db.write(lambda conn: repository.set_review(conn, temp_id, status, refusal, now))
    if not found:
        raise UnknownTemplate(temp_id)


def sendable_template(
    conn: Connection, app_id: int, temp_id: int, allowed_types: tuple[int, ...]
) -> SendableTemplate:
    """The template if this app may send with it now: 50013 unknown (or another app's),
    50020 in review, 50021 rejected, 50025 a type this API does not take."""
    template = repository.find_template_for_send(conn, temp_id)
    if template is None or template.app_id != app_id:
        raise JsmsError(50013)
    if template.status == IN_REVIEW:
        raise JsmsError(50020)
    if template.status == REJECTED:
        raise JsmsError(50021)
    if template.type not in allowed_types:
        raise JsmsError(50025)
    return SendableTemplate(template.id, template.type, template.template, template.ttl)
