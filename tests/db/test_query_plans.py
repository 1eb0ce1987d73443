"""The pumping defence's neighbour count reads the index of numbers, on both backends, even on a
table the planner knows nothing about yet (never analysed, as every new deployment's is): read
through the country's index instead, it filtered every recent attempt of the country, a cost
that grows with the traffic of the window."""

from typing import Any

from sqlalchemy import Connection

from smsgate.db import driver
from smsgate.db.engine import Database
from smsgate.db.inserts import FastInsert
from smsgate.db.models import FraudAttempt, table
from smsgate.fraud import repository

ATTEMPTS = table(FraudAttempt)
INSERT = FastInsert(
    ATTEMPTS, ("app_id", "country_code", "national", "number_range", "at", "msg_id")
)


def _attempts(count: int) -> list[dict[str, Any]]:
    """Attempts of one app and country, numbers scattered, half of them accepted."""
    return [
        {
            "app_id": 1,
            "country_code": 86,
            "national": 13_000_000_000 + (n * 7_919_993) % 10**9,
            "number_range": "+86130",
            "at": 1_000 + n,
            "msg_id": f"m{n}" if n % 2 else None,
        }
        for n in range(count)
    ]


def _plan(conn: Connection) -> str:
    """The plan of the neighbour count, as the backend's EXPLAIN prints it."""
    compiled = driver.compile_for(repository._NEIGHBOURS.statement, conn.dialect.name)
    assert compiled is not None
    explain = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
    values = {
        "app_id": 1,
        "country_code": 86,
        "low": 13_500_000_000 - 10,
        "high": 13_500_000_000 + 10,
        "national": 13_500_000_000,
        "since": 0,
    }
    statement = driver.DriverSql(explain + compiled.sql, compiled.order, compiled.fixed)
    return "\n".join(str(row[-1]) for row in driver.fetch(conn, statement, values))


async def test_the_neighbour_count_reads_the_index_of_numbers(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.write(lambda conn: INSERT.execute_many(conn, _attempts(2_000)))
        plan = await db.read(_plan)
    finally:
        await db.dispose()
    assert "ix_fraud_attempts_number" in plan, plan
    assert "ix_fraud_attempts_country" not in plan, plan
