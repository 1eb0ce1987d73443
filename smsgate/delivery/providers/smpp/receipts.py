"""Delivery receipts: the receipt text, the receipt TLVs, and message ids in one spelling.

SMSCs disagree on how they spell a message id: submit_sm_resp may give "0A3F" while the receipt
text says "2623" (the same number in decimal, as SMPP 3.4 Appendix B suggests) or "00000A3F".
smsgate records every id in its canonical form (`canonical_id`) and sends a receipt's other
plausible spellings along as aliases, for the events to match the recorded one.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from smsgate.provider_answers import ProviderReport
from smsgate.report_status import ReportStatus

TLV_RECEIPTED_MESSAGE_ID, TLV_MESSAGE_STATE = 0x001E, 0x0427
ESM_TYPE_MASK = 0x3C  # bits 5-2 of esm_class: the message type (SMPP 3.4 §5.2.12)
ESM_DELIVERY_RECEIPT, ESM_INTERMEDIATE_NOTIFICATION = 0x04, 0x20

DELIVERED, HANDSET_PROBLEM, BLACKLISTED, OTHER_ERROR = (
    ReportStatus.DELIVERED,
    ReportStatus.HANDSET_PROBLEM,
    ReportStatus.BLACKLISTED,
    ReportStatus.OTHER_ERROR,
)

# Receipt `stat:` values (SMPP 3.4 Appendix B) to JSMS report statuses (jsms-api.md §4.3).
# None: not final (the carrier still has the message); such receipts are ignored.
STAT_TO_REPORT_STATUS: dict[str, int | None] = {
    "DELIVRD": DELIVERED,  # delivered to the handset
    "EXPIRED": HANDSET_PROBLEM,  # validity ran out: the handset was off or out of coverage
    "UNDELIV": HANDSET_PROBLEM,  # the network could not deliver it to the handset
    "REJECTD": BLACKLISTED,  # the carrier refused the number (barred, blacklisted)
    "DELETED": OTHER_ERROR,  # deleted at the SMSC before delivery
    "UNKNOWN": OTHER_ERROR,  # the SMSC lost track of it
    "ACCEPTD": None,  # accepted on the handset owner's behalf: still pending
    "ENROUTE": None,
}
# message_state TLV values (SMPP 3.4 §5.2.28) by the stat spelling they stand for.
MESSAGE_STATE_TO_STAT = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
_FIELD = re.compile(r"\b(id|sub|dlvrd|submit date|done date|stat|err|text):", re.IGNORECASE)
_HEX = re.compile(r"[0-9A-F]+")


def canonical_id(message_id: str) -> str:
    """The one spelling smsgate records: trimmed, upper case, no leading zeros."""
    cleaned = message_id.strip().strip("\x00").upper()
    stripped = cleaned.lstrip("0")
    return stripped or ("0" if cleaned else "")


def id_spellings(message_id: str) -> list[str]:
    """The canonical id and what it would be if the other side wrote the number in the other
    base (decimal read as hex and hex read as decimal)."""
    canonical = canonical_id(message_id)
    spellings = [canonical]
    if canonical.isdigit():
        spellings.append(format(int(canonical), "X"))  # receipt in decimal, submit id in hex
    if _HEX.fullmatch(canonical):
        spellings.append(str(int(canonical, 16)))  # receipt in hex, submit id in decimal
    return list(dict.fromkeys(s for s in spellings if s))


def parse_receipt_text(text: str) -> dict[str, str]:
    """The fields of "id:... sub:... dlvrd:... submit date:... done date:... stat:... err:...
    text:..."; keys lower case, `text` runs to the end (it may hold spaces)."""
    fields: dict[str, str] = {}
    matches = list(_FIELD.finditer(text))
    for index, match in enumerate(matches):
        key = match.group(1).lower()
        if key == "text":
            fields.setdefault(key, text[match.end() :])
            break
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        fields.setdefault(key, text[match.end() : end].strip())
    return fields


@dataclass(frozen=True, slots=True)
class Receipt:
    message_id: str  # canonical
    stat: str
    error: str


def read_receipt(short_message: bytes, tlvs: Sequence[tuple[int, bytes]]) -> Receipt | None:
    """A receipt from its TLVs, falling back to its text; None when it names no message.
    The TLVs win where both exist: they are typed, the text is free-form."""
    fields = parse_receipt_text(short_message.decode("latin-1"))
    values = dict(tlvs)
    message_id = fields.get("id", "")
    if TLV_RECEIPTED_MESSAGE_ID in values:
        message_id = values[TLV_RECEIPTED_MESSAGE_ID].split(b"\x00", 1)[0].decode("latin-1")
    stat = fields.get("stat", "").upper()
    state = values.get(TLV_MESSAGE_STATE, b"")
    if len(state) == 1 and state[0] in MESSAGE_STATE_TO_STAT:
        stat = MESSAGE_STATE_TO_STAT[state[0]]
    if not canonical_id(message_id):
        return None
    return Receipt(canonical_id(message_id), stat or "UNKNOWN", fields.get("err", ""))


def receipt_report(
    short_message: bytes, tlvs: Sequence[tuple[int, bytes]]
) -> ProviderReport | None:
    """The final status a receipt reports, or None (not final, or it names no message).
    Aliases carry the text's id too when it is spelt differently from the TLV's."""
    receipt = read_receipt(short_message, tlvs)
    if receipt is None:
        return None
    status = STAT_TO_REPORT_STATUS.get(receipt.stat, OTHER_ERROR)
    if status is None:
        return None
    text_id = parse_receipt_text(short_message.decode("latin-1")).get("id", "")
    spellings = id_spellings(receipt.message_id)
    if text_id:
        spellings += [s for s in id_spellings(text_id) if s not in spellings]
    return ProviderReport(receipt.message_id, status, aliases=tuple(spellings[1:]))


def is_receipt(esm_class: int) -> bool:
    return esm_class & ESM_TYPE_MASK in (ESM_DELIVERY_RECEIPT, ESM_INTERMEDIATE_NOTIFICATION)
