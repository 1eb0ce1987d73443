"""The one table of JSMS error codes, and the exception that carries one.

Codes 50000-50023 come verbatim (HTTP status and message) from the original JSMS document, but
50020, whose message the later documentation and service changed to "template auditing"; the
later codes come from the complete JSMS v1 reference. Every error smsgate answers comes from this
table. Codes from 50200 on are smsgate's own extensions (JSMS leaves them unassigned); the
pumping defence's and spend caps' messages on the wire also name the reason ("destination
refused: prefix velocity").
"""

from typing import Any, NamedTuple

from smsgate.wire_numbers import WireNumber


class Code(WireNumber):
    """The JSMS error codes by name (named after their wire message)."""

    MISSING_AUTH = 50001
    AUTH_FAILED = 50002
    MISSING_BODY = 50003
    MISSING_MOBILE = 50004
    MISSING_TEMP_ID = 50005
    INVALID_MOBILE = 50006
    INVALID_BODY = 50007
    NO_SMS_CODE_AUTH = 50008
    OUT_OF_FREQ = 50009
    INVALID_CODE = 50010
    EXPIRED_CODE = 50011
    VERIFIED_CODE = 50012
    INVALID_TEMP_ID = 50013
    NO_MONEY = 50014
    MISSING_CODE = 50015
    API_NOT_FOUND = 50016
    MEDIA_NOT_SUPPORTED = 50017
    METHOD_NOT_SUPPORTED = 50018
    SERVER_ERROR = 50019
    TEMPLATE_AUDITING = 50020
    TEMPLATE_NOT_PASS = 50021
    PARAMETERS_NOT_ALL_REPLACED = 50022
    PARAMETERS_EMPTY = 50023
    UNSUBSCRIBED_MOBILE = 50024
    WRONG_TEMPLATE_TYPE = 50025
    WRONG_MSG_ID = 50026
    INVALID_SEND_TIME = 50027
    INVALID_SCHEDULE_ID = 50028
    WRONG_SCHEDULE_STATUS = 50029
    RECIPIENTS_EMPTY = 50030
    TOO_MANY_RECIPIENTS = 50031
    APP_QUOTA_NOT_ASSIGNED = 50033
    REPEAT_SEND = 50034
    ILLEGAL_IP = 50035
    APP_IN_BLACK = 50036
    HAS_BLACK_WORD = 50037
    INVALID_CONTENT_LENGTH = 50038
    INVALID_CODE_TYPE = 50039
    INVALID_VOICE_LANGUAGE = 50040
    INVALID_TTL = 50041
    TEMPLATE_EMPTY = 50042
    TEMPLATE_TOO_LONG = 50043
    TEMPLATE_PARAMETER_INVALID = 50044
    REMARK_TOO_LONG = 50045
    SIGNATURE_NOT_SET = 50046
    TEMPLATE_NOT_MODIFIABLE = 50047
    TEMPLATE_SPECIAL_SYMBOL = 50052
    SPECIAL_PARAMETER_NEEDS_REMARK = 50053
    CONTENT_SPECIAL_SYMBOL = 50054
    INVALID_IMAGE = 50101
    INVALID_SIGN_ID = 50102
    OTHER_SIGN_IN_REVIEW = 50103
    INVALID_SIGNATURE = 50104
    DEFAULT_SIGN_UNDELETABLE = 50105
    DESTINATION_REFUSED = 50230
    SPEND_CAP_REACHED = 50231
    INVALID_IDEMPOTENCY_KEY = 50250
    IDEMPOTENCY_KEY_REUSED = 50251
    IDEMPOTENCY_KEY_IN_PROGRESS = 50252


class ErrorSpec(NamedTuple):
    http_status: int
    message: str


ERRORS: dict[int, ErrorSpec] = {  # keyed by Code; looked up by plain int as well
    Code.MISSING_AUTH: ErrorSpec(400, "missing auth"),
    Code.AUTH_FAILED: ErrorSpec(401, "auth failed"),
    Code.MISSING_BODY: ErrorSpec(400, "missing body"),
    Code.MISSING_MOBILE: ErrorSpec(400, "missing mobile"),
    Code.MISSING_TEMP_ID: ErrorSpec(400, "missing  temp_id"),
    Code.INVALID_MOBILE: ErrorSpec(403, "invalid mobile"),
    Code.INVALID_BODY: ErrorSpec(403, "invalid body"),
    Code.NO_SMS_CODE_AUTH: ErrorSpec(403, "no sms code auth"),
    Code.OUT_OF_FREQ: ErrorSpec(403, "out of freq"),
    Code.INVALID_CODE: ErrorSpec(403, "invalid code"),
    Code.EXPIRED_CODE: ErrorSpec(403, "expired code"),
    Code.VERIFIED_CODE: ErrorSpec(403, "verified code"),
    Code.INVALID_TEMP_ID: ErrorSpec(403, "invalid temp_id"),
    Code.NO_MONEY: ErrorSpec(403, "no money"),
    Code.MISSING_CODE: ErrorSpec(400, "missing code"),
    Code.API_NOT_FOUND: ErrorSpec(404, "api not found"),
    Code.MEDIA_NOT_SUPPORTED: ErrorSpec(415, "media not supported"),
    Code.METHOD_NOT_SUPPORTED: ErrorSpec(405, "request method not support"),
    Code.SERVER_ERROR: ErrorSpec(500, "server error"),
    Code.TEMPLATE_AUDITING: ErrorSpec(403, "template auditing"),
    Code.TEMPLATE_NOT_PASS: ErrorSpec(403, "template not pass"),
    Code.PARAMETERS_NOT_ALL_REPLACED: ErrorSpec(403, "parameters not all replaced"),
    Code.PARAMETERS_EMPTY: ErrorSpec(403, "parameters is empty"),
    Code.UNSUBSCRIBED_MOBILE: ErrorSpec(403, "unsubscribed mobile"),
    Code.WRONG_TEMPLATE_TYPE: ErrorSpec(403, "wrong template type"),
    Code.WRONG_MSG_ID: ErrorSpec(403, "wrong msg_id"),
    Code.INVALID_SEND_TIME: ErrorSpec(403, "invalid send_time"),
    Code.INVALID_SCHEDULE_ID: ErrorSpec(403, "invalid schedule_id"),
    Code.WRONG_SCHEDULE_STATUS: ErrorSpec(403, "wrong schedule status"),
    Code.RECIPIENTS_EMPTY: ErrorSpec(403, "recipients is empty"),
    Code.TOO_MANY_RECIPIENTS: ErrorSpec(403, "too much recipients"),
    Code.APP_QUOTA_NOT_ASSIGNED: ErrorSpec(403, "app quota not assigned"),
    Code.REPEAT_SEND: ErrorSpec(403, "repeat send"),
    Code.ILLEGAL_IP: ErrorSpec(403, "illegal IP"),
    Code.APP_IN_BLACK: ErrorSpec(403, "app in black"),
    Code.HAS_BLACK_WORD: ErrorSpec(403, "has black word"),
    Code.INVALID_CONTENT_LENGTH: ErrorSpec(403, "invalid content length"),
    Code.INVALID_CODE_TYPE: ErrorSpec(403, "invalid code type"),
    Code.INVALID_VOICE_LANGUAGE: ErrorSpec(403, "invalid voice language type"),
    Code.INVALID_TTL: ErrorSpec(403, "invalid ttl value"),
    Code.TEMPLATE_EMPTY: ErrorSpec(403, "template is empty"),
    Code.TEMPLATE_TOO_LONG: ErrorSpec(403, "template too long"),
    Code.TEMPLATE_PARAMETER_INVALID: ErrorSpec(403, "template parameter invalid"),
    Code.REMARK_TOO_LONG: ErrorSpec(403, "remark too long"),
    Code.SIGNATURE_NOT_SET: ErrorSpec(403, "signature not set"),
    Code.TEMPLATE_NOT_MODIFIABLE: ErrorSpec(403, "modify template not allow"),
    Code.TEMPLATE_SPECIAL_SYMBOL: ErrorSpec(403, "template contains special symbol"),
    Code.SPECIAL_PARAMETER_NEEDS_REMARK: ErrorSpec(
        403, "special template parameter need extra remark for confirmation"
    ),
    Code.CONTENT_SPECIAL_SYMBOL: ErrorSpec(403, "content contains special symbol"),
    Code.INVALID_IMAGE: ErrorSpec(403, "invalid image"),
    Code.INVALID_SIGN_ID: ErrorSpec(403, "invalid sign id"),
    Code.OTHER_SIGN_IN_REVIEW: ErrorSpec(403, "other signatures in the audit"),
    Code.INVALID_SIGNATURE: ErrorSpec(403, "invalid signature"),
    Code.DEFAULT_SIGN_UNDELETABLE: ErrorSpec(403, "default signature cannot be deleted"),
    # Extensions: the pumping defence and spend caps (smsgate/fraud).
    Code.DESTINATION_REFUSED: ErrorSpec(403, "destination refused"),
    Code.SPEND_CAP_REACHED: ErrorSpec(403, "spend cap reached"),
    # Extensions: idempotent sends (smsgate/idempotency).
    Code.INVALID_IDEMPOTENCY_KEY: ErrorSpec(400, "invalid idempotency key"),
    Code.IDEMPOTENCY_KEY_REUSED: ErrorSpec(422, "idempotency key reused with another request"),
    Code.IDEMPOTENCY_KEY_IN_PROGRESS: ErrorSpec(
        409, "request with this idempotency key in progress"
    ),
}
FIRST_EXTENSION = 50200


class JsmsError(Exception):
    """A failure with a JSMS error code; the API turns it into the JSMS error envelope."""

    def __init__(self, code: int, detail: str | None = None) -> None:
        if code not in ERRORS:
            raise ValueError(f"unknown JSMS error code {code}")
        self.code = int(code)  # a plain int everywhere it goes (logs, metrics, JSON)
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
