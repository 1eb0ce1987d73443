"""Make the database refuse inserts, for tests of what smsgate logs when a statement fails.

Triggers refuse every row of the outbox (the send path) and of schedules (a statement SQLAlchemy
runs on SQLite too). PostgreSQL's refusal quotes the whole row (number, text, code) in the
database's own message, as an operator's constraint or trigger could.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

REFUSED_TABLES = ("outbox", "schedules")
POSTGRES_REFUSAL = [
    "CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'refused %', NEW; END $$",
    *(
        f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION refuse_row()"
        for table in REFUSED_TABLES
    ),
]
POSTGRES_CLEAN_UP = [
    *(f"DROP TRIGGER refuse_{table} ON {table}" for table in REFUSED_TABLES),
    "DROP FUNCTION refuse_row()",
]
SQLITE_REFUSAL = [
    f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'no'); END"
    for table in REFUSED_TABLES
]
SQLITE_CLEAN_UP = [f"DROP TRIGGER refuse_{table}" for table in REFUSED_TABLES]


def refusal(sqlite: bool) -> tuple[list[str], list[str]]:
    """(statements that install the refusal, statements that remove it)."""
    if sqlite:
        return SQLITE_REFUSAL, SQLITE_CLEAN_UP
    return POSTGRES_REFUSAL, POSTGRES_CLEAN_UP


def tomorrow_in_shanghai() -> str:
    """A schedule's send_time a day ahead."""
    later = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)
    return later.strftime("%Y-%m-%d %H:%M:%S")
