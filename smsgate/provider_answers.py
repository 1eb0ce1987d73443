"""What providers answer smsgate: the result of each submit, delivery reports, and replies from
handsets; and whether a result ends its message.

Plain data below every slice: delivery's providers and router make them, and the worker, the
message story, the metrics and the replies read them without importing delivery.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Via:
    """How the router placed a message (for its story): the route it matched, the provider
    that gave the result, and the providers it failed over from in the same pass, each with
    the transport failure that moved it on."""

    route: str | None  # the route's `match`; None when no route fits
    provider: str | None
    failed_over: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Accepted:
    """The provider took the message; its final status comes later as a delivery report."""

    provider_message_id: str | None
    # A long SMS sent as several parts: every part's id, each of which may get its own report.
    part_ids: tuple[str, ...] = ()
    provider: str = ""  # which provider took it, filled in by the router
    via: Via | None = None  # filled in by the router


@dataclass(frozen=True, slots=True)
class Rejected:
    """The provider refused this message for good; `report_status` is its JSMS status."""

    report_status: int
    reason: str
    via: Via | None = None  # filled in by the router


@dataclass(frozen=True, slots=True)
class TryLater:
    """A transport problem: the message may go through on another try or another provider."""

    reason: str
    via: Via | None = None  # filled in by the router


SubmitResult = Accepted | Rejected | TryLater


@dataclass(frozen=True, slots=True)
class ProviderReport:
    """A delivery report as the provider names the message: by the id its submit returned
    (its own message id, or smsgate's msg_id for providers that know it)."""

    provider_message_id: str
    report_status: int  # JSMS report status, 4001 delivered ... 4100 other error
    # Other spellings the id may have been recorded under (hex / decimal, leading zeros).
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InboundSms:
    """A reply (MO) a handset sent to one of our source numbers."""

    to: str  # the number or short code it was sent to, as the carrier gives it
    mobile: str  # the sender, E.164
    text: str


def fails_for_good(result: SubmitResult, attempts: int, max_attempts: int) -> bool:
    """Whether a try that was not accepted ends the message: the provider refused it, or it was
    the last try allowed."""
    return isinstance(result, Rejected) or attempts >= max_attempts
