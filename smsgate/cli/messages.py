"""`smsgate messages`: a message's whole story, and searching messages and refused sends.

Numbers are masked (country code and last four digits) unless `--show-numbers` is given: what
support reads or pastes into a ticket should not carry a subscriber's whole number.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from smsgate import clock
from smsgate.cli.failures import Refused
from smsgate.cli.options import small_number
from smsgate.cli.review_filters import AppFilter, chosen_app_id
from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.mobiles import normalise_mobile
from smsgate.story.repository import Filters
from smsgate.story.service import STATUSES, Story, message_story, search_messages

messages_cli = typer.Typer(no_args_is_help=True, help="Messages: their story, and search.")

ShowNumbers = Annotated[
    bool, typer.Option("--show-numbers", help="Whole numbers instead of masked ones.")
]
MAX_LIMIT = 1000
_AGO = re.compile(r"(\d{1,6})([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def since_ms(value: str | None) -> int | None:
    """`--since`: an ISO 8601 time (UTC unless it names its offset) or an age: 30s, 15m, 2h,
    3d."""
    if value is None:
        return None
    text = value.strip()
    ago = _AGO.fullmatch(text)
    if ago:
        return clock.now_ms() - int(ago.group(1)) * _UNIT_SECONDS[ago.group(2)] * 1000
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            "an ISO 8601 time (2026-11-26T14:00:00Z) or an age (30s, 15m, 2h, 3d)",
            param_hint="--since",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))


def _details(values: dict[str, Any]) -> str:
    parts = []
    for key, value in values.items():
        if value is None or key in ("at", "event", "request_id"):
            continue
        shown = ",".join(map(str, value)) if isinstance(value, list) else value
        parts.append(f"{key}={shown}")
    return " ".join(parts)


def story_text(story: Story) -> str:
    status = story.status + (f" ({story.report_status})" if story.report_status else "")
    lines = [f"msg_id {story.msg_id}  app {story.app_key or '-'}  status {status}"]
    for entry in story.entries:
        request = f"  request={entry.request_id}" if entry.request_id else ""
        lines.append(f"{when(entry.at)}  {entry.event:<16}  {_details(entry.details)}{request}")
    return "\n".join(lines)


@messages_cli.command("show")
def messages_show(
    msg_id: Annotated[str, typer.Argument(help="The msg_id an API call answered.")],
    show_numbers: ShowNumbers = False,
    as_json: JsonFlag = False,
) -> None:
    """Everything that happened to one message, in order: accepted (or refused), each delivery
    try, failover, receipt, the final status, each callback try and each code check."""

    async def work(ctx: Context) -> Story | None:
        return await message_story(ctx.db, msg_id.strip(), show_numbers=show_numbers)

    story = run_job(work)
    if story is None:
        raise Refused(f"no message and no refused send has the msg_id {msg_id!r}")
    data = story.as_json()
    data["events"] = [_timed(event) for event in data["events"]]
    emit(data, as_json, story_text(story))


def _timed(item: dict[str, Any]) -> dict[str, Any]:
    """JSON output: `at` as an ISO 8601 time, `at_ms` as epoch milliseconds."""
    return {"at": when(item["at"]), "at_ms": item["at"]} | {
        key: value for key, value in item.items() if key != "at"
    }


def _search_line(found: dict[str, Any]) -> str:
    code = found.get("report_status") if found["status"] != "refused" else found["error_code"]
    rest = found.get("rule") if found["status"] == "refused" else found.get("provider")
    return (
        f"{when(found['at'])}  {found['status']:<9}  {code or '-':<5}  "
        f"{found['msg_id'] or '-':<36}  {found['app_key'] or '-'}  {found['kind']}  "
        f"{found['mobile'] or '-'}  {rest or ''}"
    ).rstrip()


@messages_cli.command("search")
def messages_search(
    mobile: Annotated[str | None, typer.Option(help="Only this number.")] = None,
    app: AppFilter = None,
    status: Annotated[
        str | None,
        typer.Option(help="accepted, submitted, delivered, failed or refused; default: all."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only since then: an ISO 8601 time, or 30s, 15m, 2h, 3d.")
    ] = None,
    limit: Annotated[
        int, small_number(1, MAX_LIMIT, "--limit", help_text=f"At most this many (1-{MAX_LIMIT}).")
    ] = 20,
    show_numbers: ShowNumbers = False,
    as_json: JsonFlag = False,
) -> None:
    """Messages and refused sends, newest first."""
    if status is not None and status not in STATUSES:
        raise typer.BadParameter(", ".join(STATUSES), param_hint="--status")
    start = since_ms(since)

    async def work(ctx: Context) -> list[dict[str, Any]]:
        number = normalise_mobile(mobile) if mobile else None
        filters = Filters(number, await chosen_app_id(ctx, app), status, start, limit)
        return await search_messages(ctx.db, filters, show_numbers=show_numbers)

    found = run_job(work)
    lines = "\n".join(_search_line(item) for item in found) or "(none)"
    emit([_timed(item) for item in found], as_json, lines)
