"""`send_time`: "yyyy-MM-dd HH:mm:ss" on the wall clock of the schedule zone (Asia/Shanghai by
default, JSMS being a Chinese service), epoch milliseconds UTC inside."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from smsgate.errors import Code, JsmsError
from smsgate.settings import Settings

_FORMAT = "%Y-%m-%d %H:%M:%S"
_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)


def schedule_zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.schedule_timezone or settings.timezone)


def parse_send_time(value: object, zone: ZoneInfo, now_ms: int) -> int:
    """Epoch milliseconds of a future `send_time`; 50027 when missing, malformed, a wall-clock
    time the zone skips (a daylight-saving gap), beyond what a date can hold, or not after now."""
    if not isinstance(value, str) or not _SHAPE.fullmatch(value.strip()):
        raise JsmsError(Code.INVALID_SEND_TIME)
    text = value.strip()
    try:
        local = datetime.strptime(text, _FORMAT).replace(tzinfo=zone)
        send_at = int(local.timestamp()) * 1000
        shown = format_send_time(send_at, zone)
    except (ValueError, OverflowError):
        # Not a date, or one whose UTC time falls outside years 1-9999 (0001-01-01 east of
        # Greenwich, 9999-12-31 west of it): no schedule can be kept for it.
        raise JsmsError(Code.INVALID_SEND_TIME) from None
    if shown != text:  # fell into a gap: the zone never shows it
        raise JsmsError(Code.INVALID_SEND_TIME)
    if send_at <= now_ms:
        raise JsmsError(Code.INVALID_SEND_TIME)
    return send_at


def format_send_time(send_at_ms: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(send_at_ms / 1000, zone).strftime(_FORMAT)
