"""Spend-cap windows: clock hours, and days in the server's time zone. A window clears on its
own: the next one starts at zero."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

HOUR_MS = 3600 * 1000


def window_start(period: str, now_ms: int, zone: str) -> int:
    """Start (epoch ms) of the hourly or daily window holding `now_ms`."""
    if period == "hourly":
        return now_ms - now_ms % HOUR_MS
    local = datetime.fromtimestamp(now_ms / 1000, ZoneInfo(zone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp() * 1000)


def window_end(period: str, start_ms: int, zone: str) -> int:
    """Start of the next window (a day may have 23 or 25 hours where clocks change)."""
    if period == "hourly":
        return start_ms + HOUR_MS
    local = datetime.fromtimestamp(start_ms / 1000, ZoneInfo(zone))
    following = (local + timedelta(days=1, hours=3)).replace(hour=0, minute=0)
    return int(following.timestamp() * 1000)
