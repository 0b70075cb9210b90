"""Safe storage and serving of attachments (THREATS.md row 2).

Stored: under MEDIA_ROOT/attachments/<yyyy>/<mm>/<random id>, mode 0640, never under the
original name.  Served: only through a view that checked access, always as a download
(``Content-Disposition: attachment`` with an RFC 5987 ``filename*``), ``nosniff``, a CSP
sandbox, and ``application/octet-stream`` unless the type is on a short allowlist that
excludes anything a browser would run (HTML, SVG, XML, JavaScript …).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse
from django.utils import timezone

from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.tokens import new_attachment_id
from calmdesk.desk.models import Attachment

SAFE_CONTENT_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
    }
)
_MAX_NAME = 200
_CHUNK = 1 << 16


@dataclass(frozen=True)
class IncomingFile:
    """A file as received: its claimed name and type, and its bytes."""

    filename: str
    content_type: str
    content: bytes | IO[bytes]


@dataclass(frozen=True)
class StoredFile:
    id: str
    relpath: str
    filename: str
    content_type: str
    size: int
    sha256: str

    def as_data(self) -> dict[str, object]:
        return {
            "id": self.id,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


def sanitize_filename(name: str) -> str:
    """A display name that cannot traverse paths, break headers or reorder text.

    Keeps only the last path component; drops control characters (CR, LF, NUL …), format
    characters (bidi overrides such as U+202E, zero-width marks) and quotes; collapses
    spaces; strips leading dots; keeps the extension when shortening.
    """
    name = unicodedata.normalize("NFC", str(name))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for ch in name:
        category = unicodedata.category(ch)
        if category[0] == "C" or ch in "\"'<>:|?*\u2028\u2029":
            continue
        kept.append(ch)
    name = " ".join("".join(kept).split()).lstrip(". ")
    if len(name) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: _MAX_NAME - len(ext) - 1] + "." + ext
        else:
            name = name[:_MAX_NAME]
    return name or "attachment"


def _clean_content_type(value: str) -> str:
    base = str(value).split(";", 1)[0].strip().lower()
    if not base or len(base) > 100 or any(not (ch.isprintable() and ch != " ") for ch in base):
        return "application/octet-stream"
    return base


def attachments_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments"


def store_file(incoming: IncomingFile) -> StoredFile:
    """Write the bytes under a random name; refuse files over the size limit."""
    limit = int(getattr(settings, "CALMDESK_MAX_ATTACHMENT_BYTES", 25 * 2**20))
    attachment_id = new_attachment_id()
    now = timezone.now()
    relpath = f"attachments/{now:%Y}/{now:%m}/{attachment_id}"
    target = Path(settings.MEDIA_ROOT) / relpath
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    digest = hashlib.sha256()
    size = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, "wb") as out:
            source = incoming.content
            chunks = (
                [source] if isinstance(source, bytes) else iter(lambda: source.read(_CHUNK), b"")
            )
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise ActionError(
                        f"The file is larger than the limit of {limit} bytes.",
                        code="too_large",
                        details={"field": "attachments", "limit": limit},
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return StoredFile(
        id=attachment_id,
        relpath=relpath,
        filename=sanitize_filename(incoming.filename),
        content_type=_clean_content_type(incoming.content_type),
        size=size,
        sha256=digest.hexdigest(),
    )


def discard_files(files: list[StoredFile]) -> None:
    for stored in files:
        (Path(settings.MEDIA_ROOT) / stored.relpath).unlink(missing_ok=True)


def served_content_type(attachment: Attachment) -> str:
    """The received type when it is allowlisted AND matches the file name's extension;
    otherwise ``application/octet-stream``."""
    guessed, _ = mimetypes.guess_type(attachment.filename, strict=True)
    received = _clean_content_type(attachment.content_type)
    if guessed and guessed == received and received in SAFE_CONTENT_TYPES:
        return received + ("; charset=utf-8" if received == "text/plain" else "")
    return "application/octet-stream"


def content_disposition(filename: str) -> str:
    """``attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>``."""
    safe = sanitize_filename(filename)
    fallback = (
        "".join(ch if 0x20 < ord(ch) < 0x7F and ch not in '"\\;%' else "_" for ch in safe).strip(
            "_"
        )
        or "attachment"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(safe, safe='')}"


def attachment_response(attachment: Attachment) -> FileResponse:
    path = (Path(settings.MEDIA_ROOT) / str(attachment.file.name)).resolve()
    root = Path(settings.MEDIA_ROOT).resolve()
    if root not in path.parents:  # pragma: no cover - names are generated by store_file
        raise ValueError("attachment path escapes MEDIA_ROOT")
    response = FileResponse(path.open("rb"), content_type=served_content_type(attachment))
    response["Content-Disposition"] = content_disposition(attachment.filename)
    response["Content-Length"] = str(attachment.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
