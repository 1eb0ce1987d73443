"""The rule-based review of templates (SMSGATE_AUTO_REVIEW): what a careful operator checks before
approving, as rules that each explain themselves when they fail.

The hard rules of jsms-api.md (placeholder syntax, 350 characters as written, 【】, sensitive
words in the text, a link for `{{url}}`) refuse a template outright with their error code before
it gets here. These rules judge what such a template would look like on a handset:

- length: the whole SMS, with each placeholder filled by a value of typical length, fits 350;
- placeholders: no two side by side (a carrier cannot tell where one value ends), and some fixed
  wording besides them (a template of placeholders alone would let any text through);
- sensitive words: none in the remark either;
- links: every link written in the text is declared in the remark, none points to a link
  shortener or a bare IP address.

A template that passes every rule is approved at once; one that fails any is rejected with a
reason naming every failed rule, so the developer can fix all of them in one change.
"""

import re
from dataclasses import dataclass

from smsgate.content.sensitive_words import find_sensitive_words
from smsgate.settings import Settings
from smsgate.templates.rendering import placeholders

MAX_SMS_LENGTH = 350
# A value of typical length per placeholder; a code is as long as the codes smsgate makes.
PLACEHOLDER_ALLOWANCE = 20
MIN_FIXED_WORDING = 2
SHORTENER_HOSTS = frozenset(
    {"t.cn", "url.cn", "dwz.cn", "suo.im", "bit.ly", "tinyurl.com", "goo.gl", "is.gd", "t.co"}
)
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s，。！？、；：“”‘’（）<>\"']+"
    r"|(?<![A-Za-z0-9.@/-])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|cn|net|org|top|xyz|cc|io|me|info)(?![A-Za-z0-9-])"
    r"(?:/[^\s，。！？、；：“”‘’（）<>\"']*)?",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")
_ADJACENT = re.compile(r"\}\}\s*\{\{")
_WORDING = re.compile(r"[\w\u4e00-\u9fff]")
_IP_HOST = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$")


@dataclass(frozen=True, slots=True)
class TemplateUnderReview:
    template_type: int
    text: str
    remark: str
    sign: str  # the longest signature the template may be sent with
    suffix: str  # the unsubscribe wording appended to marketing


def review_findings(template: TemplateUnderReview, settings: Settings) -> list[str]:
    """Every rule the template fails, explained; empty when it may be approved."""
    findings = [
        *_length_findings(template, settings),
        *_placeholder_findings(template.text),
        *_sensitive_findings(template.remark, settings),
        *_link_findings(template.text, template.remark),
    ]
    return list(dict.fromkeys(findings))


def _length_findings(template: TemplateUnderReview, settings: Settings) -> list[str]:
    names = placeholders(template.text)
    filled = _PLACEHOLDER.sub("", template.text)
    values = sum(
        settings.code_length if name == "code" else PLACEHOLDER_ALLOWANCE for name in names
    )
    length = len(f"【{template.sign}】") + len(filled) + values + len(template.suffix)
    if length <= MAX_SMS_LENGTH:
        return []
    return [
        f"length: with its signature, {PLACEHOLDER_ALLOWANCE} characters per parameter and the"
        f" unsubscribe wording the SMS would have {length} characters, over {MAX_SMS_LENGTH}"
    ]


def _placeholder_findings(text: str) -> list[str]:
    findings = []
    if _ADJACENT.search(text):
        findings.append("placeholders: two parameters side by side; put fixed words between them")
    fixed = _LINK.sub("", _PLACEHOLDER.sub("", text))  # a link is not wording either
    if placeholders(text) and len(_WORDING.findall(fixed)) < MIN_FIXED_WORDING:
        findings.append("placeholders: the template is little more than parameters")
    return findings


def _sensitive_findings(remark: str, settings: Settings) -> list[str]:
    words = find_sensitive_words(remark, settings)
    if not words:
        return []
    return [f"sensitive words: the remark contains {', '.join(words)}"]


def _link_findings(text: str, remark: str) -> list[str]:
    findings = []
    declared = remark.casefold()
    for link in _LINK.findall(text):
        if link.casefold() not in declared:
            findings.append(f"links: {link} is in the text but not declared in the remark")
    for link in _LINK.findall(text) + _LINK.findall(remark):
        host = _host(link)
        if host in SHORTENER_HOSTS:
            findings.append(f"links: {link} hides its target behind a link shortener")
        elif _IP_HOST.match(host):
            findings.append(f"links: {link} points to a bare IP address")
    return findings


def _host(link: str) -> str:
    without_scheme = re.sub(r"^https?://", "", link, flags=re.IGNORECASE)
    return without_scheme.split("/", 1)[0].casefold()
