"""Engine and unit of work: every RPC runs one function inside one transaction, off the event loop
(except `Database.read`: a read-only Core statement, on the loop itself for SQLite).

Database faults are answered in one place (`Database.run`, and `Database.read` alike):
- losing the database (connection refused or reset, server shutting down or not yet accepting
  connections, pool timeout, SQLite locked after the busy timeout, disk full, read-only file) raises
  `Unavailable` (gRPC UNAVAILABLE with RetryInfo), naming the cause class, never the URL;
- a serialization failure or deadlock (PostgreSQL 40001 / 40P01) reruns the whole function in a new
  transaction, a bounded number of times with jittered backoff: every unit of work here is one
  transaction, or idempotent by request_id, so a rerun is safe;
- a SQLite connection that found its file read-only (SQLite then keeps it read-only for good) or met
  an I/O error is replaced by the pool, and a write it refused reruns once on a new connection.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker

from cavra_recovery.server.domain.errors import Unavailable
from cavra_recovery.server.domain.reasons import Reason
from cavra_recovery.server.storage.ledger import append as ledger_hook

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

T = TypeVar("T")

ISOLATION_LEVELS = {
    "read_committed": "READ COMMITTED",
    "repeatable_read": "REPEATABLE READ",
    "serializable": "SERIALIZABLE",
}
SERIALIZATION_RETRIES = 5
SERIALIZATION_BACKOFF_SECONDS = 0.02
RETRY_AFTER_SECONDS = 1.0
# How long a new PostgreSQL connection may take before the database counts as unreachable.
CONNECT_TIMEOUT_SECONDS = 3
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})
# SQLSTATE → cause: connection exceptions (08), shutdown / not accepting connections (57P0x),
# insufficient resources (53: disk full, out of memory, too many connections), read-only transaction.
_UNAVAILABLE_SQLSTATES = {
    "57P01": "server shutting down",
    "57P02": "server crashed",
    "57P03": "server not accepting connections yet",
    "53100": "disk full",
    "53200": "out of memory",
    "53300": "too many connections",
    "25006": "read-only database",
}
_SQLITE_CAUSES = {
    "database is locked": "database is locked",
    "readonly database": "read-only database",
    "read-only file system": "read-only file system",
    "disk i/o error": "disk I/O error",
    "database or disk is full": "disk full",
    "unable to open database file": "cannot open the database file",
}
_CONNECTION_WORDS = {
    "connection refused": "connection refused",
    "connection reset": "connection reset",
    "server closed the connection": "connection closed by the server",
    "terminating connection": "connection terminated by the server",
    "timeout expired": "connection timed out",
    "timed out": "connection timed out",
    "could not connect": "cannot connect",
    "no route to host": "no route to host",
    "the database system is starting up": "server not accepting connections yet",
    "the database system is shutting down": "server shutting down",
    "ssl connection has been closed": "connection closed",
    "consuming input failed": "connection lost",
}


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_database_engine(url: str, *, isolation: str | None = None) -> Engine:
    url = normalize_database_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "handle_error", _replace_spoiled_sqlite_connections)
        return engine
    options: dict[str, Any] = {}
    if isolation is not None:
        options["isolation_level"] = ISOLATION_LEVELS[isolation]
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=10,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
        **options,
    )


SQLITE_CACHE_KIB = 4096


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A 4 MiB page cache per connection (SQLite's default is 2 MiB): the dashboard's COUNTs walk the
    # playbook and route b-trees, which at 1M executions no longer fit 2 MiB together, so every call
    # re-read their pages from the OS (0.47 ms a call against 0.03 ms with 4 MiB).
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


# SQLite opens a file it may not write read-only, silently, and the connection stays read-only once
# the file is writable again; a connection that met an I/O error is not trusted either. Both count as
# lost connections, so the pool replaces them (and the connections opened before them).
_SQLITE_SPOILING_CAUSES = frozenset({"read-only database", "disk I/O error"})


def _sqlite_cause(message: str) -> str | None:
    lowered = message.lower()
    return next((cause for words, cause in _SQLITE_CAUSES.items() if words in lowered), None)


def _replace_spoiled_sqlite_connections(context: ExceptionContext) -> None:
    if _sqlite_cause(str(context.original_exception)) in _SQLITE_SPOILING_CAUSES:
        context.is_disconnect = True


def _refused_by_a_replaced_read_only_connection(error: BaseException) -> bool:
    """A write SQLite refused before writing anything, on a connection now replaced: safe to rerun."""
    return (
        isinstance(error, sa_exc.DBAPIError)
        and error.connection_invalidated
        and _sqlite_cause(str(error.orig)) == "read-only database"
    )


def _sqlstate(error: BaseException) -> str | None:
    original = getattr(error, "orig", None)
    state = getattr(original, "sqlstate", None) or getattr(error, "sqlstate", None)
    return str(state) if state else None


def unavailable_cause(error: BaseException) -> str | None:
    """The cause class when `error` means the database cannot be reached or written now; else None."""
    if isinstance(error, sa_exc.TimeoutError):
        return "connection pool exhausted"
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    state = _sqlstate(error)
    if state is not None:
        if state.startswith("08"):
            return "connection failure"
        return _UNAVAILABLE_SQLSTATES.get(state)
    text_of_error = str(getattr(error, "orig", error))
    if (sqlite_cause := _sqlite_cause(text_of_error)) is not None:
        return sqlite_cause
    lowered = text_of_error.lower()
    for words, cause in _CONNECTION_WORDS.items():
        if words in lowered:
            return cause
    if error.connection_invalidated:
        return "connection lost"
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)) and _driver_of(error) == "psycopg":
        # psycopg raises OperationalError without a SQLSTATE only for connection-level failures.
        return "connection failure"
    return None


def _driver_of(error: BaseException) -> str:
    return type(getattr(error, "orig", error)).__module__.split(".")[0]


def is_retryable_conflict(error: BaseException) -> bool:
    return isinstance(error, sa_exc.DBAPIError) and _sqlstate(error) in _RETRY_SQLSTATES


class Database:
    """Owns the engine; the caller's function owns nothing but its session (one transaction)."""

    def __init__(self, url: str, *, isolation: str | None = None, ledger: bool = True) -> None:
        self.url = normalize_database_url(url)
        self.engine = create_database_engine(self.url, isolation=isolation)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Every stored record enters the evidence ledger in its own transaction (docs/ledger.md).
        ledger_hook.install(self._sessions, enabled=ledger)
        # A SQLite read in WAL mode never waits for a writer and takes microseconds: a thread hop costs more.
        self._reads_inline = self.engine.dialect.name == "sqlite"
        # SQLite has one writer at a time: transactions from several threads would meet its lock, and
        # a writer that finds it taken sleeps in SQLite's busy handler (1 ms, 2 ms, ... 100 ms) however
        # soon the lock frees. One thread runs every transaction of this process in turn instead.
        self._transactions = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-transactions")
            if self.engine.dialect.name == "sqlite"
            else None
        )
        # Told the cause of every call that failed because the database was unavailable.
        self.on_unavailable: Callable[[str], None] | None = None
        # Set by server/app.py when tracing is on: one span per transaction and per read.
        self.tracer: Tracer | None = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def run_sync(self, work: Callable[[Session], T]) -> T:
        """`work(session)` in one transaction; reruns it on a serialization failure or deadlock, and
        once when SQLite refused it on a read-only connection (which the pool has replaced)."""
        for attempt in range(SERIALIZATION_RETRIES + 1):
            try:
                with self.transaction() as session:
                    return work(session)
            except (sa_exc.DBAPIError, sa_exc.TimeoutError) as error:
                if is_retryable_conflict(error) and attempt < SERIALIZATION_RETRIES:
                    time.sleep(random.uniform(0, SERIALIZATION_BACKOFF_SECONDS * 2**attempt))
                    continue
                if attempt == 0 and _refused_by_a_replaced_read_only_connection(error):
                    continue  # once, on a new connection: the file may be writable again
                unavailable = self._unavailable(error)
                if unavailable is None:
                    raise
                raise unavailable from error
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _unavailable(self, error: BaseException) -> Unavailable | None:
        cause = unavailable_cause(error)
        if cause is None:
            return None
        if self.on_unavailable is not None:
            self.on_unavailable(cause)
        return Unavailable(
            f"database unavailable: {cause}; retry the request",
            reason=Reason.DATABASE_UNAVAILABLE,
            retry_after_seconds=RETRY_AFTER_SECONDS,
            metadata={"cause": cause},
        )

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run `work(session)` in one transaction on a worker thread; commit on return, roll back on raise."""
        if self.tracer is None:
            return await self._in_transaction(work)
        with self.tracer.start_as_current_span("db.transaction", attributes=self._span_attributes):
            return await self._in_transaction(work)

    async def _in_transaction(self, work: Callable[[Session], T]) -> T:
        if self._transactions is None:
            return await asyncio.to_thread(self.run_sync, work)
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(
            self._transactions, context.run, self.run_sync, work
        )

    async def read(self, work: Callable[[Connection], T]) -> T:
        """Run the read-only `work(connection)` on a pooled connection, without an ORM session.

        On SQLite it runs on the event loop itself (no thread hop); on PostgreSQL, where a read is a
        network round trip, on a worker thread. Database faults are answered as in `run`.
        """
        if self.tracer is not None:
            with self.tracer.start_as_current_span("db.read", attributes=self._span_attributes):
                return await self._read(work)
        return await self._read(work)

    async def _read(self, work: Callable[[Connection], T]) -> T:
        if self._reads_inline:
            return self._read_sync(work)
        return await asyncio.to_thread(self._read_sync, work)

    @property
    def _span_attributes(self) -> dict[str, str]:
        # The system name only: the URL may carry a password.
        return {"db.system.name": self.engine.dialect.name}

    def _read_sync(self, work: Callable[[Connection], T]) -> T:
        try:
            with self.engine.connect() as connection:
                return work(connection)
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as error:
            unavailable = self._unavailable(error)
            if unavailable is None:
                raise
            raise unavailable from error

    def ping_sync(self) -> None:
        """One round trip to the database; raises what a call would (Unavailable when it is down)."""
        self.run_sync(lambda session: session.execute(text("SELECT 1")))

    def dispose(self) -> None:
        if self._transactions is not None:
            self._transactions.shutdown(wait=True)
        self.engine.dispose()
