"""The server-wide list of high-risk ranges: shipped in high_risk_ranges.txt, extended by the
file named in `fraud_high_risk_file`. A number in one is refused unless its app allows the range
by prefix (`smsgate app update --allow-prefix`)."""

from functools import lru_cache
from importlib import resources
from pathlib import Path

from smsgate.fraud.prefixes import parse_prefix


def high_risk_ranges(extra_file: Path | None) -> tuple[str, ...]:
    """The built-in ranges and the operator's own, longest first."""
    return _load(str(extra_file) if extra_file else None)


@lru_cache(maxsize=4)
def _load(extra_file: str | None) -> tuple[str, ...]:
    text = resources.files("smsgate.fraud").joinpath("high_risk_ranges.txt").read_text("utf-8")
    if extra_file:
        text += "\n" + Path(extra_file).read_text("utf-8")
    ranges = {parse_prefix(line) for line in _entries(text)}
    return tuple(sorted(ranges, key=lambda prefix: (-len(prefix), prefix)))


def _entries(text: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]
