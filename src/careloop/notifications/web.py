"""The notifications page: my notifications, newest first, and marking them read (same services as the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.errors import InvalidInput
from careloop.notifications import service, views
from careloop.web.context import FormDep, WebDep, public_id
from careloop.web.paging import page_number, paging, query_string

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class NotificationsQuery:
    """The address bar's filters; an odd value means the default, not an error."""

    unread_only: bool
    page: int

    @classmethod
    def parse(cls, request: Request) -> NotificationsQuery:
        params = request.query_params
        return cls(unread_only=params.get("unread") in ("1", "true"), page=page_number(params.get("page")))

    def params(self) -> list[tuple[str, str]]:
        return [("unread", "1" if self.unread_only else "")]


@router.get("/notifications")
def notifications(request: Request, web: WebDep) -> HTMLResponse:
    query = NotificationsQuery.parse(request)
    size = get_settings().page_size
    items, total = service.list_for(web.session, web.actor, unread_only=query.unread_only, page=query.page,
                                    size=size)
    here = "/notifications" + (f"?{qs}" if (qs := query_string([*query.params(), ("page", str(query.page))]))
                               else "")
    context = {
        "title": "Notifications", "rows": [views.notification_view(i) for i in items], "query": query,
        "here": here, "paging": paging("/notifications", query.params(), page=query.page, size=size, total=total),
        "unread_count": service.unread_count(web.session, web.actor),
        # "Mark all read" covers what this page could show, not one that arrives while it is open.
        "loaded_at": utcnow().isoformat(),
    }
    return web.page_or_partial("notifications/list.html", "notifications/_results.html", context,
                               section="notifications")


@router.post("/notifications/{notification_id}/read", response_model=None)
def mark_read(notification_id: str, web: WebDep, form: FormDep) -> Response:
    """From a row (htmx) the answer is the updated row and the nav count; otherwise back to the list."""
    item = service.mark_read(web.session, web.actor, public_id(notification_id))
    if web.htmx and form.get("view") == "row":
        context = {"n": views.notification_view(item), "here": _text(form.get("next")) or "/notifications",
                   "unread_count": service.unread_count(web.session, web.actor), "notice": "Marked read."}
        return web.partial("notifications/_row_update.html", context)
    return web.done("/notifications", form)


@router.post("/notifications/read-all", response_model=None)
def mark_all_read(web: WebDep, form: FormDep) -> Response:
    service.mark_all_read(web.session, web.actor, up_to=_instant(_text(form.get("up_to"))))
    return web.done("/notifications", form)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _instant(text: str) -> datetime | None:
    """The page's load time, sent back by the form; missing means 'everything unread'."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("The form sent an unreadable time; reload the page and try again.") from None
    if value.tzinfo is None:
        raise InvalidInput("The form sent a time without a timezone; reload the page and try again.")
    return value
