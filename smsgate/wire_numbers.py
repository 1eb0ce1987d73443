"""Named numbers that are shown as the numbers themselves.

JSMS error codes, report statuses and review states travel as plain integers on the wire, in the
database and in log lines. An `IntEnum` already serialises to JSON and formats as its number,
but its repr, which log renderers use, is `<ReportStatus.DELIVERED: 4001>`; these read `4001`.
"""

from enum import IntEnum


class WireNumber(IntEnum):
    def __repr__(self) -> str:
        return int.__repr__(self)
