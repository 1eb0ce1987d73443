"""ids are never handed out twice: AUTOINCREMENT on SQLite

SQLite without AUTOINCREMENT gives a new row the largest id in use plus one, so deleting the
newest template, signature, app, ... hands its id to the next one (a schedule naming the old
template would then send the new one's text). Every table whose integer ids are shown to
clients or operators, or named by other rows, is rebuilt with AUTOINCREMENT; its sequence
starts above every id still named anywhere. PostgreSQL's sequences never go back: nothing to do.

Revision ID: 0009_ids_never_reused
Revises: 0008_delivery_routing
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_ids_never_reused"
down_revision: str | None = "0008_delivery_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose ids leave the table. Not: outbox, limit_hits, sandbox_inbox (ids only order rows
# inside smsgate, and they are the send path's inserts, where AUTOINCREMENT costs a little).
TABLES = (
    "apps",
    "devs",
    "templates",
    "signs",
    "sign_images",
    "callback_outbox",
    "pull_records",
)
# Ids named outside a foreign key: the sequence starts above the largest of them.
NAMED_ELSEWHERE = {
    "templates": ("SELECT max(template_id) FROM messages", "SELECT max(temp_id) FROM schedules"),
    "signs": ("SELECT max(sign_id) FROM schedules",),
}


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for name in TABLES:  # smsgate.db.migrate runs this with foreign keys off: no cascades
        with op.batch_alter_table(
            name, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    for name in TABLES:
        highest = [f"SELECT coalesce(max(id), 0) FROM {name}", *NAMED_ELSEWHERE.get(name, ())]
        op.execute(f"DELETE FROM sqlite_sequence WHERE name = '{name}'")
        op.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT "
            f"'{name}', max({', '.join(f'coalesce(({q}), 0)' for q in highest)}, 0)"
        )


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for name in TABLES:
        with op.batch_alter_table(
            name, recreate="always", table_kwargs={"sqlite_autoincrement": False}
        ):
            pass
