"""Spend caps: units per app per clock hour and per local day, whole or per country.

Checked inside the send's transaction on rows locked until it ends, then charged only when the
send is accepted, so exactly the cap passes under any concurrency. The first send refused in a
window raises the alert (a warning in the log) once; the next window starts at zero.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import Connection

from smsgate.fraud import repository
from smsgate.fraud.policy import FraudPolicy
from smsgate.fraud.windows import window_end, window_start

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CapWindow:
    scope: str  # all, or a region
    period: str  # hourly, daily
    cap: int
    start: int

    @property
    def rule(self) -> str:
        """How a refusal names it: "hourly cap", "daily cap US"."""
        return f"{self.period} cap" + ("" if self.scope == "all" else f" {self.scope}")

    def key(self, app_id: int) -> dict[str, object]:
        return {"app_id": app_id, "scope": self.scope, "period": self.period, "start": self.start}


def cap_windows(policy: FraudPolicy, region: str, now: int, zone: str) -> list[CapWindow]:
    return [
        CapWindow(scope, period, cap, window_start(period, now, zone))
        for scope, period, cap in policy.caps(region)
    ]


def first_full(
    conn: Connection, app_id: int, windows: list[CapWindow], units: int, zone: str
) -> CapWindow | None:
    """The first cap this send would go over (alerting once per window), or None."""
    for window in windows:
        spent = repository.spend_units(conn, window.key(app_id))
        if spent + units > window.cap:
            if repository.mark_alerted(conn, window.key(app_id)):
                clears = window_end(window.period, window.start, zone)
                log.warning(
                    "spend cap reached",
                    app_id=app_id,
                    cap=window.rule,
                    units=spent,
                    limit=window.cap,
                    clears_at=datetime.fromtimestamp(clears / 1000, UTC).isoformat(),
                )
            return window
    return None


def charge(conn: Connection, app_id: int, windows: list[CapWindow], units: int) -> None:
    for window in windows:
        repository.add_spend(conn, window.key(app_id), units)
