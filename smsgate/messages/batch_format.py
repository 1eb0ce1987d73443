"""The JSMS batch request and answer (POST /v1/messages/batch, batch schedules): the recipients
as sent, the tag, and one answer per recipient.

A malformed recipient is refused on its own, not with the request; the answer lists every
recipient in request order (jsms-api.md §2.5).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smsgate.control_characters import refuse_control_characters
from smsgate.errors import Code, JsmsError
from smsgate.lenient import string_map
from smsgate.msg_ids import new_msg_id

MAX_RECIPIENTS = 1000
MAX_TAG_LENGTH = 10


@dataclass(frozen=True, slots=True)
class Recipient:
    """One entry of `recipients` as sent; `problem` when the entry itself is malformed."""

    mobile: object
    temp_para: Mapping[str, str | None]
    problem: JsmsError | None = None

    @property
    def mobile_text(self) -> str:
        """The number as the answer echoes it (PHP sends it as a JSON number)."""
        return "" if self.mobile is None else str(self.mobile)


# What became of one recipient: its msg_id when accepted, else why not.
BatchOutcome = str | JsmsError


def parse_recipients(value: object) -> list[Recipient]:
    """`recipients`: 50030 when missing or empty, 50031 beyond 1000, 50007 when not a list.
    A malformed entry is refused on its own, not with the request."""
    if value is None or value == []:
        raise JsmsError(Code.RECIPIENTS_EMPTY)
    if not isinstance(value, list):
        raise JsmsError(Code.INVALID_BODY)
    if len(value) > MAX_RECIPIENTS:
        raise JsmsError(Code.TOO_MANY_RECIPIENTS)
    return [_parse_recipient(entry) for entry in value]


def _parse_recipient(entry: object) -> Recipient:
    if not isinstance(entry, dict):
        return Recipient(None, {}, JsmsError(Code.INVALID_BODY))
    mobile = entry.get("mobile")
    try:
        return Recipient(mobile, string_map(entry.get("temp_para")))
    except JsmsError as error:
        return Recipient(mobile, {}, error)


def check_tag(value: object) -> None:
    """`tag`: a free label of at most 10 characters (the JSMS schedule page; applied everywhere)."""
    if value is None:
        return
    if not isinstance(value, str) or len(value) > MAX_TAG_LENGTH:
        raise JsmsError(Code.INVALID_BODY)
    refuse_control_characters(value, Code.INVALID_BODY)


def failure_entry(recipient: Recipient, error: JsmsError) -> dict[str, Any]:
    """A refused recipient as JSMS answers it: the code as a string, the short message."""
    return {
        "error_code": str(error.code),
        "error_message": error.message,
        "mobile": recipient.mobile_text,
        "temp_para": dict(recipient.temp_para),
    }


def batch_answer(
    recipients: Sequence[Recipient], outcomes: Sequence[BatchOutcome]
) -> dict[str, Any]:
    """§2.5: every recipient in request order; refused ones also carry a msg_id (§7 A4: an id
    that names no message) and are repeated in `failure_recipients`, which the Java SDK reads
    (§7 A3)."""
    answers: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for recipient, outcome in zip(recipients, outcomes, strict=True):
        if isinstance(outcome, JsmsError):
            failure = failure_entry(recipient, outcome)
            failures.append(failure)
            answers.append({**failure, "msg_id": new_msg_id()})
        else:
            answers.append({"msg_id": outcome, "mobile": recipient.mobile_text})
    return {
        "success_count": len(answers) - len(failures),
        "failure_count": len(failures),
        "recipients": answers,
        "failure_recipients": failures,
    }
