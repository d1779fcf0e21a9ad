"""Engine and session factory, SQLite pragmas, and the unit of work that owns the commit."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, partial
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    CursorResult,
    Engine,
    Executable,
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    text,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.selectable import TextualSelect

from careloop.bulk_rows import python_defaults
from careloop.config import get_settings
from careloop.driver_writes import (
    DriverWrite,
    conflict_ignoring_insert_each,
    driver_insert,
    insert_sql,
    quoted_names,
)
from careloop.group_commit import APPENDS_ONLY, Append, GroupCommitter, Ticket
from careloop.turn_report import TurnReporter
from careloop.wal_checkpoint import WalCheckpointer
from careloop.writer_turn import WriterTurnConnection


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# Connections beyond the request threads': the group committer, the in-process worker, a refusal's audit
# written after rollback.
POOL_SPARE = 8


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    settings = get_settings()
    url = url or settings.database_url
    # The pool keeps every connection it has opened (it opens them only when asked, so an idle process holds
    # few). With the spares as overflow instead, the group committer's connection beside three busy request
    # threads was closed on every return and opened again on the next: under the API bench a new PostgreSQL
    # backend was forked twice a second, each starting with cold catalog caches and no prepared statements.
    kwargs = {"pool_size": settings.request_threads + POOL_SPARE, "max_overflow": POOL_SPARE,
              "json_serializer": json_text, "json_deserializer": orjson.loads, **kwargs}
    engine = _sqlite_engine(url, **kwargs) if is_sqlite(url) else _postgresql_engine(url, **kwargs)
    _note_writes(engine)
    _read_phase_ends_at_a_write_or_savepoint(engine)
    return engine


def json_text(value: Any) -> str:
    """JSON columns' text, by orjson rather than the standard library: the feed's worker writes and reads one or two
    JSON values a row (events, audit details, the listener's readings), and the standard encoder and decoder were
    about a twentieth of its time. Keys that are not strings are written as strings, as `json.dumps` does."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _read_phase_ends_at_a_write_or_savepoint(engine: Engine) -> None:
    """A read-mostly unit of work that writes before its write phase (a GET that starts an export, an explicit
    flush) or opens a savepoint (a use case run through web.forms.attempt) ends its read phase there
    (`_end_read_phase`). SQLite: its deferred read transaction, which has written nothing, ends, and the rest
    runs in a fresh IMMEDIATE one to the commit (upgrading the read transaction in place would fail at once
    if its snapshot were stale; taking the lock only at a write inside a savepoint would end the transaction
    that holds the savepoint). PostgreSQL: the connection leaves autocommit mode, so a transaction opens."""

    @event.listens_for(engine, "before_cursor_execute")
    def _at_a_write(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get(READ_PHASE) and statement.lstrip()[:6].upper() in _WRITE_VERBS:
            _end_read_phase(cursor.connection, conn.info)

    @event.listens_for(engine, "savepoint")
    def _at_a_savepoint(conn: Any, _name: str) -> None:
        _end_read_phase(conn.connection.dbapi_connection, conn.info)


def _note_writes(engine: Engine) -> None:
    """Mark a transaction that has run a writing statement (conn.info[_WROTE]): a read-mostly unit of work
    that wrote (a GET that starts an export) keeps its audit rows in its own transaction, beside the change
    they describe, instead of handing them to the group committer."""

    @event.listens_for(engine, "begin")
    def _nothing_written_yet(conn: Any) -> None:
        conn.info[_WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _note_a_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:6].upper() in _WRITE_VERBS:
            conn.info[_WROTE] = True


# A pooled connection idle for longer than this is tested with a round trip before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0


def _postgresql_engine(url: str, **kwargs: Any) -> Engine:
    engine = create_engine(url, **kwargs)
    _ping_connections_that_were_idle(engine)
    _read_phase_without_transaction(engine)
    return engine


def _read_phase_without_transaction(engine: Engine) -> None:
    """A read-mostly unit of work reads in autocommit mode, and opens a transaction only when it writes.

    Under PostgreSQL's READ COMMITTED every statement sees the database as of its own start, in a
    transaction or not, so a transaction around reads adds nothing but its BEGIN and COMMIT: two round trips
    and their driver work on every GET (the worklist, the patient record) that writes nothing but audit rows,
    which the group committer stores in its own transaction. The first writing statement, a savepoint, or the
    write phase (`_enter_write_phase`) ends the read phase (`_read_phase_ends_at_a_write_or_savepoint`): the
    connection leaves autocommit mode (it is between transactions then, so the driver allows it) and what
    follows runs in one transaction to the commit, as in a writing unit of work. The mode is put back when
    the connection returns to the pool.
    """

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        reading = bool(conn.get_execution_options().get(READ_PHASE))
        conn.info[READ_PHASE] = reading
        if reading:
            conn.connection.dbapi_connection.autocommit = True

    @event.listens_for(engine, "checkin")
    def _transactions_again(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None and not dbapi_connection.closed and dbapi_connection.autocommit:
            dbapi_connection.autocommit = False


def _ping_connections_that_were_idle(engine: Engine) -> None:
    """Test a pooled connection before use only if it sat idle for a while (SQLAlchemy's pre-ping tests every one).

    What a test catches is a connection the server dropped while it lay in the pool: a restart, an idle
    timeout in a proxy or firewall. Pre-ping's SELECT 1 on every checkout cost each API request about 0.3 ms
    of interpreter time and a round trip, a twentieth of a patient record's CPU, to catch what happens to
    idle connections. A connection given back moments ago was alive then; if the server went away since, the
    first statement fails, SQLAlchemy sees the disconnect and discards every connection the pool holds, and
    the requests after it get fresh ones. A restart under load thus fails the requests in flight, as it would
    anyway, and at most one more per process; one after a quiet spell fails none.
    """

    @event.listens_for(engine, "checkin")
    def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (SQLAlchemy's documented recipe).
            raise DisconnectionError(f"a pooled connection was dropped while idle: {error}") from error


_IDLE_SINCE = "careloop_idle_since"


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": 30}
    if path and path != ":memory:":
        connect_args["factory"] = partial(WriterTurnConnection, turn_file=f"{path}.writer-turn")
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # The driver's implicit transactions would start a write lock late; we begin explicitly instead,
        # so a writer takes the lock at BEGIN IMMEDIATE and waits (busy_timeout) rather than failing mid-way.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A writing unit of work takes the write lock up front: a deferred transaction that reads and then
        # writes fails with "database is locked" (a stale WAL snapshot) instead of waiting. A read-mostly
        # unit of work reads in a deferred transaction and takes the lock only for its short write phase.
        options = conn.get_execution_options()
        reading = bool(options.get(READ_PHASE))
        conn.info[READ_PHASE] = reading
        if not reading:
            _wait_for_writer_turn(conn.connection.dbapi_connection)
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")
        if not reading and not options.get(APPENDS_ONLY):
            _count_write_transaction(conn.connection.dbapi_connection)

    return engine


def _wait_for_writer_turn(dbapi_connection: Any) -> None:
    if isinstance(dbapi_connection, WriterTurnConnection):
        dbapi_connection.wait_for_turn()


READ_PHASE = "careloop_read_phase"
_WROTE = "careloop_wrote"
_WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLAC"})


def _take_write_lock(dbapi_connection: Any, info: dict[str, Any]) -> None:
    dbapi_connection.execute("COMMIT")
    _wait_for_writer_turn(dbapi_connection)
    dbapi_connection.execute("BEGIN IMMEDIATE")
    _count_write_transaction(dbapi_connection)
    info[READ_PHASE] = False


# An upsert, so the count survives its row being deleted (the tests empty every table between tests).
_COUNT_WRITE = ("INSERT INTO write_epochs (id, n) VALUES (1, 1) "
                "ON CONFLICT (id) DO UPDATE SET n = write_epochs.n + 1")


def _count_write_transaction(dbapi_connection: Any) -> None:
    """Count this write transaction in `write_epochs`, inside it (models.jobs.WriteEpoch): a plan made in a snapshot
    before it started is then not written (worker/plans.py). A database whose migrations have not made the table
    yet (the migrations' own transactions) has nothing planned against it to protect."""
    try:
        dbapi_connection.execute(_COUNT_WRITE)
    except sqlite3.OperationalError as error:
        if "no such table" not in str(error):
            raise


def _end_read_phase(dbapi_connection: Any, info: dict[str, Any]) -> None:
    """SQLite: take the write lock in a fresh transaction. PostgreSQL: leave autocommit mode, so that what
    follows is one transaction."""
    if info.get(READ_PHASE):
        if isinstance(dbapi_connection, sqlite3.Connection):
            _take_write_lock(dbapi_connection, info)
            return
        dbapi_connection.autocommit = False
        info[READ_PHASE] = False


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None
_read_engine: Engine | None = None
_appends_engine: Engine | None = None
_group_committer: GroupCommitter | None = None


def configure(url: str | None = None) -> Engine:
    """Point the process at a database; called by every entry point and by the tests."""
    global _engine, _factory, _read_engine, _appends_engine, _group_committer, _checkpointer, _turn_reporter
    if _checkpointer is not None:
        _checkpointer.stop()
        _checkpointer = None
    if _turn_reporter is not None:
        _turn_reporter.stop()
        _turn_reporter = None
    if _group_committer is not None:
        _group_committer.close()
        _group_committer = None
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url)
    _factory = sessionmaker(bind=_engine, expire_on_commit=False)
    # The same pool, with a flag the SQLite begin hook reads: begin deferred, for read-mostly work.
    _read_engine = _engine.execution_options(**{READ_PHASE: True})
    _appends_engine = _engine.execution_options(**{APPENDS_ONLY: True})
    return _engine


def long_running_writer() -> None:
    """What a long-running writer on SQLite (the worker, the MLLP listener, the demo) sets up: the write-ahead log
    checkpointed by a thread of its own, and its share of the writer turn logged each minute (turn_report.py).
    Nothing on PostgreSQL."""
    global _turn_reporter
    if checkpoint_in_background() is not None and _turn_reporter is None:
        _turn_reporter = TurnReporter()
        _turn_reporter.start()


def plan_each_execution() -> None:
    """For the worker on PostgreSQL: every execution of a statement is planned with its own parameters
    (plan_cache_mode=force_custom_plan), never from a cached generic plan.

    psycopg prepares a statement the fifth time a connection runs it, and PostgreSQL then keeps one generic plan for
    it, made from the statistics of that moment, until the table's next ANALYZE. A worker that starts beside tables
    that are empty or small (a new deployment; the pathway's readmission links, filling from zero) kept planning
    its batch reads (`readmissions.index_encounter_id = ANY(...)`, `encounters.id = ANY(...)`) as scans of the whole
    table: 64 ms of server time a batch at 5,000 rows, each row checked against each of the batch's hundreds of ids,
    a third of the server's CPU for the feed, until autovacuum came round (BENCHMARKS.md, 2026-12-07). A plan made
    at each execution sees the table's current size. The worker's statements each carry a batch, so the planning
    they now repeat is a small share of them; the web app's, a row or a page each, keep their cached plans."""
    current = engine()
    if current.dialect.name != "postgresql" or event.contains(current, "connect", _with_custom_plans):
        return
    event.listen(current, "connect", _with_custom_plans)
    current.dispose()  # connections pooled before now keep their cached plans


def _with_custom_plans(dbapi_connection: Any, _record: Any) -> None:
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a SET outside a transaction holds for the session
    dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.autocommit = autocommit


def checkpoint_in_background() -> WalCheckpointer | None:
    """For a long-running writer on SQLite (the worker, the MLLP listener, the demo): its commits no longer
    checkpoint the write-ahead log, a thread of the process does (wal_checkpoint.py). Nothing on PostgreSQL."""
    global _checkpointer
    current = engine()
    path = current.url.database
    if current.dialect.name != "sqlite" or not path or path == ":memory:" or _checkpointer is not None:
        return _checkpointer
    event.listen(current, "connect", _without_automatic_checkpoints)
    current.dispose()  # connections pooled before now would still checkpoint in their commits
    _checkpointer = WalCheckpointer(path)
    _checkpointer.start()
    return _checkpointer


def _without_automatic_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def sync_log() -> None:
    """Make what this process has committed survive a power loss, for a commit that is a promise to someone outside
    it (the MLLP listener's AA tells the hospital the message is stored and will not be sent again). SQLite: fsync
    the write-ahead log, after the commit has ended its writer turn. synchronous=NORMAL, the project's setting, keeps a
    commit through a killed process but leaves the log to the operating system's cache until a checkpoint syncs it;
    synchronous=FULL syncs it inside COMMIT, while the writer still holds SQLite's one write lock, and under a
    hospital feed the worker waited through each of the listener's syncs (docs/decisions.md, "2026-12-06 (late)").
    A sync of the log file after the commit makes the same frames durable, with nobody waiting but the caller; if
    a checkpoint has since copied them and restarted the log, the checkpoint synced the database file first.
    PostgreSQL: nothing to do (synchronous_commit=on syncs its log at each commit)."""
    current = engine()
    path = current.url.database
    if current.dialect.name != "sqlite" or not path or path == ":memory:":
        return
    try:
        _fsync(f"{path}-wal")
    except FileNotFoundError:  # the last connection closed: it checkpointed the log into the database file, synced
        return
    if path not in _directories_synced:  # once: a log file new since the last power cycle needs its directory entry
        _fsync(str(Path(path).resolve().parent))
        _directories_synced.add(path)


def _fsync(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


_directories_synced: set[str] = set()


_checkpointer: WalCheckpointer | None = None
_turn_reporter: TurnReporter | None = None


def engine() -> Engine:
    if _engine is None:
        configure()
    assert _engine is not None
    return _engine


def group_committer() -> GroupCommitter:
    """The process's writer of read-mostly units of work's appended rows (see careloop.group_commit)."""
    global _group_committer
    if _group_committer is None:
        _group_committer = GroupCommitter(engine())
    return _group_committer


def session_factory() -> sessionmaker[Session]:
    if _factory is None:
        configure()
    assert _factory is not None
    return _factory


AfterRollback = Callable[[Session], None]


def after_rollback(session: Session, action: AfterRollback) -> None:
    """Register work that must be saved even if this unit of work rolls back (e.g. an access refusal)."""
    session.info.setdefault("after_rollback", []).append(action)


WritePhaseAction = Callable[[Session], object]  # what it returns is not used
_APPENDS = "careloop_appends"


def defers_writes(session: Session) -> bool:
    """Whether `write_phase` would hold an action back to the end of this (read-mostly) unit of work."""
    return bool(session.info.get(READ_PHASE))


def write_phase(session: Session, action: WritePhaseAction) -> None:
    """Run `action` in this unit of work's write phase: at once in a writing unit of work; at the end, in the
    same transaction and before the commit, in a read-mostly one (an audit trail of what a GET showed); in a
    planning session, when its plan is written (`planning`)."""
    planned = session.info.get(PLANNED_WRITES)
    if planned is not None:
        planned.append(action)
    elif defers_writes(session):
        session.info.setdefault("write_phase", []).append(action)
    else:
        action(session)


# The session.info key of a planning session's kept writes (worker/plans.py makes such sessions).
PLANNED_WRITES = "careloop_planned_writes"


def is_planning(session: Session) -> bool:
    return session.info.get(PLANNED_WRITES) is not None


def append_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that record what this unit of work did (audit rows), which nothing reads back before it ends.

    In a writing unit of work they are inserted at once, in its transaction. A read-mostly one (a GET) that
    writes nothing else hands them to the process's group committer when it ends, and returns once they are
    committed; if it does write something else, they are inserted in its write phase with the rest.
    """
    if not rows:
        return
    if is_planning(session):
        write_phase(session, partial(_insert_append, Append(table, rows)))
    elif defers_writes(session):
        session.info.setdefault(_APPENDS, []).append(Append(table, rows))
    else:
        session.execute(insert(table), rows)


@contextmanager
def unit_of_work(*, read_mostly: bool = False, appends_only: bool = False,
                 appends_stored_later: list[Ticket] | None = None) -> Iterator[Session]:
    """The boundary: commit if the block finishes, roll back if it raises. Services only flush.

    `read_mostly` is for requests that only read clinical data and write bookkeeping (audit rows, a token's
    last use): they read without holding SQLite's single write lock, and their writes (objects added to the
    session, actions queued with write_phase) happen together at the end, before the commit, so nothing is
    shown that is not audited. Autoflush is off until then, so the reads never write.

    `appends_stored_later`: an async caller that waits for the group committer itself, on its event loop, so
    its thread is free meanwhile (http.deps.as_api_actor); the ticket to wait on is put in this list, and the
    caller must not answer before it is stored.

    `appends_only`: a writing unit of work that only inserts rows that no work planned in a snapshot reads (the
    hospital feed's received messages and their apply job): it is not counted in `write_epochs`, so it does not
    void the worker's plans (worker/plans.py).
    """
    if read_mostly:
        session = session_factory()(bind=_read_bind(), autoflush=False)
    elif appends_only:
        session = session_factory()(bind=_appends_bind())
    else:
        session = session_factory()()
    session.info[READ_PHASE] = read_mostly
    try:
        yield session
        if read_mostly and _writes_only_appends(session):
            appends: list[Append] = session.info.pop(_APPENDS, [])
            session.commit()  # ends the read transaction; it wrote nothing
            if appends and appends_stored_later is not None:
                appends_stored_later.append(group_committer().submit(appends))
            elif appends:
                group_committer().store(appends)
            return
        if read_mostly:
            _enter_write_phase(session)
        session.commit()
    except BaseException:
        session.rollback()
        _run_after_rollback(session)
        raise
    finally:
        session.close()


def _read_bind() -> Engine:
    if _read_engine is None:
        configure()
    assert _read_engine is not None
    return _read_engine


def _appends_bind() -> Engine:
    if _appends_engine is None:
        configure()
    assert _appends_engine is not None
    return _appends_engine


def _writes_only_appends(session: Session) -> bool:
    if session.info.get("write_phase") or session.new or session.dirty or session.deleted:
        return False
    return session.get_transaction() is None or not session.connection().info.get(_WROTE)


def _enter_write_phase(session: Session) -> None:
    actions: list[WritePhaseAction] = session.info.pop("write_phase", [])
    actions += [partial(_insert_append, append) for append in session.info.pop(_APPENDS, [])]
    session.info[READ_PHASE] = False
    if not (actions or session.new or session.dirty or session.deleted):
        return
    connection = session.connection()
    # SQLite: end the deferred read transaction and take the write lock for the short write phase. Its
    # snapshot may be stale (another request committed since): upgrading it in place would fail at once with
    # "database is locked", whereas BEGIN IMMEDIATE waits its turn. PostgreSQL: open the transaction.
    _end_read_phase(connection.connection.dbapi_connection, connection.info)
    for action in actions:
        action(session)
    session.flush()


def _insert_append(append: Append, session: Session) -> None:
    session.execute(insert(append.table), append.rows)  # one append's rows share their columns


def _run_after_rollback(session: Session) -> None:
    actions: list[AfterRollback] = session.info.pop("after_rollback", [])
    if not actions:
        return
    with session_factory()() as fresh, fresh.begin():
        for action in actions:
            action(fresh)


def execute_core(session: Session, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
    """Run a Core statement (no ORM entities in it) in the session's transaction, as session.execute would, after
    the same autoflush, but on its connection directly: the ORM's execution path cost more than SQLite takes to
    run a small statement, and the batch writers (the worker, the pathway engine) run thousands."""
    if session.autoflush:
        session.flush()  # pending objects first: the statement may refer to their rows
    return session.connection().execute(statement, parameters)


def insert_ignoring_conflict(session: Session, model: type[Any], values: dict[str, Any], *,
                             conflict_columns: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on either backend; returns whether the row was added.

    For idempotent writes that may race (a job key, a schedule name, a notification's dedupe key): the
    loser's insert quietly does nothing instead of failing the whole transaction.
    """
    table = model.__table__
    # RETURNING rather than rowcount: through a Session, drivers report rowcount -1 for some inserts.
    statement, row = conflict_ignoring_insert(table, values, conflict_columns, returning=(conflict_columns[0],))
    return execute_core(session, statement, row).first() is not None


def insert_all_ignoring_conflict(session: Session, model: type[Any], rows: list[dict[str, Any]], *,
                                 conflict_columns: list[str], returning: str | None = None) -> set[Any]:
    """Several rows (naming the same columns) in one INSERT ... ON CONFLICT DO NOTHING; returns the `returning`
    column's values (by default the first conflict column's) of the rows that were added (those whose key was
    free). Each statement shape is compiled once (`chunk_sizes`), however many rows a batch brings."""
    if not rows:
        return set()
    table = model.__table__
    filled = [{**python_defaults(table, row), **row} for row in rows]
    columns = tuple(filled[0])
    returned = (returning or conflict_columns[0],)
    added: set[Any] = set()
    start = 0
    for size in chunk_sizes(len(filled)):
        writer = _conflict_ignoring_insert_of(table, columns, tuple(conflict_columns), returned, size)
        values = chain.from_iterable(map(itemgetter(*columns), filled[start:start + size])) if len(columns) > 1 \
            else (row[columns[0]] for row in filled[start:start + size])
        parameters = dict(zip(_multi_row_names(columns, size), values, strict=True))
        added.update(row[0] for row in writer.rows(session, parameters))
        start += size
    return added


MULTI_ROW_MAX = 64


@lru_cache(maxsize=256)
def _multi_row_names(columns: tuple[str, ...], count: int) -> tuple[str, ...]:
    """The parameter names of `count` rows in one VALUES list, row by row: _rownumber_column."""
    return tuple(f"_{n}_{name}" for n in range(count) for name in columns)


def chunk_sizes(count: int) -> list[int]:
    """Rows (or keys) per statement for `count` of them: as many of MULTI_ROW_MAX as fit, then the rest as powers of
    two, so a batch of any size uses at most seven statement shapes (each is compiled once and kept)."""
    sizes = [MULTI_ROW_MAX] * (count // MULTI_ROW_MAX)
    rest = count % MULTI_ROW_MAX
    while rest:
        size = 1 << (rest.bit_length() - 1)
        sizes.append(size)
        rest -= size
    return sizes


def insert_each_ignoring_conflict(session: Session, model: type[Any], rows: list[dict[str, Any]], *,
                                  conflict_columns: list[str]) -> None:
    """Many rows (naming the same columns) as one executemany of INSERT ... ON CONFLICT DO NOTHING, for a caller
    that need not know which were added (the worker's relay: a key taken means the job exists already)."""
    if not rows:
        return
    table = model.__table__
    filled = [{**python_defaults(table, row), **row} for row in rows]
    _conflict_ignoring_insert_each(table, tuple(filled[0]), tuple(conflict_columns)).many(session, filled)


def conflict_ignoring_insert(table: Table, values: dict[str, Any], conflict_columns: list[str], *,
                             returning: tuple[str, ...]) -> tuple[TextualSelect, dict[str, Any]]:
    """The statement `INSERT ... ON CONFLICT (conflict_columns) DO NOTHING RETURNING returning` for these values,
    and the parameters to run it with (the values, plus the columns' Python-side defaults that were missing).

    Built once per shape and kept: SQLAlchemy's dialect-specific inserts (the only ones that know ON CONFLICT)
    opt out of its compiled cache, so building one per call recompiled it every time, which cost more than
    running it. The same SQL runs on SQLite (3.35 and later) and PostgreSQL. Each parameter carries its
    column's type, so enums, JSON and UTC datetimes are converted as a Core insert would convert them.
    """
    row = {**python_defaults(table, values), **values}
    statement = _conflict_ignoring_insert(table, tuple(row), tuple(conflict_columns), returning)
    return statement, row


@lru_cache(maxsize=256)
def _conflict_ignoring_insert(table: Table, columns: tuple[str, ...], conflict_columns: tuple[str, ...],
                              returning: tuple[str, ...]) -> TextualSelect:
    values = "(" + ", ".join(f":{name}" for name in columns) + ")"
    sql = _insert_sql(table, columns, values, conflict_columns) + " RETURNING " + quoted_names(table, returning)
    typed = [bindparam(name, type_=table.c[name].type) for name in columns]
    return text(sql).bindparams(*typed).columns(*(table.c[name] for name in returning))


@lru_cache(maxsize=256)
def _conflict_ignoring_insert_of(table: Table, columns: tuple[str, ...], conflict_columns: tuple[str, ...],
                                 returning: tuple[str, ...], count: int) -> DriverWrite:
    """The multi-row form: `count` rows in one VALUES list, parameters named _rownumber_column; run on the driver's
    cursor (driver_writes.py): through SQLAlchemy, converting a batch's thousands of values one bound parameter at a
    time cost more than SQLite's work on the rows."""
    values = ", ".join("(" + ", ".join(f":_{n}_{name}" for name in columns) + ")" for n in range(count))
    # The parameters are named as _multi_row_names names them.
    sql = _insert_sql(table, columns, values, conflict_columns) + " RETURNING " + quoted_names(table, returning)
    typed = [bindparam(f"_{n}_{name}", type_=table.c[name].type) for n in range(count) for name in columns]
    return DriverWrite(text(sql).bindparams(*typed).columns(*(table.c[name] for name in returning)))


@lru_cache(maxsize=64)
def _conflict_ignoring_insert_each(table: Table, columns: tuple[str, ...],
                                   conflict_columns: tuple[str, ...]) -> DriverWrite:
    """Without RETURNING, for an executemany (the drivers return no rows from one), on the driver's cursor."""
    values = "(" + ", ".join(f":{name}" for name in columns) + ")"
    return conflict_ignoring_insert_each(table, columns, conflict_columns,
                                         _insert_sql(table, columns, values, conflict_columns))


def _insert_sql(table: Table, columns: tuple[str, ...], values: str, conflict_columns: tuple[str, ...]) -> str:
    return insert_sql(table, columns, f"VALUES {values}", conflict_columns)


def insert_returning_key(session: Session, table: Table, values: dict[str, Any]) -> Any:
    """INSERT one row (the table's Python-side defaults fill the columns not given) and return its primary key;
    on the driver's cursor (driver_writes.py): the batch writers run this thousands of times a minute."""
    row = {**python_defaults(table, values), **values}
    key = table.primary_key.columns.values()[0]
    return driver_insert(table, tuple(row), (key,)).row(session, row)[0]
