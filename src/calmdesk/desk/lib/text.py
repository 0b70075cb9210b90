"""Text clean-up applied to everything we store (never drops content)."""

from __future__ import annotations

from collections.abc import Iterable


def clean_text(value: str) -> str:
    """Valid Unicode the databases accept: NUL and lone surrogates become U+FFFD.

    PostgreSQL refuses NUL in text, and lone surrogates (e.g. JSON ``"\\ud800"``) cannot be
    encoded as UTF-8; neither may turn a request into a 500 or lose the rest of the message.
    """
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def clean_tags(tags: Iterable[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        cleaned = " ".join(clean_text(str(tag)).split())[:50]
        if cleaned and cleaned not in out:
            out.append(cleaned)
    return out[:30]
