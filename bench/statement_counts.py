"""Statements a piece of work sends, as the database counts them (pg_stat_statements, BEGIN and COMMIT included).

The work runs on connections of a role of its own (``options=-c role=…``: no statement is sent to take it), so the
count is that role's alone, whatever else talks to the database meanwhile. Needs a server started with
``shared_preload_libraries=pg_stat_statements`` (local/chatbatch_local/postgres.py does when the server has the
module) and a superuser connection (the local clusters' own user).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg2


class Unavailable(Exception):
    """The database cannot count statements (the message says why)."""


class StatementCounter:
    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._admin = psycopg2.connect(database_url)
        self._admin.autocommit = True
        self.role = f"chatbatch_counted_{uuid.uuid4().hex[:10]}"
        with self._admin.cursor() as cur:
            cur.execute(
                "SELECT current_setting('shared_preload_libraries'), rolsuper FROM pg_roles"
                " WHERE rolname = current_user"
            )
            preloaded, superuser = cur.fetchone()
            if "pg_stat_statements" not in preloaded:
                self._admin.close()
                raise Unavailable(
                    "pg_stat_statements is not loaded by this server (shared_preload_libraries="
                    f"{preloaded!r}): statements not counted"
                )
            if not superuser:
                self._admin.close()
                raise Unavailable("counting statements needs a superuser connection: statements not counted")
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            cur.execute(f"CREATE ROLE {self.role}")
            cur.execute(f"GRANT {self._current_user(cur)} TO {self.role}")  # the tables' privileges, nothing more

    @staticmethod
    def _current_user(cur) -> str:
        cur.execute("SELECT quote_ident(current_user)")
        return cur.fetchone()[0]

    def connect_params(self) -> dict[str, Any]:
        """Parameters of a connection whose statements are counted (for ``chatbatch.db.Database``)."""
        return {"dsn": self._url, "options": f"-c role={self.role}"}

    def total(self) -> int:
        with self._admin.cursor() as cur:
            cur.execute(
                "SELECT COALESCE(sum(calls), 0)::bigint FROM pg_stat_statements WHERE userid = %s::regrole"
                "   AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
                (self.role,),
            )
            return cur.fetchone()[0]

    def count(self, work: Callable[[], object]) -> int:
        """Statements the counted role sent while ``work`` ran."""
        before = self.total()
        work()
        return self.total() - before

    def close(self) -> None:
        """Drop the role (close the counted connections first)."""
        with self._admin.cursor() as cur:
            cur.execute(f"DROP ROLE IF EXISTS {self.role}")
        self._admin.close()
