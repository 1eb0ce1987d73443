"""The one source of the current time, so tests can move it.

Times inside smsgate are integers: milliseconds since the epoch, UTC (the unit JSMS uses on the
wire).
"""

import time


def now_ms() -> int:
    """Milliseconds since the epoch, UTC."""
    return time.time_ns() // 1_000_000
