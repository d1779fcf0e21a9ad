"""Reading FHIR input: files, directories, .gz and .zip holding Bulk Data NDJSON (one resource per line, one
file per type) or JSON (a Bundle or a single resource), as a stream of units the importer applies together.

A transaction Bundle is one atomic unit (FHIR R4 http.html#transaction); a batch or collection Bundle, and
NDJSON, are per resource, so they come in chunks of independent entries. Lines that are not JSON become
entries with an error (file and line kept), so the importer reports them and the rest carries on.
"""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import orjson

from careloop.errors import InvalidInput
from careloop.integrations.fhir.structure import RESOURCE_TYPES, type_rank

CHUNK = 2000  # NDJSON lines per unit: enough to amortise a round trip per batch, small enough to stream


@dataclass(slots=True)
class Entry:
    location: str  # "file:line" or "file#entry[n]", for reports and provenance
    resource: dict[str, Any] | None
    raw: bytes | None = None  # the NDJSON line as read, stored as is
    full_url: str | None = None
    error: str | None = None  # why this entry could not be read at all

    @property
    def resource_type(self) -> str | None:
        found = self.resource.get("resourceType") if self.resource is not None else None
        return found if isinstance(found, str) else None


@dataclass(slots=True)
class Unit:
    entries: list[Entry]
    atomic: bool = False  # a transaction: all entries or none
    label: str = ""
    # fullUrl -> (type, id) of every entry of the bundle, for references between entries (urn:uuid...)
    full_urls: dict[str, tuple[str, str]] = field(default_factory=dict)
    error: str | None = None  # a problem with the whole unit (a transaction that cannot be applied)
    consumed: int = 0  # input bytes (as stored on disk) this unit accounts for, for progress


@dataclass(frozen=True, slots=True)
class Source:
    """One readable input: a file on disk or a member of a zip archive."""

    path: Path
    member: str | None = None

    @property
    def name(self) -> str:
        return self.member or self.path.name

    @property
    def label(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)


@dataclass(slots=True)
class Plan:
    sources: list[Source]
    total_bytes: int
    skipped: list[tuple[str, str]]  # (path, why) for files in directories that are not FHIR input


def plan(paths: Iterable[Path]) -> Plan:
    """The inputs of a run, in the order they are read. Refuses a path that does not exist before anything
    is written, so a typo never half-runs an import."""
    sources: list[Source] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        if not path.exists():
            raise InvalidInput(f"{path}: no such file or directory")
        if path.is_dir():
            found = sorted((p for p in path.rglob("*") if p.is_file()), key=lambda p: str(p))
            for file in found:
                why = _not_input(file.name)
                if why:
                    skipped.append((str(file), why))
                else:
                    sources.extend(_sources_of(file, skipped))
        else:
            sources.extend(_sources_of(path, skipped, named=True))
    ordered = sorted(enumerate(sources), key=lambda pair: (_order_key(pair[1]), pair[0]))
    result = [source for _, source in ordered]
    return Plan(result, sum(_size(s) for s in {s.path for s in result}), skipped)


def _base_name(name: str) -> str:
    """The name without a .gz suffix (Patient.ndjson.gz reads as Patient.ndjson)."""
    return name[:-3] if name.endswith(".gz") else name


def _not_input(name: str) -> str | None:
    """Why a file met while walking a directory is not read (None: it is read)."""
    base = _base_name(name)
    if name.endswith(".zip"):
        return None
    if base.endswith(".ndjson"):
        # Bulk Data output files are named after their resource type (Patient.ndjson, Patient.000.ndjson);
        # anything else in the folder (an export log, say) is not resources.
        if base.split(".", 1)[0] not in RESOURCE_TYPES:
            return "an NDJSON file whose name does not start with a FHIR resource type"
        return None
    if base.endswith(".json"):
        return None
    return "not .ndjson, .json, .gz or .zip"


def _sources_of(path: Path, skipped: list[tuple[str, str]], *, named: bool = False) -> list[Source]:
    if path.name.endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as archive:
                members = sorted(info.filename for info in archive.infolist() if not info.is_dir())
        except zipfile.BadZipFile as exc:
            raise InvalidInput(f"{path}: not a readable zip archive ({exc})") from exc
        result = []
        for member in members:
            why = _not_input(Path(member).name)
            if why:
                skipped.append((f"{path}!{member}", why))
            else:
                result.append(Source(path, member))
        return result
    if named and not _base_name(path.name).endswith((".ndjson", ".json")):
        raise InvalidInput(f"{path}: expected .ndjson or .json (optionally .gz), or a .zip or a directory")
    return [Source(path)]


def _order_key(source: Source) -> tuple[int, int, str]:
    """NDJSON before bundles, by resource type (organizations and patients before what refers to them), then
    Synthea's hospital and practitioner bundles before the patient bundles that refer to them. Order only
    saves work: references to later inputs resolve at the end of the run anyway."""
    base = _base_name(Path(source.name).name)
    if base.endswith(".ndjson"):
        return (0, type_rank(base.split(".", 1)[0]), source.label)
    lowered = base.lower()
    provider = any(word in lowered for word in ("hospital", "practitioner", "organization"))
    return (1 if provider else 2, 0, source.label)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read(source: Source, chunk: int = CHUNK) -> Iterator[Unit]:
    """The units of one source, streaming NDJSON line by line."""
    with _Opened(source) as (stream, position):
        if _base_name(Path(source.name).name).endswith(".ndjson"):
            yield from _ndjson(source, stream, position, chunk)
        else:
            yield from _json_document(source, stream.read(), position())


Position = Callable[[], int]


class _Opened:
    """The decompressed byte stream of a source, and how many on-disk bytes of it have been consumed."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self._closers: list[Any] = []

    def __enter__(self) -> tuple[IO[bytes], Position]:
        source = self._source
        if source.member is not None:
            archive = zipfile.ZipFile(source.path)
            self._closers.append(archive)
            info = archive.getinfo(source.member)
            member = archive.open(info)
            self._closers.append(member)
            stream: IO[bytes] = member
            if source.member.endswith(".gz"):
                stream = self._gunzip(member)
            ratio = info.compress_size / max(info.file_size, 1)
            return stream, lambda: int(member.tell() * ratio)
        raw = open(source.path, "rb")
        self._closers.append(raw)
        if source.path.name.endswith(".gz"):
            return self._gunzip(raw), raw.tell  # compressed bytes read so far
        return raw, raw.tell

    def _gunzip(self, stream: IO[bytes]) -> IO[bytes]:
        unzipped = gzip.GzipFile(fileobj=stream)
        self._closers.append(unzipped)
        return cast(IO[bytes], unzipped)

    def __exit__(self, *exc: object) -> None:
        for closer in reversed(self._closers):
            closer.close()


def _ndjson(source: Source, stream: IO[bytes], position: Position, chunk: int) -> Iterator[Unit]:
    label = source.label
    entries: list[Entry] = []
    reported = 0
    loads = orjson.loads
    for number, line in enumerate(stream, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        try:
            resource = loads(stripped)
        except orjson.JSONDecodeError as exc:
            entries.append(Entry(f"{label}:{number}", None, error=f"not valid JSON ({exc})"))
        else:
            if isinstance(resource, dict):
                entries.append(Entry(f"{label}:{number}", resource, stripped))
            else:
                entries.append(Entry(f"{label}:{number}", None, error="not a JSON object"))
        if len(entries) >= chunk:
            done = position()
            yield Unit(entries, label=label, consumed=done - reported)
            reported, entries = done, []
    yield Unit(entries, label=label, consumed=max(position() - reported, 0))


def _json_document(source: Source, data: bytes, size: int) -> Iterator[Unit]:
    label = source.label
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        yield Unit([Entry(label, None, error=f"not valid JSON ({exc})")], label=label, consumed=size)
        return
    if not isinstance(document, dict):
        yield Unit([Entry(label, None, error="not a JSON object")], label=label, consumed=size)
        return
    if document.get("resourceType") != "Bundle":
        yield Unit([Entry(label, document)], label=label, consumed=size)
        return
    yield _bundle(label, document, size)


def _bundle(label: str, bundle: dict[str, Any], size: int) -> Unit:
    raw_entries = bundle.get("entry") or []
    if not isinstance(raw_entries, list):
        return Unit([Entry(label, None, error="Bundle.entry is not a list")], label=label, consumed=size)
    entries: list[Entry] = []
    full_urls: dict[str, tuple[str, str]] = {}
    for index, item in enumerate(raw_entries):
        location = f"{label}#entry[{index}]"
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict):
            entries.append(Entry(location, None, error="bundle entry without a resource"))
            continue
        full_url = item.get("fullUrl")
        full_url = full_url if isinstance(full_url, str) else None
        _fill_missing_id(resource, full_url)
        entries.append(Entry(location, resource, full_url=full_url))
        rtype, rid = resource.get("resourceType"), resource.get("id")
        if full_url and isinstance(rtype, str) and isinstance(rid, str):
            full_urls[full_url] = (rtype, rid)
    kind = bundle.get("type")
    if kind == "transaction":
        return Unit(entries, atomic=True, label=label, full_urls=full_urls,
                    error=_transaction_problem(entries, raw_entries), consumed=size)
    # batch, collection, searchset, history...: each entry stands alone (FHIR R4 http.html#transaction: a
    # batch's entries succeed or fail independently).
    return Unit(entries, label=label, full_urls=full_urls, consumed=size)


def _fill_missing_id(resource: dict[str, Any], full_url: str | None) -> None:
    """A transaction may POST a resource without an id, naming it only by its urn:uuid fullUrl; that uuid is
    then the only stable name the source gave it, so it becomes the id (and re-imports find it again)."""
    if "id" not in resource and full_url and full_url.startswith("urn:uuid:"):
        resource["id"] = full_url[len("urn:uuid:"):]


def _transaction_problem(entries: list[Entry], raw_entries: list[Any]) -> str | None:
    """What makes a whole transaction unacceptable before any entry is looked at on its own."""
    unreadable = [entry for entry in entries if entry.error]
    if unreadable:
        return f"{unreadable[0].location}: {unreadable[0].error}"
    seen: set[tuple[Any, Any]] = set()
    for entry, item in zip(entries, raw_entries, strict=True):
        assert entry.resource is not None
        key = (entry.resource.get("resourceType"), entry.resource.get("id"))
        if key[1] is not None and key in seen:
            # FHIR R4 http.html#trules: a transaction must not touch the same resource twice.
            return f"{entry.location}: {key[0]}/{key[1]} appears twice in the transaction"
        seen.add(key)
        method = (item.get("request") or {}).get("method") if isinstance(item, dict) else None
        if method not in (None, "POST", "PUT"):
            return f"{entry.location}: request method {method} is not supported by import (only POST and PUT)"
    return None
