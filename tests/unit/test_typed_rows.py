"""The typed rows repositories return are built by position (`Row._make`), so their fields must
name the columns their queries select, in the same order: a column added to a table, or moved,
fails here rather than shifting every value after it into the wrong field."""

from typing import Any

import pytest
from sqlalchemy import Table

from smsgate.apps import repository as apps
from smsgate.callbacks import repository as callbacks
from smsgate.codes import repository as codes
from smsgate.console import repository as console
from smsgate.db.models import CodeRecord, MessageRecord
from smsgate.devs import repository as devs
from smsgate.fraud import repository as fraud
from smsgate.idempotency import repository as idempotency
from smsgate.messages import repository as messages
from smsgate.messages.schedules import repository as schedules
from smsgate.messages.voice_fallback import repository as fallbacks
from smsgate.reports import repository as reports
from smsgate.signs import repository as signs
from smsgate.story import repository as story
from smsgate.templates import repository as templates


def columns(table: Table, *extra: str) -> tuple[str, ...]:
    return (*(column.key for column in table.c), *extra)


def selected(statement: Any) -> tuple[str, ...]:
    return tuple(str(column.key) for column in statement.selected_columns)


WHOLE_ROWS = [
    (apps.AppRow, columns(apps.APPS)),
    (callbacks.CallbackRow, columns(callbacks.CALLBACKS)),
    (callbacks.OutboxLine, columns(callbacks.OUTBOX, "app_key")),
    (CodeRecord, columns(codes.CODES)),
    (console.OperatorRow, columns(console.OPERATORS)),
    (console.SessionRow, columns(console.SESSIONS, "name")),
    (console.AuditRecord, columns(console.AUDIT)),
    (devs.DevRow, columns(devs.DEVS)),
    (devs.ListedDev, columns(devs.DEVS, "app_count")),
    (fraud.PolicyRow, columns(fraud.POLICIES)),
    (fraud.Attempt, columns(fraud.ATTEMPTS)),
    (fraud.Decision, columns(fraud.EVENTS)),
    (fraud.Spent, columns(fraud.SPEND)),
    (idempotency.StoredAnswer, columns(idempotency.KEYS)),
    (MessageRecord, columns(messages.MESSAGES)),
    (messages.MessageWithKey, columns(messages.MESSAGES, "app_key")),
    (messages.ProviderIdRow, columns(messages.PROVIDER_IDS)),
    (schedules.StoredSchedule, columns(schedules.SCHEDULES)),
    (fallbacks.Fallback, columns(fallbacks.FALLBACKS)),
    (reports.KeptReply, columns(reports.REPLIES)),
    (signs.SignToReview, columns(signs.SIGNS, "app_key")),
    (templates.TemplateRow, columns(templates.TEMPLATES)),
    (templates.TemplateToReview, columns(templates.TEMPLATES, "app_key")),
]

PREBUILT = [
    (apps.AppRow, apps._BY_KEY),
    (CodeRecord, codes._LOCK.statement),
    (CodeRecord, codes._FIND),
    (devs.DevRow, devs._BY_KEY),
    (devs.DevRow, devs._BY_ID),
    (fraud.PolicyRow, fraud._POLICY.statement),
    (fraud.Attempt, fraud._ATTEMPT_OF.statement),
    (idempotency.StoredAnswer, idempotency._FIND),
    (MessageRecord, messages._BY_ID),
    (messages.Finalised, messages._NOT_FINAL),
    (fallbacks.Fallback, fallbacks._LOCK_WAITING),
    (fallbacks.Fallback, fallbacks._BY_MSG_ID),
    (MessageRecord, fallbacks._MESSAGE),
    (CodeRecord, fallbacks._CODE),
    (story.WrittenEvent, story._EVENTS_OF),
    (MessageRecord, story._MESSAGE),
    (templates.TemplateForSend, templates._FOR_SEND.statement),
]


@pytest.mark.parametrize(
    ("row", "names"), WHOLE_ROWS, ids=lambda case: getattr(case, "__name__", None)
)
def test_a_row_of_a_whole_table_names_its_columns_in_order(
    row: Any, names: tuple[str, ...]
) -> None:
    assert row._fields == names


@pytest.mark.parametrize(
    ("row", "statement"), PREBUILT, ids=lambda case: getattr(case, "__name__", None)
)
def test_a_row_of_a_prebuilt_statement_names_what_it_selects(row: Any, statement: Any) -> None:
    assert row._fields == selected(statement)


def test_a_found_message_names_what_the_search_selects() -> None:
    assert story.FoundMessage._fields == tuple(str(c.key) for c in story._FOUND_COLUMNS)
