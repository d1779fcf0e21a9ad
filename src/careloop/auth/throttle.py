"""Slow down password guessing, per account and per address.

After `login_free_failures` failures within the window (counted since the last success), each further try
must wait 2^(extra failures) seconds after the last failure, up to `login_max_lockout_seconds`. Throttling
by address as well stops one client from spraying many accounts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from careloop.config import get_settings
from careloop.errors import TooManyAttempts
from careloop.models import LoginAttempt


def check(session: Session, username: str, source_ip: str, now: datetime) -> None:
    wait = max(_wait_seconds(session, LoginAttempt.username == username, now),
               _wait_seconds(session, LoginAttempt.source_ip == source_ip, now, per_address=True))
    if wait > 0:
        raise TooManyAttempts(f"Too many failed sign-ins. Try again in {wait} seconds.", retry_after=wait)


def _wait_seconds(session: Session, who: ColumnElement[bool], now: datetime, *, per_address: bool = False) -> int:
    settings = get_settings()
    since = now - timedelta(minutes=settings.login_window_minutes)
    last_success = session.scalar(select(func.max(LoginAttempt.at)).where(who, LoginAttempt.succeeded))
    if last_success is not None and last_success > since:
        since = last_success
    failures, last_failure = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(who, ~LoginAttempt.succeeded, LoginAttempt.at > since)
    ).one()
    # An address may serve a whole clinic behind one NAT, so it gets more room than an account.
    free = settings.login_free_failures * (4 if per_address else 1)
    if failures < free or last_failure is None:
        return 0
    delay = min(2 ** (failures - free + 1), settings.login_max_lockout_seconds)
    remaining = (last_failure + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(remaining + 0.999))
