"""Resources and Bundles as the API returns them: the stored JSON with the server's id and meta
(http.html#read: meta.versionId and meta.lastUpdated are the server's), and Bundles of type searchset and
history (bundle.html, search.html#bundle)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import orjson

from careloop.integrations.fhir.api.repository import Stored


def instant(stored: Stored) -> str:
    return stored.last_updated.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def resource(stored: Stored) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(stored.json)
    body["id"] = stored.logical_id
    meta = dict(body.get("meta") or {})
    meta["versionId"] = str(stored.version_id)
    meta["lastUpdated"] = instant(stored)
    body["meta"] = meta
    return body


def etag(stored: Stored) -> str:
    return f'W/"{stored.version_id}"'


def headers(stored: Stored) -> dict[str, str]:
    return {"ETag": etag(stored), "Last-Modified": stored.last_updated.strftime("%a, %d %b %Y %H:%M:%S GMT")}


def url(base: str, path: str, query: Iterable[tuple[str, str]] = ()) -> str:
    encoded = urlencode(list(query))
    return f"{base}/{path}" + (f"?{encoded}" if encoded else "")


def searchset(base: str, *, total: int, matches: list[Stored], included: list[Stored],
              links: dict[str, str]) -> dict[str, Any]:
    entries = [_entry(base, s, "match") for s in matches] + [_entry(base, s, "include") for s in included]
    body: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total,
                            "link": [{"relation": rel, "url": href} for rel, href in links.items()]}
    if entries:
        body["entry"] = entries
    return body


def history(base: str, versions: list[Stored], self_url: str) -> dict[str, Any]:
    """Newest first; version 1 was a create, later ones updates (http.html#history)."""
    entries = []
    for stored in versions:
        path = f"{stored.resource_type}/{stored.logical_id}"
        entries.append({
            "fullUrl": f"{base}/{path}", "resource": resource(stored),
            "request": {"method": "POST" if stored.version_id == 1 else "PUT",
                        "url": stored.resource_type if stored.version_id == 1 else path},
            "response": {"status": "201 Created" if stored.version_id == 1 else "200 OK", "etag": etag(stored),
                         "lastModified": instant(stored)},
        })
    body: dict[str, Any] = {"resourceType": "Bundle", "type": "history", "total": len(entries),
                            "link": [{"relation": "self", "url": self_url}]}
    if entries:
        body["entry"] = entries
    return body


def _entry(base: str, stored: Stored, mode: str) -> dict[str, Any]:
    return {"fullUrl": f"{base}/{stored.resource_type}/{stored.logical_id}", "resource": resource(stored),
            "search": {"mode": mode}}
