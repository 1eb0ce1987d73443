"""The OpenAPI 3.1 document of smsgate's API, built from one table of operations.

Every route the application serves has one entry here (a test holds the two together); each
entry names its body, its answer and every JSMS error code it can give, and the document groups
those codes by HTTP status from the one code table in errors.py. The prose reference is
docs/api.md.
"""

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from smsgate import __version__
from smsgate.errors import ERRORS
from smsgate.observability.openapi_schemas import Schema, component_schemas, error_envelope, ref

APP, DEV = "app", "dev"
# What any call can give: credentials (apps also the blacklist and IP allowlist), a server error.
_APP_CALL = frozenset({50001, 50002, 50035, 50036, 50019})
_DEV_CALL = frozenset({50001, 50002, 50019})
_JSON_BODY = frozenset({50003, 50007, 50017})
_PATH = frozenset({50016})  # a path parameter holding "/" names another, unknown path
_TEMPLATE = frozenset({50005, 50013, 50020, 50021, 50102, 50046})
_RENDER = frozenset({50022, 50023, 50038, 50054})
# A send's own checks: permission, number, content, limits, quota.
_SEND = frozenset({50008, 50004, 50006, 50037, 50038, 50054, 50009, 50014, 50230, 50231})
_SCHEDULE = frozenset({50008, 50007, 50027}) | _TEMPLATE
_TEMPLATE_RULES = frozenset(
    {50007, 50025, 50041, 50042, 50043, 50044, 50045, 50052, 50053, 50037, 50046}
)
_SIGN_FORM = frozenset({50003, 50007, 50017, 50101, 50103, 50104, 50045})


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    tag: str
    summary: str
    answer: Schema | None  # the 200 body; None for DELETE's empty answer
    codes: frozenset[int]
    body: Schema | None = None
    multipart: bool = False
    auth: str | None = APP
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)
    # Answers besides 200 that are not JSMS errors (a readiness probe's 503).
    other_answers: dict[str, Schema] = field(default_factory=dict)


def _json_object(properties: Schema, required: tuple[str, ...] = ()) -> Schema:
    return {"type": "object", "required": list(required), "properties": properties}


_CODE_BODY = _json_object(
    {"mobile": ref("Mobile"), "temp_id": ref("IntegerLike"), "sign_id": ref("OptionalIntegerLike")},
    ("mobile", "temp_id"),
)
_VOICE_BODY = _json_object(
    {
        "mobile": ref("Mobile"),
        "code": {
            "description": "The caller's own code, 4-8 digits (C# sends a number); absent: "
            "smsgate makes a 6-digit one.",
            "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}],
        },
        "voice_lang": {
            "description": "0 Mandarin (default), 1 English, 2 both",
            "anyOf": [ref("OptionalIntegerLike")],
        },
        "ttl": {
            "description": "seconds the code stays valid, 1-86400, default 60",
            "anyOf": [ref("OptionalIntegerLike")],
        },
    },
    ("mobile",),
)
_VERIFY_BODY = _json_object(
    {"code": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}, ("code",)
)
_MESSAGE_BODY = _json_object(
    {
        "mobile": ref("Mobile"),
        "temp_id": ref("IntegerLike"),
        "sign_id": ref("OptionalIntegerLike"),
        "temp_para": ref("TempPara"),
    },
    ("mobile", "temp_id"),
)
_BATCH_BODY = _json_object(
    {
        "temp_id": ref("IntegerLike"),
        "sign_id": ref("OptionalIntegerLike"),
        "tag": ref("Tag"),
        "recipients": ref("Recipients"),
    },
    ("temp_id", "recipients"),
)
_SCHEDULE_BODY = _json_object(
    {**_MESSAGE_BODY["properties"], "send_time": ref("SendTime"), "tag": ref("Tag")},
    ("send_time", "mobile", "temp_id"),
)
_SCHEDULE_BATCH_BODY = _json_object(
    {**_BATCH_BODY["properties"], "send_time": ref("SendTime")},
    ("send_time", "temp_id", "recipients"),
)
_TEMPLATE_BODY = _json_object(
    {
        "template": {"type": "string", "description": "text with `{{name}}` placeholders"},
        "type": {"description": "1 code, 2 notification, 3 marketing", **ref("IntegerLike")},
        "ttl": {"description": "type 1: code lifetime, 1-86400 s", **ref("OptionalIntegerLike")},
        "remark": {"type": ["string", "null"], "description": "use and audience, <= 500"},
    },
    ("template", "type"),
)
_TEXT_PART = {"type": "string"}
_FILE_PART = {"type": "string", "contentMediaType": "application/octet-stream"}
_SIGN_FORM_BODY = _json_object(
    {
        "sign": {**_TEXT_PART, "description": "2-8 Chinese characters, letters or digits"},
        "type": {**_TEXT_PART, "description": "1-7; empty counts as absent"},
        "remark": {**_TEXT_PART, "description": "at most 100 characters"},
        "image0": _FILE_PART,
        "image1": _FILE_PART,
        "image2": _FILE_PART,
        "image3": _FILE_PART,
        "images": {"type": "array", "items": _FILE_PART, "description": "the Java SDK's parts"},
    },
    ("sign",),
)

_SENDS = "Sends"
_SCHEDULES = "Scheduled SMS"
_TEMPLATES = "Templates and signatures"
_ACCOUNTS = "Accounts and pulls"
_PROVIDERS = "Provider callbacks"
_HEALTH = "Health"
# The sends that take an Idempotency-Key header (an extension), and what it can answer.
IDEMPOTENT_SENDS = frozenset(
    {"/v1/codes", "/v1/voice_codes", "/v1/messages", "/v1/messages/batch", "/v1/schedule",
     "/v1/schedule/batch"}
)  # fmt: skip
_IDEMPOTENCY = frozenset({50250, 50251, 50252})
_IDEMPOTENCY_KEY: Schema = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Extension: the same key with the same request within 24 h answers the "
    "first answer again and sends nothing (1-255 printable ASCII characters, unique per app).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]"
               "(?:[\\x20-\\x7e]*[\\x21-\\x7e])?$"},
}  # fmt: skip

OPERATIONS: tuple[Operation, ...] = (
    Operation("post", "/v1/codes", _SENDS, "Send a text verification code", ref("MsgId"),
              _JSON_BODY | _TEMPLATE | _SEND | {50025}, _CODE_BODY),
    Operation("post", "/v1/voice_codes", _SENDS, "Send a voice verification code", ref("MsgId"),
              _JSON_BODY | {50008, 50004, 50006, 50038, 50039, 50040, 50041, 50009, 50014}
              | {50230, 50231},
              _VOICE_BODY),
    Operation("post", "/v1/codes/{msg_id}/valid", _SENDS, "Check a code", ref("Valid"),
              _JSON_BODY | _PATH | {50015, 50010, 50011, 50012, 50026}, _VERIFY_BODY,
              description="A failed check is answered 403 with `is_valid: false` beside the error.",
              params={"msg_id": "the msg_id of the code's send"}),
    Operation("get", "/v1/codes/{msg_id}", _SENDS, "Where a code stands (extension)",
              ref("CodeState"), _PATH | {50026},
              description="An extension the official SDKs never call; reading it counts no try.",
              params={"msg_id": "the msg_id of the code's send"}),
    Operation("post", "/v1/messages", _SENDS, "Send one template SMS", ref("MsgId"),
              _JSON_BODY | _TEMPLATE | _RENDER | _SEND | {50024}, _MESSAGE_BODY),
    Operation("post", "/v1/messages/batch", _SENDS, "Send one template to many numbers",
              ref("BatchAnswer"), _JSON_BODY | _TEMPLATE | {50008, 50030, 50031}, _BATCH_BODY,
              description="Each recipient is checked like a single send and answered on its own "
              "in `recipients` (and, when refused, in `failure_recipients`)."),
    Operation("post", "/v1/schedule", _SCHEDULES, "Schedule one template SMS", ref("ScheduleId"),
              _JSON_BODY | _SCHEDULE | _RENDER | {50004, 50006}, _SCHEDULE_BODY),
    Operation("post", "/v1/schedule/batch", _SCHEDULES, "Schedule one template to many numbers",
              ref("ScheduleBatchAnswer"), _JSON_BODY | _SCHEDULE | {50030, 50031},
              _SCHEDULE_BATCH_BODY),
    Operation("put", "/v1/schedule/batch/{schedule_id}", _SCHEDULES, "Replace a batch schedule",
              ref("ScheduleBatchAnswer"),
              _JSON_BODY | _PATH | _SCHEDULE | {50030, 50031, 50028, 50029},
              _SCHEDULE_BATCH_BODY, params={"schedule_id": "the schedule's id"}),
    Operation("put", "/v1/schedule/{schedule_id}", _SCHEDULES, "Replace a single schedule",
              ref("ScheduleId"),
              _JSON_BODY | _PATH | _SCHEDULE | _RENDER | {50004, 50006, 50028, 50029},
              _SCHEDULE_BODY, params={"schedule_id": "the schedule's id"}),
    Operation("get", "/v1/schedule/{schedule_id}", _SCHEDULES, "Show a schedule", ref("Schedule"),
              _PATH | {50028}, params={"schedule_id": "the schedule's id"}),
    Operation("delete", "/v1/schedule/{schedule_id}", _SCHEDULES, "Delete a schedule", None,
              _PATH | {50028, 50029}, params={"schedule_id": "the schedule's id"}),
    Operation("post", "/v1/templates", _TEMPLATES, "Submit a template", ref("TempId"),
              _JSON_BODY | _TEMPLATE_RULES, _TEMPLATE_BODY),
    Operation("put", "/v1/templates/{temp_id}", _TEMPLATES, "Change a rejected template",
              ref("TempId"), _JSON_BODY | _PATH | _TEMPLATE_RULES | {50013, 50047},
              _TEMPLATE_BODY, params={"temp_id": "the template's id"}),
    Operation("get", "/v1/templates/{temp_id}", _TEMPLATES, "Show a template", ref("Template"),
              _PATH | {50013}, params={"temp_id": "the template's id"}),
    Operation("delete", "/v1/templates/{temp_id}", _TEMPLATES, "Delete a template", None,
              _PATH | {50013}, params={"temp_id": "the template's id"}),
    Operation("post", "/v1/sign", _TEMPLATES, "Submit a signature", ref("SignId"),
              _SIGN_FORM, _SIGN_FORM_BODY, multipart=True),
    Operation("post", "/v1/sign/{sign_id}", _TEMPLATES, "Change a signature", ref("SignId"),
              _SIGN_FORM | _PATH | {50102}, _SIGN_FORM_BODY, multipart=True,
              params={"sign_id": "the signature's id"}),
    Operation("put", "/v1/sign/{sign_id}", _TEMPLATES, "Change a signature (PUT)", ref("SignId"),
              _SIGN_FORM | _PATH | {50102}, _SIGN_FORM_BODY, multipart=True,
              params={"sign_id": "the signature's id"}),
    Operation("get", "/v1/sign/{sign_id}", _TEMPLATES, "Show a signature", ref("Sign"),
              _PATH | {50102}, params={"sign_id": "the signature's id"}),
    Operation("delete", "/v1/sign/{sign_id}", _TEMPLATES, "Delete a signature", None,
              _PATH | {50102, 50105}, params={"sign_id": "the signature's id"}),
    Operation("get", "/v1/accounts/app", _ACCOUNTS, "The app's remaining units",
              ref("AppBalance"), frozenset({50033})),
    Operation("get", "/v1/accounts/dev", _ACCOUNTS, "The developer account's pool",
              ref("DevBalance"), frozenset(), auth=DEV),
    Operation("get", "/v1/report", _ACCOUNTS, "Pull delivery reports", ref("Reports"),
              frozenset({50009})),
    Operation("get", "/v1/reply", _ACCOUNTS, "Pull replies", ref("Replies"), frozenset({50009})),
)  # fmt: skip


def _provider_callbacks() -> tuple[Operation, ...]:
    """Where HTTP providers report: each vendor's own format, checked by token or signature."""
    codes = frozenset({50002, 50007, 50016, 50019})
    return tuple(
        Operation(method, f"/providers/{{name}}/{kind}", _PROVIDERS, summary, None, codes,
                  auth=None, params={"name": "the provider's name in the delivery configuration"},
                  description="The vendor's own request and acknowledgement (Kannel, Aliyun, "
                  "Tencent Cloud, Twilio); not for apps.")
        for kind, summary in (("report", "A provider's delivery report"),
                              ("inbound", "A reply a provider received"))
        for method in ("get", "post")
    )  # fmt: skip


_HEALTH_CHECK: Schema = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["ok"],
}
_READINESS: Schema = {
    "type": "object",
    "properties": {
        "ready": {"type": "boolean"},
        "checks": {"type": "object", "additionalProperties": _HEALTH_CHECK},
    },
    "required": ["ready", "checks"],
}


def _health_probes() -> tuple[Operation, ...]:
    """Probes for load balancers and orchestrators, outside /v1/: no credentials, no JSMS codes."""
    alive: Schema = {
        "type": "object",
        "properties": {"status": {"const": "ok"}},
        "required": ["status"],
    }
    not_ready = {
        "description": "Not ready: the checks say which part failed",
        "content": {"application/json": {"schema": _READINESS}},
    }
    return (
        Operation("get", "/healthz", _HEALTH, "The process answers", alive, frozenset(),
                  auth=None),
        Operation("get", "/readyz", _HEALTH, "Ready to take traffic and deliver", _READINESS,
                  frozenset(), auth=None, other_answers={"503": not_ready},
                  description="Database reachable and at the newest schema, background loops "
                  "alive, providers configured, not stopping."),
    )  # fmt: skip


def all_operations() -> tuple[Operation, ...]:
    return OPERATIONS + _provider_callbacks() + _health_probes()


def _responses(operation: Operation) -> Schema:
    responses: Schema = {"200": _success(operation), **operation.other_answers}
    by_status: dict[int, list[int]] = {}
    idempotent = operation.method == "post" and operation.path in IDEMPOTENT_SENDS
    extra = (_DEV_CALL if operation.auth == DEV else set()) | (
        _IDEMPOTENCY if idempotent else set()
    )
    for code in sorted(operation.codes | extra):
        by_status.setdefault(ERRORS[code].http_status, []).append(code)
    if operation.auth == APP:
        for code in sorted(_APP_CALL):
            by_status.setdefault(ERRORS[code].http_status, []).append(code)
    verify = operation.path == "/v1/codes/{msg_id}/valid"
    for status, codes in sorted(by_status.items()):
        unique = sorted(set(codes))
        responses[str(status)] = {
            "description": ", ".join(f"{c} {ERRORS[c].message}" for c in unique),
            "content": {
                "application/json": {
                    "schema": error_envelope(unique, with_is_valid=verify and status == 403)
                }
            },
        }
    return responses


def _success(operation: Operation) -> Schema:
    if operation.tag == _PROVIDERS:
        return {
            "description": "The acknowledgement the vendor expects",
            "content": {media: {"schema": {}} for media in ("text/plain", "application/json",
                                                            "text/xml")},
        }  # fmt: skip
    if operation.answer is None:
        return {"description": "Deleted: an empty body"}
    return {"description": "OK", "content": {"application/json": {"schema": operation.answer}}}


def _operation(operation: Operation) -> Schema:
    entry: Schema = {
        "tags": [operation.tag],
        "summary": operation.summary,
        "operationId": re.sub(r"[^a-z0-9]+", "_", f"{operation.method}{operation.path}").strip("_"),
        "responses": _responses(operation),
    }
    if operation.description:
        entry["description"] = operation.description
    entry["security"] = [{"app": []}] if operation.auth == APP else []
    if operation.auth == DEV:
        entry["security"] = [{"developer": []}]
    if operation.params:
        entry["parameters"] = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": text,
                # One path segment: "/" would name another path, "." and ".." move along it.
                "schema": {"type": "string", "pattern": "^(?!\\.\\.?$)[^/]+$"},
            }
            for name, text in operation.params.items()
        ]
    if operation.method == "post" and operation.path in IDEMPOTENT_SENDS:
        entry["parameters"] = [*entry.get("parameters", []), _IDEMPOTENCY_KEY]
    if operation.body is not None:
        media = "multipart/form-data" if operation.multipart else "application/json"
        entry["requestBody"] = {"required": True, "content": {media: {"schema": operation.body}}}
    return entry


@cache
def openapi_document() -> dict[str, Any]:
    paths: dict[str, Schema] = {}
    for operation in all_operations():
        paths.setdefault(operation.path, {})[operation.method] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "smsgate: the JSMS v1 API",
            "version": __version__,
            "description": _DESCRIPTION,
        },
        "tags": [
            {"name": tag}
            for tag in (_SENDS, _SCHEDULES, _TEMPLATES, _ACCOUNTS, _PROVIDERS, _HEALTH)
        ],
        "paths": paths,
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {
                "app": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "appKey:masterSecret of an app",
                },
                "developer": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "devKey:devSecret of a developer account "
                    "(only GET /v1/accounts/dev)",
                },
            },
        },
    }


_DESCRIPTION = """\
smsgate speaks the JSMS v1 API: an app built on an official JSMS SDK uses it by changing its
base URL. Bodies are read as JSON whatever the Content-Type says (only the signature endpoints
take multipart/form-data), with the loose types the SDKs send: ids as numbers or numeric strings,
mobiles as strings or numbers, `null` for an absent field, `[]` for an empty `temp_para`. Unknown
keys are ignored and trailing slashes do not matter.

Every error is `{"error": {"code": C, "message": M}}` with the HTTP status of its code; each
operation lists the codes it can give. An unknown path under /v1/ answers 404 with 50016, a
known path with another method 405 with 50018. The whole reference, with delivery statuses and
callbacks, is docs/api.md in the source tree.
"""
