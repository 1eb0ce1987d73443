"""The audit list: every change made in the console, with who made it and when."""

from dataclasses import dataclass

from smsgate import clock
from smsgate.console import repository
from smsgate.db.engine import Database

MAX_DETAIL = 500


@dataclass(frozen=True, slots=True)
class AuditLine:
    at: int
    operator: str
    action: str
    target: str
    detail: str


async def record(db: Database, operator: str, action: str, target: str, detail: str = "") -> None:
    """After the change succeeded (the services commit their own transactions). Never a secret
    or a password in `detail`."""
    values = {
        "operator": operator,
        "action": action,
        "target": target[:200],
        "detail": detail[:MAX_DETAIL],
        "at": clock.now_ms(),
    }
    await db.write(lambda conn: repository.insert_audit(conn, values))


async def audit_lines(
    db: Database, limit: int = 200, operator: str | None = None
) -> list[AuditLine]:
    rows = await db.read(lambda conn: repository.audit_entries(conn, limit, operator))
    return [AuditLine(r.at, r.operator, r.action, r.target, r.detail) for r in rows]
