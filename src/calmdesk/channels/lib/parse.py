"""Parsing of raw inbound email: pure functions, no Django, hardened against hostile input.

``parse(raw)`` never raises for content reasons: it returns a ``ParsedMail`` or raises
``ParseError`` (a clear, storable reason) when the message cannot be read at all (empty,
over the size or part limits, nested too deep).  Everything else is decoded with fallbacks:
the declared charset, else UTF-8 with replacement, else Latin-1 (which cannot fail).

``raw_text(raw)`` is the last-resort view used when parsing fails: the bytes as text (with
base64 and quoted-printable bodies decoded where that works), so a crisis check can still run
over a poison mail (THREATS.md rows 9 and 13).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email
import email.errors
import email.header
import email.policy
import email.utils
import html
import logging
import quopri
import re
from dataclasses import dataclass, field
from email.message import Message

import nh3

logger = logging.getLogger(__name__)

MAX_RAW_BYTES = 25 * 2**20  # a whole message
MAX_PARTS = 500  # MIME parts per message
MAX_DEPTH = 30  # multipart nesting
MAX_HEADER_CHARS = 200_000  # all headers together
MAX_TEXT_CHARS = 200_000  # the desk's limit for one log entry
MAX_ATTACHMENTS = 20  # the desk's limit per log entry
MAX_REFERENCES = 50  # Message-IDs read from References


class ParseError(ValueError):
    """The message cannot be read; ``str(exc)`` says why (stored with the quarantined row)."""


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    subject: str
    from_name: str
    from_address: str  # "" when there is no single, unambiguous address
    to: tuple[str, ...]
    date: str  # the Date header as received ("" when absent)
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str  # the new part of the body (quoted history trimmed)
    full_text: str  # the whole body as text
    attachments: tuple[MailAttachment, ...]
    automatic: str  # why it is an auto-reply or bounce ("" for a person's mail)
    warnings: tuple[str, ...] = field(default=())


_MSGID_RE = re.compile(r"<[^<>\s]{1,245}>")
_ADDR_RE = re.compile(r"^[^@\s<>\"(),;:]{1,64}@[A-Za-z0-9.-]{1,253}$")


def message_ids(value: str, limit: int = MAX_REFERENCES) -> tuple[str, ...]:
    """Message-IDs (with their angle brackets) found in a header value, in order, unique."""
    found = list(dict.fromkeys(_MSGID_RE.findall(value or "")))
    return tuple(found[-limit:])


def header_message_id(raw: bytes) -> str:
    """The Message-ID of raw bytes without a full parse (phase 1 dedupe); "" when absent."""
    head = raw[:MAX_HEADER_CHARS].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(rb"(?im)^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", head)
    if not match:
        return ""
    ids = message_ids(match.group(1).decode("latin-1"), limit=1)
    return ids[0] if ids else ""


# ---- decoding -----------------------------------------------------------------------------


# Tried, strictly, when the bytes do not decode in the declared charset nor in UTF-8 and
# are not just UTF-8 with a few broken bytes: mail that lies about its charset is most often
# Central European (Polish, Serbian/Croatian Latin) in windows-1250.
FALLBACK_CHARSETS = ("windows-1250",)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """The declared charset if the bytes decode in it without error, else UTF-8; if neither
    does, the declared charset (or UTF-8) with replacement characters when only a few bytes
    are broken, else windows-1250.  A mislabelled message thus still reads as words (a crisis
    statement in it included), and one stray byte does not garble a whole UTF-8 text."""
    declared = (charset or "").strip().strip('"')
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, TypeError, ValueError, UnicodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeError:
        pass
    loose = ""
    if declared:
        try:
            loose = data.decode(declared, errors="replace")
        except (LookupError, TypeError, ValueError, UnicodeError):
            loose = ""
    if not loose:
        loose = data.decode("utf-8", errors="replace")
    broken = loose.count("\ufffd")
    non_ascii = sum(1 for ch in loose if ord(ch) > 127)
    if broken * 10 <= non_ascii:  # at most one character in ten broken: keep that reading
        return loose
    for candidate in FALLBACK_CHARSETS:
        try:
            return data.decode(candidate)
        except UnicodeError:
            continue
    return loose


def _unescape(value: str) -> str:
    """A raw header value with 8-bit bytes (read by the stdlib as surrogate escapes, RFC 6532
    or plain misbehaviour) decoded like a body without a declared charset."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return decode_bytes(value.encode("utf-8", "surrogateescape"), None)
    return value


def decode_header_value(value: object) -> str:
    """A header value as text: RFC 2047 encoded words decoded with fallbacks, folded lines
    joined, control characters dropped (a subject is one line)."""
    text = str(value or "")
    if "=?" in text:
        try:
            parts = email.header.decode_header(text)
            pieces = []
            for chunk, charset in parts:
                if isinstance(chunk, bytes):
                    pieces.append(decode_bytes(chunk, charset))
                else:
                    pieces.append(chunk)
            text = "".join(pieces)
        except (email.errors.HeaderParseError, ValueError, LookupError, AssertionError):
            pass
    text = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", text)
    return " ".join(text.split())


def _header(msg: Message, name: str) -> str:
    raw = _raw_header(msg, name)
    if raw and any("\udc80" <= ch <= "\udcff" for ch in raw):
        return decode_header_value(_unescape(raw))  # 8-bit bytes in the header
    try:
        value = msg.get(name)
    except Exception:
        value = raw or None
    return decode_header_value(value) if value is not None else ""


def _raw_header(msg: Message, name: str) -> str:
    for key, raw_value in msg.raw_items():
        if key.lower() == name.lower():
            return str(raw_value)
    return ""


def _part_text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw_payload = part.get_payload()
        return raw_payload if isinstance(raw_payload, str) else ""
    if not isinstance(payload, bytes):
        return str(payload)
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(payload, charset)


_BLOCK_TAGS = re.compile(
    r"(?is)<\s*(br|/p|p|/div|div|/li|li|tr|/tr|h[1-6]|/h[1-6]|blockquote|/blockquote)\b[^>]*>"
)


def html_to_text(markup: str) -> str:
    """Safe plain text from HTML: nh3 removes scripts, styles and every attribute first, block
    ends become line breaks, the remaining tags are stripped, entities decoded."""
    cleaned = nh3.clean(
        markup[: MAX_TEXT_CHARS * 5],
        tags={"br", "p", "div", "li", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"},
        attributes={},
        clean_content_tags={"script", "style", "head", "title", "template"},
        strip_comments=True,
        link_rel=None,
    )
    cleaned = _BLOCK_TAGS.sub("\n", cleaned)
    cleaned = re.sub(r"<[^>]*>", "", cleaned)
    text = html.unescape(cleaned)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ---- quoted history -----------------------------------------------------------------------

# "On <date>, <name> wrote:" in English, Polish, Serbian (both scripts), Croatian/Bosnian and
# Hebrew (written by the calmdesk developers from the usual mail-client phrasing).
_WROTE = re.compile(
    r"(?im)^[ \t]*("
    r"on\b.{0,200}\bwrote:"
    r"|w\s+dniu\b.{0,200}\b(napisał|napisała|napisał\(a\)|pisze):"
    r"|dnia\b.{0,200}\b(napisał|napisała|napisał\(a\)):"
    r"|.{0,200}\b(napisał|napisała|napisał\(a\)):"
    r"|.{0,200}\b(je\s+napisao|je\s+napisala|napisao\s+je|napisala\s+je|piše|pise):"
    r"|.{0,200}(је\s+написао|је\s+написала|написао\s+је|написала\s+је|пише):"
    r"|.{0,200}(כתב|כתבה|כתב/ה)\s*:"
    r")[ \t]*$"
)
_ORIGINAL = re.compile(
    r"(?im)^[ \t]*(-{2,}\s*(original message|oryginalna wiadomość|wiadomość oryginalna"
    r"|originalna poruka|оригинална порука|הודעה מקורית)\s*-{2,}"
    r"|_{10,})[ \t]*$"
)


def trim_quoted(text: str) -> str:
    """The new part of a reply: cut at the first "On … wrote:" line or "Original Message"
    separator, and drop '>' quoted blocks.  Never returns empty when ``text`` had words: a
    message that is all quote is kept whole."""
    cut = len(text)
    for pattern in (_WROTE, _ORIGINAL):
        match = pattern.search(text)
        if match and match.start() < cut:
            cut = match.start()
    head = text[:cut]
    kept = [line for line in head.splitlines() if not line.lstrip().startswith(">")]
    result = "\n".join(kept).strip()
    return result if result else text.strip()


# ---- automatic mail -----------------------------------------------------------------------


def automatic_reason(msg: Message) -> str:
    """Why a message is automatic (RFC 3834 and common practice), or "" for a person's mail."""
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return f"auto-submitted: {auto[:50]}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = _header(msg, name)
        if value and (name != "X-Auto-Response-Suppress" or "all" in value.lower()):
            return f"{name.lower()}: {value[:50]}"
    try:
        ctype = msg.get_content_type()
        report = str(msg.get_param("report-type") or "").lower()
    except Exception:
        ctype, report = "", ""
    if ctype == "multipart/report" and report in ("delivery-status", "disposition-notification"):
        return f"report: {report}"
    sender = _header(msg, "Return-Path").strip("<> ").lower()
    if _header(msg, "Return-Path") and sender == "":
        return "null return path (bounce)"
    from_addr = _header(msg, "From").lower()
    if re.search(r"\b(mailer-daemon|postmaster)@", from_addr):
        return "from a mail daemon"
    return ""


# ---- addresses ----------------------------------------------------------------------------


def sender(msg: Message) -> tuple[str, str, list[str]]:
    """(display name, address, warnings).  The address is "" when From is missing, repeated,
    holds several addresses or does not parse to a plain addr-spec (CVE-2023-27043)."""
    warnings: list[str] = []
    values = [v for k, v in msg.raw_items() if k.lower() == "from"]
    if not values:
        return "", "", ["no From header"]
    if len(values) > 1:
        return "", "", ["several From headers"]
    raw_value = decode_header_value(_unescape(str(values[0])))
    try:
        pairs = email.utils.getaddresses([raw_value], strict=True)
    except TypeError:  # pragma: no cover - older Python without ``strict``
        pairs = email.utils.getaddresses([raw_value])
    pairs = [(n, a) for n, a in pairs if n or a]
    if len(pairs) != 1:
        return raw_value[:200], "", ["From does not hold exactly one address"]
    name, address = pairs[0]
    address = address.strip()
    if not _ADDR_RE.match(address):
        return name[:200], "", [f"From address {address[:80]!r} is not a plain address"]
    if "@" in name and address.lower() not in name.lower():
        warnings.append("display name holds another address")
    return name[:200], address.lower(), warnings


def recipients(msg: Message) -> tuple[str, ...]:
    values = []
    for key, value in msg.raw_items():
        if key.lower() in ("to", "cc", "delivered-to", "x-original-to"):
            values.append(decode_header_value(value))
    try:
        pairs = email.utils.getaddresses(values, strict=True)
    except TypeError:  # pragma: no cover
        pairs = email.utils.getaddresses(values)
    return tuple(dict.fromkeys(a.lower() for _, a in pairs if _ADDR_RE.match(a)))[:50]


# ---- structure ----------------------------------------------------------------------------


def _check_structure(raw: bytes) -> None:
    if not raw.strip():
        raise ParseError("empty message (0 bytes)")
    if len(raw) > MAX_RAW_BYTES:
        raise ParseError(f"message larger than {MAX_RAW_BYTES} bytes")
    head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    if len(head) > MAX_HEADER_CHARS:
        raise ParseError(f"headers longer than {MAX_HEADER_CHARS} bytes")
    # Cheap pre-check before the stdlib parser builds a tree: count the boundary lines.
    containers = len(re.findall(rb"(?im)^content-type:\s*multipart/", raw))
    if containers > MAX_PARTS:
        raise ParseError(f"more than {MAX_PARTS} multipart containers")
    if len(re.findall(rb"(?im)^content-type:", raw)) > MAX_PARTS + 1:
        raise ParseError(f"more than {MAX_PARTS} MIME parts")
    if len(re.findall(rb"(?m)^--[^\s-]", raw)) > 4 * MAX_PARTS:
        raise ParseError(f"more than {4 * MAX_PARTS} boundary lines: more than {MAX_PARTS} parts")


def _walk(msg: Message, depth: int, counter: list[int]) -> list[tuple[Message, int]]:
    """Leaves (non-multipart parts) with their depth; enforces the depth and count limits."""
    counter[0] += 1
    if counter[0] > MAX_PARTS:
        raise ParseError(f"more than {MAX_PARTS} MIME parts")
    if depth > MAX_DEPTH:
        raise ParseError(f"multipart nested deeper than {MAX_DEPTH} levels")
    if msg.is_multipart():
        payload = msg.get_payload()
        leaves: list[tuple[Message, int]] = []
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    leaves.extend(_walk(sub, depth + 1, counter))
        return leaves
    return [(msg, depth)]


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    if disposition == "attachment":
        return True
    try:
        filename = part.get_filename()
    except Exception:
        filename = None
    ctype = part.get_content_type()
    return bool(filename) or not ctype.startswith(("text/", "multipart/", "message/"))


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    name = decode_header_value(name) if name else ""
    return name or f"attachment-{index}"


def parse(raw: bytes) -> ParsedMail:
    """Read one message.  Raises only ``ParseError``; anything unexpected inside the stdlib
    parser is turned into one (so a poison mail is quarantined, never a crash)."""
    _check_structure(raw)
    try:
        return _parse(raw, email.policy.default)
    except ParseError:
        raise
    except RecursionError as exc:
        raise ParseError("message structure too deep to read") from exc
    except Exception as exc:  # the modern policy choked on a header: read it the lenient way
        logger.debug("policy.default failed (%s); retrying with compat32", exc)
    try:
        return _parse(raw, email.policy.compat32)
    except ParseError:
        raise
    except RecursionError as exc:
        raise ParseError("message structure too deep to read") from exc
    except Exception as exc:
        raise ParseError(f"unreadable message: {type(exc).__name__}: {exc}"[:500]) from exc


def _parse(raw: bytes, policy: email.policy.Policy) -> ParsedMail:
    msg = email.message_from_bytes(raw, policy=policy)
    warnings: list[str] = []
    if msg.defects:
        warnings.extend(type(d).__name__ for d in msg.defects[:10])
    if not any(True for _ in msg.raw_items()):
        raise ParseError("no headers: not an email message")
    leaves = _walk(msg, 0, [0])
    plain: list[str] = []
    html_parts: list[str] = []
    attachments: list[MailAttachment] = []
    report = msg.get_content_type() == "multipart/report"
    for index, (part, _depth) in enumerate(leaves, start=1):
        ctype = part.get_content_type()
        if _is_attachment(part) and not (report and ctype.startswith("message/")):
            if len(attachments) >= MAX_ATTACHMENTS:
                warnings.append("attachments over the limit were left in the raw message")
                continue
            try:
                content = part.get_payload(decode=True)
            except Exception:
                content = None
            if not isinstance(content, bytes):
                content = b""
            attachments.append(MailAttachment(_filename(part, index), ctype, content))
        elif ctype == "text/html":
            html_parts.append(_part_text(part))
        elif ctype.startswith(("text/", "message/", "multipart/")):
            # (a multipart leaf is one whose boundary is missing: its body is read as text)
            plain.append(_part_text(part))
    if any(p.strip() for p in plain):
        body = "\n\n".join(p.strip() for p in plain if p.strip())
    else:
        body = "\n\n".join(html_to_text(h) for h in html_parts if h.strip())
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if len(body) > MAX_TEXT_CHARS:
        body = body[:MAX_TEXT_CHARS]
        warnings.append(f"body cut at {MAX_TEXT_CHARS} characters (the raw message keeps all)")
    name, address, addr_warnings = sender(msg)
    warnings.extend(addr_warnings)
    in_reply_to = message_ids(_raw_header(msg, "In-Reply-To"), limit=5)
    references = message_ids(_raw_header(msg, "References"))
    msg_ids = message_ids(_raw_header(msg, "Message-ID"), limit=1)
    return ParsedMail(
        message_id=msg_ids[0] if msg_ids else "",
        subject=_header(msg, "Subject")[:1000],
        from_name=name,
        from_address=address,
        to=recipients(msg),
        date=_header(msg, "Date")[:100],
        in_reply_to=in_reply_to,
        references=references,
        text=trim_quoted(body),
        full_text=body,
        attachments=tuple(attachments),
        automatic=automatic_reason(msg),
        warnings=tuple(warnings),
    )


def parsed_date(value: str) -> object:
    """The Date header as an aware datetime, or None."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when is not None and when.tzinfo is not None else None


# ---- last resort --------------------------------------------------------------------------

_B64_BLOCK = re.compile(rb"(?:^[A-Za-z0-9+/=]{16,}\r?\n){2,}", re.M)


def raw_text(raw: bytes, limit: int = MAX_TEXT_CHARS) -> str:
    """Readable text of bytes that may not parse: the bytes as UTF-8 (else Latin-1), plus any
    base64 block and quoted-printable text decoded, encoded-word headers decoded.  Used for
    the crisis check of quarantined mail; never raises."""
    data = raw[: limit * 4]
    pieces = [decode_bytes(data, "utf-8")]
    if b"=?" in data:
        pieces.append(
            " ".join(
                decode_header_value(w.decode("latin-1"))
                for w in re.findall(rb"=\?[^?\s]{1,40}\?[bBqQ]\?[^?\s]{0,2000}\?=", data)[:200]
            )
        )
    for block in _B64_BLOCK.findall(data)[:50]:
        try:
            decoded = base64.b64decode(b"".join(block.split()), validate=False)
        except (binascii.Error, ValueError):
            continue
        pieces.append(decode_bytes(decoded, "utf-8"))
    if b"=\n" in data or b"=3D" in data or b"=C" in data:
        with contextlib.suppress(Exception):  # quopri is lenient; nothing must escape here
            pieces.append(decode_bytes(quopri.decodestring(data), "utf-8"))
    text = "\n".join(pieces)
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)
    return text[:limit]


_STRUCTURE_LINE = re.compile(
    r"(?i)^\s*(--\S*|content-[a-z-]+:.*|mime-version:.*|message-id:.*|in-reply-to:.*"
    r"|references:.*|received:.*|dkim-signature:.*|x-[a-z0-9-]+:.*|\S*boundary=.*"
    r"|[A-Za-z0-9+/=]{60,})\s*$"
)


def crisis_text(raw: bytes, limit: int = 50_000) -> str:
    """``raw_text`` without MIME structure (boundaries, content headers, base64 lines), so
    the words a person wrote dominate language detection and the crisis rules."""
    lines = [
        line
        for line in raw_text(raw, limit=limit * 4).splitlines()
        if line.strip() and not _STRUCTURE_LINE.match(line)
    ]
    return "\n".join(dict.fromkeys(lines))[:limit]
