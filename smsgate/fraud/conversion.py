"""The conversion rule: the share of codes verified, per country and per range, over a sliding
window. Pumped codes are never verified; when the share collapses for a scope with enough
samples, the scope is throttled (a trickle still passes, so real users there can verify and
the share heal), and it recovers by itself once it is back above the threshold.

Codes younger than the grace period are left out: nobody has had time to type them yet.
"""

from dataclasses import dataclass

RANGE_CONVERSION = "prefix conversion"
COUNTRY_CONVERSION = "country conversion"


@dataclass(frozen=True, slots=True)
class Conversion:
    sent: int
    verified: int

    @property
    def ratio(self) -> float | None:
        return self.verified / self.sent if self.sent else None


@dataclass(frozen=True, slots=True)
class Window:
    """Buckets starting in [first, last] (epoch ms) count."""

    first: int
    last: int


def bucket_of(at_ms: int, bucket_seconds: int) -> int:
    size = bucket_seconds * 1000
    return at_ms - at_ms % size


def settled_window(now_ms: int, window_s: int, grace_s: int, bucket_s: int) -> Window:
    """The whole buckets that began within the window and ended before the grace period."""
    size = bucket_s * 1000
    last = bucket_of(now_ms - grace_s * 1000, bucket_s) - size
    return Window(first=bucket_of(now_ms - window_s * 1000, bucket_s) + size, last=last)


def collapsed(conversion: Conversion, min_samples: int, threshold: float) -> bool:
    """Enough codes settled and too few of them verified."""
    ratio = conversion.ratio
    return conversion.sent >= min_samples and ratio is not None and ratio < threshold
