"""Reading the console's pages in tests: the ids a table lists, in order."""

import re
from datetime import UTC, datetime

import httpx
import pytest

from smsgate.console import search_form


def listed(page: httpx.Response, attribute: str) -> list[str]:
    """The values of `data-<attribute>` on the page's table rows, top to bottom."""
    assert page.status_code == 200, page.text
    return re.findall(rf'<tr data-{attribute}="([^"]+)"', page.text)


def small_pages(monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    """Pages of `rows` rows, so a few records fill several pages."""
    monkeypatch.setattr(search_form, "PAGE_ROWS", rows)


def field_time(ms: int) -> str:
    """A time as a `datetime-local` field sends it (UTC, to the minute)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M")
