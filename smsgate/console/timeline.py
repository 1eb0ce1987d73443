"""A message's timeline, for its console page: the one place that loads it.

Built today from what the messages table records (accepted, handed to a provider, the final
report). When smsgate records each message's whole story, this function reads the story
instead and the page shows it unchanged.
"""

from dataclasses import dataclass

from smsgate.messages.lookup import MessageDetail


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: int
    what: str  # accepted, submitted, report, verified
    detail: str


def load_timeline(detail: MessageDetail) -> list[TimelineEvent]:
    """The events of one message, oldest first."""
    message = detail.message
    events = [
        TimelineEvent(
            message.created_at,
            "accepted",
            f"{message.kind} · {message.segments} part(s) · "
            f"{message.quota_units} unit(s) from {message.quota_category or 'unmetered'}",
        )
    ]
    if message.submitted_at is not None:
        events.append(TimelineEvent(message.submitted_at, "submitted", message.provider or ""))
    for part in detail.provider_ids:
        if part.report_status is not None:
            events.append(
                TimelineEvent(
                    message.reported_at or part.created_at,
                    "report",
                    f"{part.provider} {part.report_status}",
                )
            )
    if message.reported_at is not None and not any(e.what == "report" for e in events):
        events.append(TimelineEvent(message.reported_at, "report", str(message.report_status)))
    if detail.code is not None and detail.code.verified_at is not None:
        events.append(TimelineEvent(detail.code.verified_at, "verified", ""))
    return sorted(events, key=lambda event: event.at)
