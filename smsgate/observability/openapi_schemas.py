"""The JSON Schemas of the API document: request fields as the official SDKs really send them,
the answers, and the JSMS error envelope with the codes an operation can give.

Request schemas describe what smsgate reads, which is looser than the JSMS document: ids as
numbers or numeric strings, mobiles as strings or numbers, `null` for an absent field, `[]` for
an empty `temp_para` (PHP), unknown keys ignored (so no schema forbids extra properties).
"""

import re
from collections.abc import Iterable
from typing import Any

from smsgate.errors import ERRORS, FIRST_EXTENSION
from smsgate.report_status import ReportStatus

Schema = dict[str, Any]

REPORT_STATUSES = (
    ReportStatus.DELIVERED,
    ReportStatus.BLACKLISTED,
    ReportStatus.HANDSET_PROBLEM,
    ReportStatus.NO_SUCH_NUMBER,
    ReportStatus.CARRIER_BALANCE_EXHAUSTED,
    ReportStatus.CARRIER_FREQUENCY_LIMIT,
    ReportStatus.NOT_ANSWERED,
    ReportStatus.BUSY,
    ReportStatus.UNREACHABLE,
    ReportStatus.SENSITIVE_WORDS,
    ReportStatus.OTHER_ERROR,
)


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def error_name(code: int) -> str:
    return f"Error{code}"


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


_INTEGER_LIKE: Schema = {
    "description": 'An integer, or a string of decimal digits (PHP and Python send `"6666"`).',
    "anyOf": [
        {"type": "integer"},
        {"type": "string", "pattern": "^\\s*-?[0-9]+\\s*$"},
    ],
}

_REQUEST_SCHEMAS: dict[str, Schema] = {
    "IntegerLike": _INTEGER_LIKE,
    "OptionalIntegerLike": {
        "description": 'As IntegerLike; `null` or `""` counts as absent.',
        "anyOf": [ref("IntegerLike"), {"type": "null"}, {"const": ""}],
    },
    "Mobile": {
        "description": "A mainland 11-digit mobile number, or any country's mobile as `+E.164`; "
        "a JSON number is read as its digits (PHP sends batch numbers as numbers). Spaces, "
        "dashes, dots and brackets between digits are allowed. Anything else is 50006.",
        "anyOf": [
            {"type": "string", "pattern": "^\\s*(\\+86)?1[3-9][0-9]{9}\\s*$"},
            {"type": "string", "pattern": "^\\s*\\+[1-9][0-9 ()\\-.]{6,18}\\s*$"},
            {"type": "integer", "minimum": 13000000000, "maximum": 19999999999},
        ],
        "examples": ["13800138000", "+8613800138000"],
    },
    "TempPara": {
        "description": "Placeholder values by name. Numbers and booleans are read as text, "
        "`null` values as missing; `[]` (PHP's empty array) and `null` are an empty map.",
        "anyOf": [
            {
                "type": "object",
                "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
            },
            {"type": "array", "maxItems": 0},
            {"type": "null"},
        ],
        "examples": [{"name": "张三", "order": "A1024"}],
    },
    "Tag": {
        "description": "A free label of at most 10 characters, never shown in the SMS.",
        "type": ["string", "null"],
        "maxLength": 10,
    },
    "SendTime": {
        "description": "`yyyy-MM-dd HH:mm:ss` on the wall clock of the schedule zone "
        "(Asia/Shanghai unless configured), in the future.",
        "type": "string",
        "pattern": "^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\s*$",
        "examples": ["2027-01-01 09:30:00"],
    },
    "Recipient": {
        "type": "object",
        "required": ["mobile"],
        "properties": {"mobile": ref("Mobile"), "temp_para": ref("TempPara")},
    },
    "Recipients": {
        "description": "1 to 1000 recipients; a malformed entry is refused on its own.",
        "type": "array",
        "minItems": 1,
        "maxItems": 1000,
        "items": ref("Recipient"),
    },
}

_FAILED_RECIPIENT: Schema = {
    "type": "object",
    "required": ["error_code", "error_message", "mobile", "temp_para"],
    "properties": {
        "error_code": {"type": "string", "pattern": "^50[0-9]{3}$", "examples": ["50006"]},
        "error_message": {"type": "string"},
        "mobile": {"type": "string"},
        "temp_para": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
    },
}

_QUOTA = _nullable({"type": "integer", "minimum": 0})

_ANSWER_SCHEMAS: dict[str, Schema] = {
    "MsgId": {
        "type": "object",
        "required": ["msg_id"],
        "properties": {"msg_id": {"type": "string", "examples": ["0193f1c2-7a3e-7b51-9a0c-2f4d"]}},
    },
    "CodeState": {
        "type": "object",
        "required": ["status", "attempts_left", "expires_at", "channel", "delivery_status"],
        "properties": {
            "status": {"enum": ["pending", "verified", "expired", "burned"]},
            "attempts_left": {"type": "integer", "minimum": 0},
            "expires_at": {"type": "string", "format": "date-time"},
            "channel": {"enum": ["sms", "voice"]},
            "delivery_status": {"type": ["integer", "null"]},
        },
    },
    "Valid": {
        "type": "object",
        "required": ["is_valid"],
        "properties": {"is_valid": {"const": True}},
    },
    "FailedRecipient": _FAILED_RECIPIENT,
    "BatchAnswer": {
        "type": "object",
        "required": ["success_count", "failure_count", "recipients", "failure_recipients"],
        "properties": {
            "success_count": {"type": "integer", "minimum": 0},
            "failure_count": {"type": "integer", "minimum": 0},
            "recipients": {
                "type": "array",
                "items": {
                    "anyOf": [
                        {
                            "type": "object",
                            "required": ["msg_id", "mobile"],
                            "properties": {
                                "msg_id": {"type": "string"},
                                "mobile": {"type": "string"},
                            },
                        },
                        {
                            "allOf": [ref("FailedRecipient")],
                            "required": ["msg_id"],
                            "properties": {"msg_id": {"type": "string"}},
                        },
                    ]
                },
            },
            "failure_recipients": {"type": "array", "items": ref("FailedRecipient")},
        },
    },
    "ScheduleId": {
        "type": "object",
        "required": ["schedule_id"],
        "properties": {"schedule_id": {"type": "string"}},
    },
    "ScheduleBatchAnswer": {
        "type": "object",
        "required": ["schedule_id", "success_count", "failure_count", "failure_recipients"],
        "properties": {
            "schedule_id": {"type": "string"},
            "success_count": {"type": "integer", "minimum": 0},
            "failure_count": {"type": "integer", "minimum": 0},
            "failure_recipients": {"type": "array", "items": ref("FailedRecipient")},
        },
    },
    "Schedule": {
        "type": "object",
        "required": ["schedule_id", "send_time", "temp_id", "recipients"],
        "properties": {
            "schedule_id": {"type": "string"},
            "send_time": {"type": "string", "examples": ["2027-01-01 09:30:00"]},
            "temp_id": {"type": "integer"},
            "recipients": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["msg_id", "mobile", "temp_para"],
                    "properties": {
                        "msg_id": {"type": "string"},
                        "mobile": {"type": "string"},
                        "temp_para": {"type": "object"},
                    },
                },
            },
        },
    },
    "TempId": {
        "type": "object",
        "required": ["temp_id"],
        "properties": {"temp_id": {"type": "integer"}},
    },
    "Template": {
        "type": "object",
        "required": ["temp_id", "template", "type", "ttl", "remark", "status"],
        "properties": {
            "temp_id": {"type": "integer"},
            "template": {"type": "string"},
            "type": {"enum": [1, 2, 3], "description": "1 code, 2 notification, 3 marketing"},
            "ttl": {"type": "integer"},
            "remark": {"type": "string"},
            "status": {"enum": [0, 1, 2], "description": "0 in review, 1 approved, 2 rejected"},
        },
    },
    "SignId": {
        "type": "object",
        "required": ["sign_id"],
        "properties": {"sign_id": {"type": "integer"}},
    },
    "Sign": {
        "type": "object",
        "required": ["sign_id", "sign", "status", "is_default", "use_status"],
        "properties": {
            "sign_id": {"type": "integer"},
            "sign": {"type": "string"},
            "status": {"enum": [0, 1, 2], "description": "0 in review, 1 approved, 2 rejected"},
            "is_default": {"enum": [0, 1]},
            "use_status": {"enum": [0, 1], "description": "1 when sends may use it"},
        },
    },
    "AppBalance": {
        "type": "object",
        "required": ["app_balance", "app_voice", "app_industry", "app_market"],
        "properties": {
            "app_balance": _QUOTA,
            "app_voice": _QUOTA,
            "app_industry": _QUOTA,
            "app_market": _QUOTA,
        },
    },
    "DevBalance": {
        "type": "object",
        "required": ["dev_balance", "dev_voice", "dev_industry", "dev_market"],
        "properties": {
            "dev_balance": _QUOTA,
            "dev_voice": _QUOTA,
            "dev_industry": _QUOTA,
            "dev_market": _QUOTA,
        },
    },
    "Reports": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["msgId", "phone", "receiveTime", "status"],
            "properties": {
                "msgId": {"type": "string"},
                "phone": {"type": "string"},
                "receiveTime": {"type": "integer", "description": "epoch milliseconds"},
                "status": {"enum": list(REPORT_STATUSES)},
            },
        },
    },
    "Replies": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["phone", "replyTime", "content"],
            "properties": {
                "phone": {"type": "string"},
                "replyTime": {"type": "integer", "description": "epoch milliseconds"},
                "content": {"type": "string"},
            },
        },
    },
}


def _error_schemas() -> dict[str, Schema]:
    """One schema per JSMS code: the exact code and message smsgate answers with (the pumping
    defence's and spend caps' messages go on to name the rule: "destination refused: ...")."""
    return {
        error_name(code): {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"const": code}, "message": _message_schema(code)},
        }
        for code in ERRORS
    }


def _message_schema(code: int) -> Schema:
    message = ERRORS[code].message
    if code >= FIRST_EXTENSION:
        return {"type": "string", "pattern": f"^{re.escape(message)}(: .+)?$"}
    return {"const": message}


def component_schemas() -> dict[str, Schema]:
    return {**_REQUEST_SCHEMAS, **_ANSWER_SCHEMAS, **_error_schemas()}


def error_envelope(codes: Iterable[int], *, with_is_valid: bool = False) -> Schema:
    """`{"error": {"code", "message"}}` for exactly these codes (verify failures also carry
    `"is_valid": false`)."""
    choices = [ref(error_name(code)) for code in sorted(codes)]
    properties: Schema = {"error": choices[0] if len(choices) == 1 else {"oneOf": choices}}
    if with_is_valid:
        properties["is_valid"] = {"const": False}
    return {"type": "object", "required": ["error"], "properties": properties}
