"""Prev/next links and 'x-y of N' for paged lists, keeping the list's filters in the links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Paging:
    total: int
    first: int
    last: int
    prev_url: str | None
    next_url: str | None


def paging(path: str, params: Sequence[tuple[str, str]], *, page: int, size: int, total: int) -> Paging:
    kept = [(k, v) for k, v in params if k != "page" and v != ""]

    def url(n: int) -> str:
        return f"{path}?{urlencode([*kept, ('page', str(n))])}"

    first = (page - 1) * size + 1
    last = min(page * size, total)
    return Paging(total=total, first=min(first, total), last=last, prev_url=url(page - 1) if page > 1 else None,
                  next_url=url(page + 1) if last < total else None)


def page_number(raw: str | None) -> int:
    """A page number from the address bar; anything odd means the first page rather than an error."""
    return max(1, min(int(raw), 100000)) if raw and raw.isdigit() else 1


def query_string(params: Sequence[tuple[str, str]]) -> str:
    kept = [(k, v) for k, v in params if v != ""]
    return urlencode(kept)
