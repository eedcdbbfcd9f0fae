"""Use case of the deep health check: does the database answer a trivial query (within the statement timeout)?"""

from __future__ import annotations

from chatbatch.db import Cursor, Database


def check_database(db: Database) -> None:
    """Returns when the database answers; raises ``DatabaseUnavailable`` (a 503 at the edge) when it does not."""
    db.transaction(_answer_one)


def _answer_one(cur: Cursor) -> None:
    cur.execute("SELECT 1")
