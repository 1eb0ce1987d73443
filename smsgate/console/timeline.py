"""A message's timeline, for its console page: the message's story (smsgate/story),
the same one `smsgate messages show` prints, with numbers masked."""

from dataclasses import dataclass

from smsgate.db.engine import Database
from smsgate.story.service import message_story


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: int
    what: str  # accepted, submitted, failover, receipt, final, callback, verify, ...
    detail: str


async def load_timeline(db: Database, msg_id: str) -> list[TimelineEvent]:
    """The events of one message in the order they happened; none when it has no story."""
    story = await message_story(db, msg_id)
    if story is None:
        return []
    return [TimelineEvent(entry.at, entry.event, _detail(entry.details)) for entry in story.entries]


def _detail(details: dict[str, object]) -> str:
    """`key value · key value`, leaving out what is empty."""
    return " · ".join(
        f"{key} {value}" for key, value in details.items() if value not in (None, "", [], {})
    )
