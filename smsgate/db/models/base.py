"""The declarative base every table hangs on, and what all of them share."""

from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Ids handed out once, never again after a delete (migration 0009): SQLite's AUTOINCREMENT.
# PostgreSQL's sequences never go back anyway.
NEVER_REUSED = {"sqlite_autoincrement": True}


def table(model: type[Base]) -> Table:
    """A model's Core table: hot-path statements are built once on it (see apps/repository.py)."""
    return cast(Table, model.__table__)
