"""Template text: `{{name}}` placeholders, the JSMS rules for them, and rendering."""

import re
from collections.abc import Mapping

from smsgate.control_characters import refuse_control_characters
from smsgate.errors import Code, JsmsError

MAX_TEMPLATE_LENGTH = 350
_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_]*[A-Za-z0-9])?")
_SPECIAL_BRACKETS = ("【", "】")
_LINK_WORDS = ("url", "link", "href")
_REMARK_LINK = re.compile(r"https?://", re.IGNORECASE)


def placeholders(template: str) -> list[str]:
    """Placeholder names in order of appearance, repeats included."""
    return _PLACEHOLDER.findall(template)


def lint_template(template: str, template_type: int, remark: str) -> None:
    """Raise the JSMS error for the first rule the template breaks (jsms-api.md §2.12, §5.1)."""
    if template_type not in (1, 2, 3):
        raise JsmsError(Code.WRONG_TEMPLATE_TYPE)
    if not template.strip():
        raise JsmsError(Code.TEMPLATE_EMPTY)
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise JsmsError(Code.TEMPLATE_TOO_LONG)
    if any(bracket in template for bracket in _SPECIAL_BRACKETS):
        raise JsmsError(Code.TEMPLATE_SPECIAL_SYMBOL)
    refuse_control_characters(template, Code.TEMPLATE_SPECIAL_SYMBOL)
    refuse_control_characters(remark, Code.INVALID_BODY)
    names = placeholders(template)
    leftover = _PLACEHOLDER.sub("", template)
    if "{{" in leftover or "}}" in leftover or "{{{" in template or "}}}" in template:
        raise JsmsError(Code.TEMPLATE_PARAMETER_INVALID)
    if template_type == 1:
        if not names or any(name != "code" for name in names):
            raise JsmsError(Code.TEMPLATE_PARAMETER_INVALID)
        return
    if any(not _NAME.fullmatch(name) for name in names):
        raise JsmsError(Code.TEMPLATE_PARAMETER_INVALID)
    if any(is_link_placeholder(name) for name in names) and not _REMARK_LINK.search(remark):
        raise JsmsError(Code.SPECIAL_PARAMETER_NEEDS_REMARK)


def is_link_placeholder(name: str) -> bool:
    """Whether a placeholder carries a link (§5.1 names it `url`): any spelling of url, link or
    href in its name, in any case (`URL`, `Link`, `shortUrl`, `pay_link`)."""
    folded = name.casefold()
    return any(word in folded for word in _LINK_WORDS)


def render_template(template: str, params: Mapping[str, str | None]) -> str:
    """Fill every placeholder: 50023 when parameters are needed but none came, 50022 when some
    placeholder has no value."""
    names = placeholders(template)
    if not names:
        return template
    if not any(value is not None for value in params.values()):
        raise JsmsError(Code.PARAMETERS_EMPTY)
    missing = [name for name in names if params.get(name) is None]
    if missing:
        raise JsmsError(Code.PARAMETERS_NOT_ALL_REPLACED)
    return _PLACEHOLDER.sub(lambda match: str(params[match.group(1)]), template)


def has_special_brackets(text: str) -> bool:
    return any(bracket in text for bracket in _SPECIAL_BRACKETS)
