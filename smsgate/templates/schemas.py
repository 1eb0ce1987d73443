"""The wire shapes of the template requests and answers (jsms-api.md §2.12-2.14)."""

from typing import Any, TypedDict

from smsgate.errors import Code, JsmsError
from smsgate.lenient import optional_int
from smsgate.templates.service import TemplateDraft


class TemplateCreated(TypedDict):
    temp_id: int


class TemplateShown(TypedDict):
    temp_id: int
    template: str
    type: int
    ttl: int
    remark: str
    status: int  # 0 in review, 1 approved, 2 rejected


def template_draft(body: dict[str, Any]) -> TemplateDraft:
    """The fields of a create or change body; a `temp_id` in it is ignored (Java sends 0)."""
    return TemplateDraft(
        template_type=optional_int(body, "type", Code.WRONG_TEMPLATE_TYPE),
        text=_text(body, "template"),
        ttl=optional_int(body, "ttl", Code.INVALID_TTL),
        remark=_text(body, "remark"),
    )


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise JsmsError(Code.INVALID_BODY, f"{key} must be a string")
