"""Postgres access: one cached connection per process (a Lambda container) and explicit transactions.

``Database.transaction(work)`` is the unit of work: ``work(cursor)`` runs inside one transaction that is
committed when it returns and rolled back when it raises. ``Database.statements(work)`` is for work whose every
statement is a whole unit on its own (one data-modifying statement, or reads): each runs in its own implicit
transaction, so no BEGIN and COMMIT round trips are paid around it (the webhook's ingest, services/ingest.py).
A connection that died between invocations (RDS failover, idle timeout) is replaced transparently: the failed
transaction rolled back, so running it once more on a fresh connection is safe. A database that cannot be
reached, or does not answer within the statement timeout, raises ``DatabaseUnavailable`` (the transaction rolled back).
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from chatbatch import secrets
from chatbatch.errors import ConfigurationError, DatabaseUnavailable

T = TypeVar("T")
# The CAs of Amazon RDS and RDS Proxy (see the file's header): verify-full needs them, and Lambda has none.
RDS_CA_BUNDLE = Path(__file__).parent / "certs" / "rds-ca-bundle.pem"
Cursor = psycopg2.extensions.cursor
ConnectParams = Callable[[], dict[str, Any]]


_UNPREPARED: weakref.WeakSet[psycopg2.extensions.connection] = weakref.WeakSet()  # connections that never prepare


class Database:
    """A lazily opened, self-healing connection. Not shared between threads: use one per thread."""

    def __init__(
        self,
        connect_params: ConnectParams,
        *,
        refresh_credentials: Callable[[], None] | None = None,
        prepared_statements: bool = True,
    ) -> None:
        # psycopg2.connect's keyword arguments (a bench may add its own cursor_factory there to count statements).
        self._connect_params = connect_params
        # Forgets cached credentials: RDS rotates a managed master password (every 7 days by default), and a warm
        # container that must reconnect afterwards would otherwise keep offering the old one.
        self._refresh_credentials = refresh_credentials
        self._conn: psycopg2.extensions.connection | None = None
        self._prepared_statements = prepared_statements  # False: a PreparedStatement runs as plain SQL (RDS Proxy)

    def _connect(self) -> psycopg2.extensions.connection:
        try:
            conn = psycopg2.connect(**self._connect_params())
        except psycopg2.OperationalError as exc:
            if self._refresh_credentials is None or not _is_authentication_failure(exc):
                raise DatabaseUnavailable(f"cannot connect to the database: {_first_line(exc)}") from exc
            self._refresh_credentials()
            try:
                conn = psycopg2.connect(**self._connect_params())
            except psycopg2.OperationalError as again:
                raise DatabaseUnavailable(f"cannot connect to the database: {_first_line(again)}") from again
        conn.set_session(autocommit=False)
        if not self._prepared_statements:
            _UNPREPARED.add(conn)
        return conn

    def connection(self) -> psycopg2.extensions.connection:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def transaction(self, work: Callable[[Cursor], T]) -> T:
        return self._retried(work, autocommit=False)

    def statements(self, work: Callable[[Cursor], T]) -> T:
        """Run ``work`` with each statement committed on its own (autocommit): for work whose statements are each
        a whole unit (a statement that fails changes nothing), it saves psycopg2's BEGIN and the COMMIT round
        trips. Work that must see its statements succeed or fail together takes ``transaction``."""
        return self._retried(work, autocommit=True)

    def _retried(self, work: Callable[[Cursor], T], *, autocommit: bool) -> T:
        reused = self._conn is not None and not self._conn.closed
        try:
            return self._run(work, autocommit)
        except _ConnectionLost as lost:
            if not reused:
                raise DatabaseUnavailable(f"lost the database connection: {lost}") from lost.__cause__
        try:
            return self._run(work, autocommit)
        except _ConnectionLost as lost:
            raise DatabaseUnavailable(f"lost the database connection: {lost}") from lost.__cause__

    def _run(self, work: Callable[[Cursor], T], autocommit: bool) -> T:
        conn = self.connection()
        conn.autocommit = autocommit  # psycopg2 keeps this on the client: no round trip
        try:
            with conn.cursor() as cur:
                result = work(cur)
            if not autocommit:
                conn.commit()
            return result
        except psycopg2.errors.QueryCanceled as exc:  # statement_timeout: the database is too busy right now
            conn.rollback()
            raise DatabaseUnavailable(f"the database did not answer in time: {_first_line(exc)}") from exc
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            if conn.closed:
                self._conn = None
                raise _ConnectionLost(_first_line(exc)) from exc
            conn.rollback()
            raise
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise

    def close(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.close()
        self._conn = None


class _ConnectionLost(Exception):
    pass


def _is_authentication_failure(exc: psycopg2.OperationalError) -> bool:
    # libpq reports a refused password only in its message (no SQLSTATE reaches the client before a session).
    return "password authentication failed" in str(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect_params_from_settings(settings: Any) -> ConnectParams:
    """Connection parameters from ``CommonSettings``: a DSN locally, the database secret in AWS.

    In AWS the secret is read on the first connection (cold start) and cached; only the credentials come from
    it. The secret RDS manages for a master user holds just ``username`` and ``password``, so the host, port and
    database name come from DB_HOST / DB_PORT / DB_NAME (the template wires them), else from the secret.
    """
    settings.require_database()

    def params() -> dict[str, Any]:
        base: dict[str, Any] = {
            "connect_timeout": settings.db_connect_timeout_seconds,
            "application_name": "chatbatch",
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
            "keepalives": 1,
            "keepalives_idle": 30,
        }
        if settings.database_url is not None:
            base["dsn"] = settings.database_url.get_secret_value()
            return base
        secret = secrets.secret_json(settings.db_secret_arn, max_age=settings.secrets_max_age_seconds)
        missing = [key for key in ("username", "password") if not secret.get(key)]
        host = settings.db_host or secret.get("host")
        if missing or not host:
            raise ConfigurationError(
                f"the database secret DB_SECRET_ARN={settings.db_secret_arn} lacks "
                + ", ".join(missing + ([] if host else ["host (or set DB_HOST)"]))
            )
        base.update(
            host=host,
            port=settings.db_port or int(secret.get("port") or 5432),
            dbname=settings.db_name or secret.get("dbname") or "chatbatch",
            user=secret["username"],
            password=secret["password"],
            sslmode=settings.db_ssl_mode,
            sslrootcert=settings.db_ssl_root_cert or str(RDS_CA_BUNDLE),
        )
        return base

    return params


def transaction_time(cur: Cursor) -> datetime:
    """The database's now: the time the current transaction started (``now()``), the one clock every rule and
    every stamp use (docs/contracts.md, "The clock"). A statement that also reads rows selects ``now()`` itself
    rather than calling this (one round trip)."""
    cur.execute("SELECT now()")
    return cur.fetchone()[0]


_per_thread = threading.local()


def database_for(settings: Any, *, connection: str = "main") -> Database:
    """The process's (thread's) cached Database for these settings: reused across warm invocations.
    ``connection`` names another one of the same database, for work that runs alongside (the sweeper's outbox)."""
    cache: dict[tuple[int, str], Database] = _per_thread.__dict__.setdefault("databases", {})
    key = (id(settings), connection)
    if key not in cache:
        refresh = None if settings.database_url is not None else secrets.forget_cached_secrets
        cache[key] = Database(
            connect_params_from_settings(settings),
            refresh_credentials=refresh,
            prepared_statements=settings.db_prepared_statements,
        )
    return cache[key]


def close_cached_databases() -> None:
    """Close and forget this thread's cached Databases, e.g. after the settings they were built from changed."""
    cache: dict[tuple[int, str], Database] = _per_thread.__dict__.setdefault("databases", {})
    for database in cache.values():
        database.close()
    cache.clear()


class PreparedStatement:
    """A statement the database parses and plans once per connection (PREPARE), then runs by name (EXECUTE): for
    a hot statement whose planning costs as much as running it (the webhook's ingest, store/received_messages.py).

    ``sql`` takes named parameters (``%(name)s``). It is prepared on a connection's first run (one more round trip,
    once per connection); a connection the Database replaces is a new one, prepared again.
    On a connection of a Database made with ``prepared_statements=False`` (DB_PREPARED_STATEMENTS=false, for RDS
    Proxy, where a prepared statement pins the client's connection to one database connection) it runs as plain SQL.
    """

    _PARAM = re.compile(r"%\((\w+)\)s")

    def __init__(self, name: str, sql: str) -> None:
        self.name = name
        self._sql = sql
        self._names = list(dict.fromkeys(self._PARAM.findall(sql)))
        numbers = {param: f"${i}" for i, param in enumerate(self._names, start=1)}
        self._prepare = f"PREPARE {name} AS {self._PARAM.sub(lambda m: numbers[m.group(1)], sql)}"
        # Positional: psycopg2 fills a tuple's %s in half the time it takes to find each %(name)s in the text.
        self._execute = f"EXECUTE {name} ({', '.join(['%s'] * len(self._names))})"
        self._prepared_on: weakref.WeakSet[psycopg2.extensions.connection] = weakref.WeakSet()

    def execute(self, cur: Cursor, params: dict[str, Any]) -> None:
        if cur.connection in _UNPREPARED:
            cur.execute(self._sql, params)
            return
        if cur.connection not in self._prepared_on:
            cur.execute(self._prepare)
            self._prepared_on.add(cur.connection)
        cur.execute(self._execute, tuple([params[param] for param in self._names]))
