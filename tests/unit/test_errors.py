"""The JSMS error table: 50001-50023 exactly as the original document has them, the rest as the
complete reference lists them (jsms-api.md §3)."""

import re
from pathlib import Path

import pytest

from smsgate.errors import ERRORS, JsmsError, error_envelope

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "shared" / "reference"
SEED = REFERENCE_DIR / "seed-jsms-v1.md"
FULL = REFERENCE_DIR / "jsms-api.md"


def _table(path: Path) -> dict[int, tuple[int, str]]:
    """Rows of `|HTTP|CODE|MESSAGE|...` with a 5-digit code, as {code: (status, message)}.

    Cells are stripped at the ends only, so a message's inner spacing is kept.
    """
    if not path.is_file():
        pytest.skip(f"{path} is absent: the reference documents live beside the clone in CI")
    rows: dict[int, tuple[int, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if (
            len(cells) >= 3
            and re.fullmatch(r"\d{3}", cells[0])
            and re.fullmatch(r"5\d{4}", cells[1])
        ):
            rows[int(cells[1])] = (int(cells[0]), cells[2])
    return rows


@pytest.fixture(scope="module")
def seed_table() -> dict[int, tuple[int, str]]:
    rows = _table(SEED)
    assert set(range(50000, 50024)) <= set(rows), "the seed table did not parse"
    return rows


@pytest.fixture(scope="module")
def full_table() -> dict[int, tuple[int, str]]:
    rows = _table(FULL)
    assert len(rows) > 50, "the jsms-api.md §3 table did not parse"
    return rows


@pytest.mark.parametrize("code", range(50001, 50024))
def test_seed_codes_match_exactly(code: int, seed_table: dict[int, tuple[int, str]]) -> None:
    status, message = seed_table[code]
    assert code in ERRORS
    assert ERRORS[code].http_status == status
    assert ERRORS[code].message == message
    error = JsmsError(code)
    assert error.http_status == status
    assert error.message == message
    assert error.envelope() == {"error": {"code": code, "message": message}}


def test_seed_quirks_are_kept_verbatim() -> None:
    assert ERRORS[50005].message == "missing  temp_id"
    assert ERRORS[50020].message == "template audited"
    assert ERRORS[50001].http_status == 400
    assert ERRORS[50002].http_status == 401


def test_every_later_code_matches_the_full_reference(
    seed_table: dict[int, tuple[int, str]], full_table: dict[int, tuple[int, str]]
) -> None:
    later = {code: row for code, row in full_table.items() if code > 50023}
    assert later
    for code, (status, message) in later.items():
        assert code in ERRORS, code
        assert ERRORS[code] == (status, message), code
    assert set(ERRORS) == set(later) | set(range(50001, 50024))


@pytest.mark.parametrize("code", [50032, 50048, 50049, 50050, 50051, 50055, 50099, 50100])
def test_unassigned_codes_are_not_invented(code: int) -> None:
    assert code not in ERRORS
    with pytest.raises(ValueError):
        JsmsError(code)


@pytest.mark.parametrize("code", [0, 50000, 40000, 99999])
def test_unknown_codes_are_refused(code: int) -> None:
    with pytest.raises(ValueError):
        JsmsError(code)


def test_statuses_are_http_error_statuses() -> None:
    for code, spec in ERRORS.items():
        assert 400 <= spec.http_status < 600, code
        assert spec.message and spec.message == spec.message.strip(), code


def test_error_carries_detail_without_changing_the_wire_message() -> None:
    error = JsmsError(50007, "body too large")
    assert error.code == 50007
    assert error.detail == "body too large"
    assert error.message == "invalid body"
    assert error.envelope() == {"error": {"code": 50007, "message": "invalid body"}}
    assert "body too large" in str(error)
    assert error_envelope(50009) == {"error": {"code": 50009, "message": "out of freq"}}
