"""Control characters in text that smsgate stores or sends.

PostgreSQL cannot store NUL in text at all, no handset shows a control character, and a lone
surrogate is no character. Text carrying any of them (C0 and C1 controls and DEL, but tab and
line breaks, which are ordinary text; lone surrogates) is refused where it enters, with the
field's JSMS error, before anything is written: every backend answers alike.
"""

import re

from smsgate.errors import JsmsError

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def refuse_control_characters(text: str, error: int) -> str:
    """`text` itself, or JsmsError(error) when it carries a control character."""
    if _CONTROL.search(text) is not None:
        raise JsmsError(error, "control character in text")
    return text
