"""SMPP delivery receipts: the text, the TLVs, id spellings and JSMS statuses."""

import pytest

from smsgate.delivery.providers.smpp.receipts import (
    STAT_TO_REPORT_STATUS,
    TLV_MESSAGE_STATE,
    TLV_RECEIPTED_MESSAGE_ID,
    canonical_id,
    id_spellings,
    is_receipt,
    parse_receipt_text,
    read_receipt,
    receipt_report,
)
from smsgate.provider_answers import ProviderReport

TEXT = (
    b"id:0000ABC001 sub:001 dlvrd:001 submit date:2611261200 done date:2611261201 "
    b"stat:DELIVRD err:000 text:Your code is 1234"
)


def test_the_receipt_text_is_read_field_by_field() -> None:
    assert parse_receipt_text(TEXT.decode()) == {
        "id": "0000ABC001",
        "sub": "001",
        "dlvrd": "001",
        "submit date": "2611261200",
        "done date": "2611261201",
        "stat": "DELIVRD",
        "err": "000",
        "text": "Your code is 1234",
    }


def test_field_names_in_any_case_and_text_holding_colons() -> None:
    fields = parse_receipt_text("ID:17 SUB:1 Stat:undeliv Err:012 Text:id:99 stat:DELIVRD")
    assert (fields["id"], fields["stat"], fields["err"]) == ("17", "undeliv", "012")
    assert fields["text"] == "id:99 stat:DELIVRD"


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [("0000abc001", "ABC001"), (" ABC001\x00", "ABC001"), ("000", "0"), ("12", "12"), ("", "")],
)
def test_one_canonical_spelling(spelling: str, canonical: str) -> None:
    assert canonical_id(spelling) == canonical


def test_other_bases_are_offered_as_spellings() -> None:
    assert id_spellings("0000002748") == ["2748", "ABC", "10056"]
    assert id_spellings("abc") == ["ABC", "2748"]
    assert id_spellings("msg-1") == ["MSG-1"]


@pytest.mark.parametrize(
    ("stat", "status"),
    [
        ("DELIVRD", 4001),
        ("EXPIRED", 4003),
        ("UNDELIV", 4003),
        ("REJECTD", 4002),
        ("DELETED", 4100),
        ("UNKNOWN", 4100),
        ("NONSENSE", 4100),
    ],
)
def test_final_stats_map_to_jsms_statuses(stat: str, status: int) -> None:
    receipt = f"id:7 sub:001 dlvrd:000 stat:{stat} err:000 text:x".encode()
    assert receipt_report(receipt, []) == ProviderReport("7", status)


@pytest.mark.parametrize("stat", ["ACCEPTD", "ENROUTE"])
def test_pending_stats_are_not_reports(stat: str) -> None:
    assert STAT_TO_REPORT_STATUS[stat] is None
    assert receipt_report(f"id:7 stat:{stat}".encode(), []) is None


def test_tlvs_win_over_the_text() -> None:
    tlvs = [(TLV_RECEIPTED_MESSAGE_ID, b"abc001\x00"), (TLV_MESSAGE_STATE, bytes([5]))]
    report = receipt_report(TEXT.replace(b"0000ABC001", b"11255809"), tlvs)
    assert report is not None
    assert (report.provider_message_id, report.report_status) == ("ABC001", 4003)
    assert "11255809" in report.aliases  # the text's decimal spelling matches too


def test_a_decimal_text_id_offers_its_hex_spelling() -> None:
    report = receipt_report(TEXT.replace(b"0000ABC001", b"0011255809"), [])
    assert report is not None
    assert report.provider_message_id == "11255809"
    assert "ABC001" in report.aliases


def test_a_receipt_without_an_id_is_no_report() -> None:
    assert read_receipt(b"stat:DELIVRD", []) is None
    assert receipt_report(b"garbage", []) is None


@pytest.mark.parametrize(
    ("esm_class", "receipt"),
    [(0x04, True), (0x44, True), (0x20, True), (0x00, False), (0x40, False)],
)
def test_receipts_are_told_from_replies_by_esm_class(esm_class: int, receipt: bool) -> None:
    assert is_receipt(esm_class) is receipt
