"""Readers for the history import formats (pure Python, no Django): each turns a file into
*items* — a CSV row, a JSONL line, a Zendesk ticket — and each item into records (client,
case, message) with plain fields.  A reader never raises for bad content: an item it cannot
read carries an ``error`` with its line number, and reading goes on (docs/import.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

FORMATS = ("csv", "jsonl", "zendesk")
DIRECTIONS = ("inbound", "outbound", "note")
MAX_LINE_BYTES = 8 * 2**20  # one JSONL line / one CSV field

CSV_COLUMNS = (
    "client_id",
    "client_name",
    "client_email",
    "client_phone",
    "client_language",
    "case_id",
    "case_subject",
    "case_channel",
    "case_status",
    "case_priority",
    "case_created_at",
    "message_id",
    "direction",
    "occurred_at",
    "author",
    "language",
    "text",
)
CSV_REQUIRED = ("client_id", "case_id", "message_id", "direction", "occurred_at", "text")

# Zendesk values -> ours (https://developer.zendesk.com/api-reference/ticketing/tickets/).
ZENDESK_STATUS = {
    "new": "new",
    "open": "open",
    "pending": "waiting_on_client",
    "hold": "waiting_on_us",
    "solved": "resolved",
    "closed": "closed",
}
ZENDESK_CHANNEL = {
    "email": "email",
    "web": "web",
    "web_form": "web",
    "web_widget": "web",
    "chat": "chat",
    "native_messaging": "chat",
    "voice": "phone",
    "phone": "phone",
}


class RecordError(ValueError):
    """A record that cannot be imported; ``str(exc)`` is the reason shown in the summary."""


@dataclass
class Record:
    kind: str  # "client" | "case" | "message"
    external_id: str
    fields: dict[str, Any]


@dataclass
class Item:
    line: int  # 1-based line of the item in the file (whole-JSON files: the ticket's number)
    records: list[Record] = field(default_factory=list)
    error: str = ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def detect_format(path: Path) -> str:
    """csv by extension; for JSON files the first object decides (a ``type`` of client, case
    or message is our JSONL; tickets or users are Zendesk)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip()
    if head.startswith(b"{"):
        first = head.split(b"\n", 1)[0]
        try:
            obj = json.loads(first)
        except ValueError:
            return "zendesk"  # a whole (pretty-printed) JSON document
        if isinstance(obj, dict) and obj.get("type") in ("client", "case", "message"):
            return "jsonl"
        return "zendesk"
    if head.startswith(b"["):
        return "zendesk"
    raise RecordError(f"cannot tell the format of {path.name}: pass --format csv|jsonl|zendesk")


# ---- values -------------------------------------------------------------------------------


def text_value(value: Any, name: str, *, required: bool = False, limit: int = 0) -> str:
    if value is None:
        value = ""
    if isinstance(value, (dict, list)):
        raise RecordError(f"{name} must be text, not {type(value).__name__}")
    text = str(value)
    if required and not text.strip():
        raise RecordError(f"{name} is missing")
    if limit and len(text) > limit:
        raise RecordError(f"{name} is longer than {limit} characters")
    return text


def id_value(value: Any, name: str) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list, float)):
        raise RecordError(f"{name} is missing" if value is None else f"{name} is not an id")
    text = str(value).strip()
    if not text:
        raise RecordError(f"{name} is missing")
    if len(text) > 200 or not text.isprintable():
        raise RecordError(f"{name} must be at most 200 printable characters")
    return text


def time_value(
    value: Any, name: str, tz: dt.tzinfo, *, required: bool = True
) -> dt.datetime | None:
    """ISO 8601 (``2023-05-01T09:30:00Z``, ``2023-05-01 09:30:00+02:00``) or Unix seconds;
    a time without a zone is read in ``tz`` (--timezone, default UTC)."""
    if value is None or value == "":
        if required:
            raise RecordError(f"{name} is missing")
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(float(value), dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise RecordError(f"{name} {value!r} is not a time") from exc
    text = str(value).strip()
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise RecordError(f"{name} {text[:40]!r} is not an ISO 8601 time") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when


def zone(name: str) -> dt.tzinfo:
    if name.upper() == "UTC":
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise RecordError(f"unknown time zone {name!r}") from exc


def _client(raw: dict[str, Any], prefix: str = "") -> Record:
    return Record(
        "client",
        id_value(raw.get(prefix + "id"), prefix + "id"),
        {
            "name": text_value(raw.get(prefix + "name"), prefix + "name", limit=200).strip(),
            "email": text_value(raw.get(prefix + "email"), prefix + "email").strip(),
            "phone": text_value(raw.get(prefix + "phone"), prefix + "phone").strip(),
            "language": text_value(raw.get(prefix + "language"), prefix + "language").strip(),
            "tags": _tags(raw.get("tags")) if not prefix else [],
        },
    )


def _tags(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    raise RecordError("tags must be a list or a comma-separated text")


def _case(raw: dict[str, Any], tz: dt.tzinfo, prefix: str = "") -> Record:
    client_key = "client_id" if prefix else "client"
    return Record(
        "case",
        id_value(raw.get(prefix + "id"), prefix + "id"),
        {
            "client": id_value(raw.get(client_key), client_key),
            "subject": text_value(raw.get(prefix + "subject"), prefix + "subject").strip(),
            "channel": text_value(raw.get(prefix + "channel"), prefix + "channel").strip()
            or "other",
            "status": text_value(raw.get(prefix + "status"), prefix + "status").strip(),
            "priority": text_value(raw.get(prefix + "priority"), prefix + "priority").strip()
            or "normal",
            "created_at": time_value(
                raw.get(prefix + "created_at"), prefix + "created_at", tz, required=False
            ),
            "tags": _tags(raw.get("tags")) if not prefix else [],
        },
    )


def _message(raw: dict[str, Any], tz: dt.tzinfo, *, id_key: str, case_key: str) -> Record:
    direction = text_value(raw.get("direction"), "direction", required=True).strip().lower()
    if direction not in DIRECTIONS:
        raise RecordError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    return Record(
        "message",
        id_value(raw.get(id_key), id_key),
        {
            "case": id_value(raw.get(case_key), case_key),
            "direction": direction,
            "occurred_at": time_value(raw.get("occurred_at"), "occurred_at", tz),
            "text": text_value(raw.get("text"), "text", required=True),
            "language": text_value(raw.get("language"), "language").strip().lower(),
            "author": text_value(raw.get("author"), "author").strip(),
        },
    )


# ---- CSV ----------------------------------------------------------------------------------


def read_csv(path: Path, tz: dt.tzinfo) -> Iterator[Item]:
    """One row per message; the client and case columns repeat on every row of the case
    (the first row that names a client or case creates it)."""
    csv.field_size_limit(MAX_LINE_BYTES)
    with path.open(encoding="utf-8-sig", newline="", errors="strict") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            yield Item(1, error=f"the header row lacks the column(s) {', '.join(missing)}")
            return
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                yield Item(line, error=f"unreadable row: {exc}")
                return
            if None in row:
                yield Item(line, error="the row has more fields than the header")
                continue
            try:
                yield Item(
                    line,
                    [
                        _client(row, "client_"),
                        _case(row, tz, "case_"),
                        _message(row, tz, id_key="message_id", case_key="case_id"),
                    ],
                )
            except RecordError as exc:
                yield Item(line, error=str(exc))


def count_csv(path: Path) -> int:
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return max(sum(1 for _ in csv.reader(fh)) - 1, 0)
    except (csv.Error, UnicodeDecodeError):
        return 0


# ---- JSONL --------------------------------------------------------------------------------


def _json_lines(path: Path) -> Iterator[tuple[int, Any, str]]:
    with path.open("rb") as fh:
        for number, raw_line in enumerate(fh, start=1):
            if not raw_line.strip():
                continue
            if len(raw_line) > MAX_LINE_BYTES:
                yield number, None, f"line longer than {MAX_LINE_BYTES} bytes"
                continue
            try:
                yield number, json.loads(raw_line.decode("utf-8")), ""
            except UnicodeDecodeError:
                yield number, None, "not UTF-8"
            except ValueError as exc:
                yield number, None, f"not JSON: {exc}"


def read_jsonl(path: Path, tz: dt.tzinfo) -> Iterator[Item]:
    """One object per line: {"type": "client"|"case"|"message", ...} (docs/import.md)."""
    for number, obj, error in _json_lines(path):
        if error:
            yield Item(number, error=error)
            continue
        if not isinstance(obj, dict):
            yield Item(number, error="not a JSON object")
            continue
        kind = obj.get("type")
        try:
            if kind == "client":
                records = [_client(obj)]
            elif kind == "case":
                records = [_case(obj, tz)]
            elif kind == "message":
                records = [_message(obj, tz, id_key="id", case_key="case")]
            else:
                raise RecordError(f"type {kind!r} is not client, case or message")
        except RecordError as exc:
            yield Item(number, error=str(exc))
            continue
        yield Item(number, records)


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


# ---- Zendesk ------------------------------------------------------------------------------


@dataclass
class ZendeskExport:
    """What a Zendesk export holds besides the tickets: the users (side-loaded with
    ``include=users`` or as user lines of an NDJSON export), to name the requesters and to
    tell agents' comments from the requester's."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tickets: int = 0
    document: Any = None  # a whole-JSON export, parsed once


def _zendesk_objects(path: Path) -> Iterator[tuple[int, Any, str]]:
    """(line or ticket number, object, error) for a whole JSON document (one page of the
    incremental export, or a list of pages) or an NDJSON file (one ticket or user a line)."""
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip()
    whole = head.startswith(b"[")
    if head.startswith(b"{"):
        first = head.split(b"\n", 1)[0]
        try:
            json.loads(first)
        except ValueError:
            whole = True
    if not whole:
        yield from _json_lines(path)
        return
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        yield 1, None, f"not a JSON document: {exc}"
        return
    pages = doc if isinstance(doc, list) else [doc]
    number = 0
    for page in pages:
        if not isinstance(page, dict):
            number += 1
            yield number, None, "not a JSON object"
            continue
        for user in page.get("users") or []:
            yield 0, {"__user__": user}, ""
        tickets = page.get("tickets")
        if tickets is None and "ticket" in page:
            tickets = [page["ticket"]]
        for ticket in tickets or []:
            number += 1
            if isinstance(ticket, dict) and "comments" not in ticket and page.get("comments"):
                ticket = {**ticket, "comments": page["comments"]}
            yield number, ticket, ""


def _is_user(obj: dict[str, Any]) -> bool:
    return "role" in obj and "subject" not in obj and "requester_id" not in obj


def scan_zendesk(path: Path) -> ZendeskExport:
    export = ZendeskExport()
    for _number, obj, error in _zendesk_objects(path):
        if error or not isinstance(obj, dict):
            if error:
                export.tickets += 1
            continue
        if "__user__" in obj:
            user = obj["__user__"]
            if isinstance(user, dict) and user.get("id") is not None:
                export.users[str(user["id"])] = user
        elif "users" in obj and isinstance(obj["users"], list) and "subject" not in obj:
            for user in obj["users"]:
                if isinstance(user, dict) and user.get("id") is not None:
                    export.users[str(user["id"])] = user
            if isinstance(obj.get("tickets"), list):
                export.tickets += len(obj["tickets"])
        elif _is_user(obj):
            if obj.get("id") is not None:
                export.users[str(obj["id"])] = obj
        else:
            export.tickets += 1
    return export


def _comment_text(comment: dict[str, Any]) -> str:
    for key in ("plain_body", "body"):
        value = comment.get(key)
        if isinstance(value, str) and value.strip():
            return value
    html_body = comment.get("html_body")
    if isinstance(html_body, str) and html_body.strip():
        from calmdesk.channels.lib.parse import html_to_text

        return html_to_text(html_body)
    return ""


def _zendesk_ticket(ticket: dict[str, Any], export: ZendeskExport, tz: dt.tzinfo) -> list[Record]:
    ticket_id = id_value(ticket.get("id"), "ticket id")
    requester = ticket.get("requester_id")
    if requester is None and isinstance(ticket.get("requester"), dict):
        requester = ticket["requester"].get("id")
    requester_id = id_value(requester, "requester_id")
    user = export.users.get(requester_id, {})
    via_value = ticket.get("via")
    via: dict[str, Any] = via_value if isinstance(via_value, dict) else {}
    status = str(ticket.get("status") or "").lower()
    records = [
        Record(
            "client",
            requester_id,
            {
                "name": text_value(user.get("name"), "requester name", limit=200).strip()
                or f"Zendesk user {requester_id}",
                "email": text_value(user.get("email"), "requester email").strip(),
                "phone": text_value(user.get("phone"), "requester phone").strip(),
                "language": _zendesk_language(user.get("locale")),
                "tags": [],
            },
        ),
        Record(
            "case",
            ticket_id,
            {
                "client": requester_id,
                "subject": text_value(
                    ticket.get("subject") or ticket.get("raw_subject"), "subject"
                ).strip()
                or f"Zendesk ticket {ticket_id}",
                "channel": ZENDESK_CHANNEL.get(str(via.get("channel") or "").lower(), "other"),
                "status": ZENDESK_STATUS.get(status, ""),
                "priority": str(ticket.get("priority") or "normal").lower(),
                "created_at": time_value(
                    ticket.get("created_at"), "created_at", tz, required=False
                ),
                "tags": _tags(ticket.get("tags")),
            },
        ),
    ]
    comments = ticket.get("comments")
    if comments is None:
        # No comments in this export (the plain ticket export): the description is the
        # requester's first message.
        comments = [
            {
                "id": f"{ticket_id}-description",
                "author_id": requester_id,
                "body": ticket.get("description") or "",
                "public": True,
                "created_at": ticket.get("created_at"),
            }
        ]
    if not isinstance(comments, list):
        raise RecordError("comments must be a list")
    for index, comment in enumerate(comments, start=1):
        if not isinstance(comment, dict):
            records.append(Record("message", f"{ticket_id}#{index}", {"error": "not an object"}))
            continue
        if comment.get("ticket_id") not in (None, "") and str(comment["ticket_id"]) != ticket_id:
            continue  # a page-level comments list holds other tickets' comments too
        try:
            author = id_value(comment.get("author_id"), "author_id")
            author_user = export.users.get(author, {})
            if author == requester_id:
                direction = "inbound"
            elif comment.get("public", True) is False:
                direction = "note"
            else:
                direction = "outbound"
            records.append(
                Record(
                    "message",
                    id_value(comment.get("id"), "comment id"),
                    {
                        "case": ticket_id,
                        "direction": direction,
                        "occurred_at": time_value(comment.get("created_at"), "created_at", tz),
                        "text": _comment_text(comment),
                        "language": "",
                        "author": str(author_user.get("email") or ""),
                    },
                )
            )
        except RecordError as exc:
            cid = str(comment.get("id") or f"{ticket_id}#{index}")
            records.append(Record("message", cid, {"error": str(exc)}))
    return records


def _zendesk_language(locale: Any) -> str:
    code = str(locale or "").lower()
    if code.startswith("sr") and "latn" in code:
        return "sr-latn"
    for lang in ("en", "pl", "sr", "hr", "bs", "he"):
        if code == lang or code.startswith(lang + "-"):
            return lang
    if code.startswith("iw"):
        return "he"
    return ""


def read_zendesk(path: Path, tz: dt.tzinfo, export: ZendeskExport) -> Iterator[Item]:
    for number, obj, error in _zendesk_objects(path):
        if error:
            yield Item(number, error=error)
            continue
        if not isinstance(obj, dict):
            yield Item(number, error="not a JSON object")
            continue
        if "__user__" in obj or _is_user(obj):
            continue
        if "users" in obj and "subject" not in obj:
            # an NDJSON line that is a whole page (side-loaded users + tickets)
            for ticket in obj.get("tickets") or []:
                yield _ticket_item(number, ticket, export, tz)
            continue
        yield _ticket_item(number, obj, export, tz)


def _ticket_item(number: int, ticket: Any, export: ZendeskExport, tz: dt.tzinfo) -> Item:
    if not isinstance(ticket, dict):
        return Item(number, error="a ticket must be a JSON object")
    try:
        return Item(number, _zendesk_ticket(ticket, export, tz))
    except RecordError as exc:
        return Item(number, error=f"ticket {ticket.get('id', '?')}: {exc}")


# ---- entry point --------------------------------------------------------------------------


@dataclass
class Source:
    format: str
    total: int
    items: Iterator[Item]


def open_source(path: Path, fmt: str, tz: dt.tzinfo) -> Source:
    if fmt == "csv":
        return Source(fmt, count_csv(path), read_csv(path, tz))
    if fmt == "jsonl":
        return Source(fmt, count_lines(path), read_jsonl(path, tz))
    if fmt == "zendesk":
        export = scan_zendesk(path)
        return Source(fmt, export.tickets, read_zendesk(path, tz, export))
    raise RecordError(f"unknown format {fmt!r}: choose {', '.join(FORMATS)}")
