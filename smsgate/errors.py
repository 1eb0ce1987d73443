"""The one table of JSMS error codes, and the exception that carries one.

Codes 50000-50023 come verbatim (HTTP status and message) from the original JSMS document, but
50020, whose message the later documentation and service changed to "template auditing"; the
later codes come from the complete JSMS v1 reference. Every error smsgate answers comes from this
table. Codes from 50200 on are smsgate's own extensions (JSMS leaves them unassigned); the
pumping defence's and spend caps' messages on the wire also name the reason ("destination
refused: prefix velocity").
"""

from typing import Any, NamedTuple


class ErrorSpec(NamedTuple):
    http_status: int
    message: str


ERRORS: dict[int, ErrorSpec] = {
    50001: ErrorSpec(400, "missing auth"),
    50002: ErrorSpec(401, "auth failed"),
    50003: ErrorSpec(400, "missing body"),
    50004: ErrorSpec(400, "missing mobile"),
    50005: ErrorSpec(400, "missing  temp_id"),
    50006: ErrorSpec(403, "invalid mobile"),
    50007: ErrorSpec(403, "invalid body"),
    50008: ErrorSpec(403, "no sms code auth"),
    50009: ErrorSpec(403, "out of freq"),
    50010: ErrorSpec(403, "invalid code"),
    50011: ErrorSpec(403, "expired code"),
    50012: ErrorSpec(403, "verified code"),
    50013: ErrorSpec(403, "invalid temp_id"),
    50014: ErrorSpec(403, "no money"),
    50015: ErrorSpec(400, "missing code"),
    50016: ErrorSpec(404, "api not found"),
    50017: ErrorSpec(415, "media not supported"),
    50018: ErrorSpec(405, "request method not support"),
    50019: ErrorSpec(500, "server error"),
    50020: ErrorSpec(403, "template auditing"),
    50021: ErrorSpec(403, "template not pass"),
    50022: ErrorSpec(403, "parameters not all replaced"),
    50023: ErrorSpec(403, "parameters is empty"),
    50024: ErrorSpec(403, "unsubscribed mobile"),
    50025: ErrorSpec(403, "wrong template type"),
    50026: ErrorSpec(403, "wrong msg_id"),
    50027: ErrorSpec(403, "invalid send_time"),
    50028: ErrorSpec(403, "invalid schedule_id"),
    50029: ErrorSpec(403, "wrong schedule status"),
    50030: ErrorSpec(403, "recipients is empty"),
    50031: ErrorSpec(403, "too much recipients"),
    50033: ErrorSpec(403, "app quota not assigned"),
    50034: ErrorSpec(403, "repeat send"),
    50035: ErrorSpec(403, "illegal IP"),
    50036: ErrorSpec(403, "app in black"),
    50037: ErrorSpec(403, "has black word"),
    50038: ErrorSpec(403, "invalid content length"),
    50039: ErrorSpec(403, "invalid code type"),
    50040: ErrorSpec(403, "invalid voice language type"),
    50041: ErrorSpec(403, "invalid ttl value"),
    50042: ErrorSpec(403, "template is empty"),
    50043: ErrorSpec(403, "template too long"),
    50044: ErrorSpec(403, "template parameter invalid"),
    50045: ErrorSpec(403, "remark too long"),
    50046: ErrorSpec(403, "signature not set"),
    50047: ErrorSpec(403, "modify template not allow"),
    50052: ErrorSpec(403, "template contains special symbol"),
    50053: ErrorSpec(403, "special template parameter need extra remark for confirmation"),
    50054: ErrorSpec(403, "content contains special symbol"),
    50101: ErrorSpec(403, "invalid image"),
    50102: ErrorSpec(403, "invalid sign id"),
    50103: ErrorSpec(403, "other signatures in the audit"),
    50104: ErrorSpec(403, "invalid signature"),
    50105: ErrorSpec(403, "default signature cannot be deleted"),
    # Extensions: the pumping defence and spend caps (smsgate/fraud).
    50230: ErrorSpec(403, "destination refused"),
    50231: ErrorSpec(403, "spend cap reached"),
    # Extensions: idempotent sends (smsgate/idempotency).
    50250: ErrorSpec(400, "invalid idempotency key"),
    50251: ErrorSpec(422, "idempotency key reused with another request"),
    50252: ErrorSpec(409, "request with this idempotency key in progress"),
}
FIRST_EXTENSION = 50200


class JsmsError(Exception):
    """A failure with a JSMS error code; the API turns it into the JSMS error envelope."""

    def __init__(self, code: int, detail: str | None = None) -> None:
        if code not in ERRORS:
            raise ValueError(f"unknown JSMS error code {code}")
        self.code = code
        self.detail = detail
        super().__init__(f"{code} {ERRORS[code].message}" + (f": {detail}" if detail else ""))

    @property
    def http_status(self) -> int:
        return ERRORS[self.code].http_status

    @property
    def message(self) -> str:
        """The message on the wire: the table's, with the reason for an extension code."""
        if self.code >= FIRST_EXTENSION and self.detail:
            return f"{ERRORS[self.code].message}: {self.detail}"
        return ERRORS[self.code].message

    def envelope(self) -> dict[str, Any]:
        return error_envelope(self.code, self.message)


def error_envelope(code: int, message: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message or ERRORS[code].message}}
