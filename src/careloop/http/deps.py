"""Request dependencies: the unit of work that commits at the end of a request, and the acting user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from careloop import db
from careloop.access import Actor
from careloop.auth import service as auth
from careloop.config import get_settings
from careloop.errors import Forbidden, NotAuthenticated
from careloop.group_commit import Ticket

SESSION_COOKIE = "careloop_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@asynccontextmanager
async def _database_slot(request: Request) -> AsyncIterator[None]:
    """Wait, on the event loop, for one of a bounded number of slots before touching the database.

    A request holds its pooled connection across several thread-pool hops (dependencies, endpoint,
    commit), and between hops it holds no thread. Unbounded, more requests can hold connections than the
    pool has, while the threads that could run their commits are all blocked waiting for a connection: a
    deadlock that ends in pool timeouts. With at most `request_threads` requests past this point, and a
    pool larger than that (db.make_engine), a connection is always free. Waiting here costs no thread.
    """
    slots = getattr(request.app.state, "database_slots", None)
    if slots is None:
        slots = request.app.state.database_slots = anyio.Semaphore(get_settings().request_threads)
    async with slots:
        yield


async def database_slot(request: Request) -> AsyncIterator[None]:
    async with _database_slot(request):
        yield


def db_session(request: Request, _slot: Annotated[None, Depends(database_slot)]) -> Iterator[Session]:
    """The request is the unit of work: it commits when the endpoint returns (before the response is sent, see
    DbSession), rolls back if it raises.

    A GET (or HEAD) only reads clinical data; its writes are bookkeeping (audit rows), so it is read-mostly:
    on SQLite it does not hold the database's single write lock while it reads (see db.unit_of_work)."""
    with db.unit_of_work(read_mostly=request.method in SAFE_METHODS) as session:
        yield session


# scope="function": the unit of work commits when the endpoint returns, before the response is sent. FastAPI's
# default for a dependency with yield ("request") ends it after the response has gone, which would tell a client
# "201 Created" before the commit (a failed commit then loses what it was told was saved), let a redirected
# browser read the page before the change is there, and show data before its audit rows are stored.
DbSession = Annotated[Session, Depends(db_session, scope="function")]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_actor(request: Request, session: DbSession) -> Actor:
    """API clients send a bearer token; a signed-in browser may use its session cookie plus the CSRF header."""
    token = _bearer(request)
    if token is not None:
        actor = auth.api_token_actor(session, token, channel="api", source_ip=client_ip(request))
        if actor is None:
            raise NotAuthenticated("The bearer token is unknown, revoked or expired.")
        return actor
    cookie = request.cookies.get(SESSION_COOKIE)
    resolved = auth.resolve_session(session, cookie) if cookie else None
    if resolved is None:
        raise NotAuthenticated("Sign in, or send 'Authorization: Bearer <token>'.")
    user, web_session = resolved
    if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != web_session.csrf_token:
        raise Forbidden(f"A browser request that changes data must carry the {CSRF_HEADER} header.")
    return auth.actor_for(session, user, channel="api", source_ip=client_ip(request))


ApiActor = Annotated[Actor, Depends(api_actor)]


async def credentials_presented(request: Request) -> None:
    """Refuse a request that carries neither a bearer token nor a session cookie, before its parameters are
    checked (a dependency runs first): routes that resolve their actor inside `as_api_actor` answer 401, not
    422, to an anonymous request with a bad parameter, as every other route does. Async and without the
    database: whether the credentials are valid is decided with the work, on its thread hop."""
    if _bearer(request) is None and not request.cookies.get(SESSION_COOKIE):
        raise NotAuthenticated("Sign in, or send 'Authorization: Bearer <token>'.")

T = TypeVar("T")


async def as_api_actor(request: Request, work: Callable[[Session, Actor], T]) -> T:
    """Run `work` as the request's actor in the request's unit of work, all on one thread-pool hop.

    The same as declaring DbSession and ApiActor, for the pages read all day (the worklist, the patient
    record): FastAPI runs each sync dependency, the closing of the unit of work and the endpoint on a thread
    hop of its own (four per request, each handing the interpreter lock between the event loop and a
    thread), which cost more CPU than some of the pages' queries. Here the token is resolved and the work done
    in one call, and its audit rows are committed before it returns, so still before the response is sent.
    Its audit rows go to the group committer, and the wait for their commit happens here on the event loop,
    after the thread and the database slot are given back: a thread waiting for a commit would serve nothing.
    """
    pending: list[Ticket] = []
    async with _database_slot(request):
        result = await run_in_threadpool(_in_unit_of_work_as_actor, request, work, pending)
    for ticket in pending:
        await ticket.wait_async()
    return result


def _in_unit_of_work_as_actor(request: Request, work: Callable[[Session, Actor], T], pending: list[Ticket]) -> T:
    with db.unit_of_work(read_mostly=request.method in SAFE_METHODS, appends_stored_later=pending) as session:
        return work(session, api_actor(request, session))


def expected_version(body_version: int, if_match: str | None) -> int:
    """The version a client last read, for optimistic locking: an If-Match header (W/"3" or "3") wins over
    the body's version field."""
    if if_match:
        digits = if_match.removeprefix("W/").strip('"')
        if digits.isdigit():
            return int(digits)
    return body_version
