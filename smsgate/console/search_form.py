"""What the search pages share: their query string, times typed in a `datetime-local` field,
and pages of a fixed number of rows."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

from smsgate.apps import service as app_service
from smsgate.db.engine import Database
from smsgate.errors import JsmsError
from smsgate.mobiles import normalise_mobile

Row = TypeVar("Row")
NO_APP = -1  # an appKey no app has: nothing matches
PAGE_ROWS = 50
MAX_PAGE = 1000  # beyond this an operator narrows the search instead


def query_of(request: Request) -> dict[str, str]:
    """The search fields as given, trimmed and bounded."""
    return {key: value.strip()[:64] for key, value in request.query_params.items()}


def search_text(request: Request) -> str:
    """The one free-text field (`q`) of the list pages, trimmed and bounded."""
    return request.query_params.get("q", "").strip()[:100]


def form_time(text: str) -> int | None:
    """A `datetime-local` field (read as UTC) in epoch ms; None when empty or unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return int(moment.replace(tzinfo=moment.tzinfo or UTC).timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class Paging:
    """Page `number` (from 1) of a search whose fields are `query`."""

    number: int
    query: dict[str, str]

    @property
    def offset(self) -> int:
        return (self.number - 1) * PAGE_ROWS

    @property
    def limit(self) -> int:
        """One row more than shown: whether a next page exists, without counting."""
        return PAGE_ROWS + 1

    def split(self, found: Sequence[Row]) -> tuple[Sequence[Row], bool]:
        """The rows to show of what `limit` fetched, and whether a next page exists."""
        return found[:PAGE_ROWS], len(found) > PAGE_ROWS

    def link(self, number: int) -> str:
        return "?" + urlencode({**self.query, "page": str(number)})


def paging_of(query: dict[str, str]) -> Paging:
    text = query.get("page", "1")
    number = int(text) if text.isdigit() else 1
    return Paging(min(max(number, 1), MAX_PAGE), {k: v for k, v in query.items() if k != "page"})


async def app_filter(db: Database, app_key: str) -> int | None:
    """The app id an appKey field asks for; None when empty, NO_APP when no app has it."""
    if not app_key:
        return None
    try:
        return (await app_service.find_app(db, app_key)).id
    except app_service.UnknownApp:
        return NO_APP


def mobile_filter(text: str) -> tuple[str | None, bool]:
    """(the number in E.164 or None when empty, whether it was unreadable)."""
    if not text:
        return None, False
    try:
        return normalise_mobile(text), False
    except JsmsError:
        return None, True
