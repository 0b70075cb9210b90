"""The HTML of one timeline entry, built in Python instead of a template loop (the case page
shows up to a hundred entries; Django's template engine spent most of the page's time on them).

Escaping rule: every piece of text that is not a fixed literal below — client and agent text,
names, file names, labels, translations, codes — goes through ``django.utils.html.escape``
before it is joined; only the joined result is marked safe.  The evidence-marked text of a
client message (``segments_html``) is built the same way and cached by the caller.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext

from calmdesk.desk.views._segments import Segment

if TYPE_CHECKING:
    from calmdesk.desk.views.cases import TimelineEntry


def segments_html(segments: Iterable[Segment]) -> SafeString:
    """A message's text with its evidence words wrapped in ``<span class="ev" data-ev=…>``
    (``ev-crisis`` added for crisis signals); every segment's text is escaped."""
    parts: list[str] = []
    for seg in segments:
        if seg.keys:
            css = "ev ev-crisis" if "crisis" in seg.keys else "ev"
            parts.append(
                f'<span class="{css}" data-ev="{escape(seg.key_list)}">{escape(seg.text)}</span>'
            )
        else:
            parts.append(escape(seg.text))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


@functools.lru_cache(maxsize=16384)
def _when(instant: dt.datetime, zone: dt.tzinfo | None, language: str) -> tuple[str, str]:
    """(ISO 8601, DATETIME_FORMAT) of ``instant`` in ``zone`` for ``language`` — cached:
    formatting a date is a third of an entry's time, and the same entries are shown on every
    visit to a case (the zone and language are in the key; an aware datetime hashes by its
    instant only)."""
    local = timezone.localtime(instant, zone) if zone is not None else instant
    return local.isoformat(), formats.date_format(local, "DATETIME_FORMAT")


def _lang_attr(language: str) -> str:
    return f' lang="{escape(language)}"' if language else ""


def render_entry(entry: TimelineEntry) -> SafeString:
    """The ``<li>`` of one timeline entry.  Dates are shown in the current time zone (the
    template activates the user's zone around the loop) and texts in the active language."""
    item = entry.interaction
    view = entry.view
    seq = int(item.seq)
    when = None
    if item.occurred_at is not None:
        aware = timezone.is_aware(item.occurred_at)
        zone = timezone.get_current_timezone() if aware else None
        when = _when(item.occurred_at, zone, get_language() or "")
    crisis = " entry-crisis" if view is not None and view.crisis else ""
    out = [
        f'<li class="entry entry-{escape(entry.css)}{crisis}" id="entry-{seq}">'
        '<div class="entry-head">'
        f'<span class="entry-kind">{escape(capfirst(entry.label))}</span> '
        f'<span class="entry-author"><bdi>{escape(entry.author)}</bdi></span> '
        f'<span class="entry-channel">{escape(entry.channel)}</span> '
    ]
    if when is not None:
        out.append(f'<time datetime="{escape(when[0])}">{escape(when[1])}</time> ')
    if entry.badge:
        out.append(
            f'<span class="lang-badge" title="{escape(gettext("Detected language"))}">'
            f"{escape(entry.badge)}</span> "
        )
    out.append(f'<a class="entry-seq" href="#entry-{seq}">#{seq}</a></div>')
    if entry.description:
        out.append(f'<p class="event-text">{escape(entry.description)}</p>')
    lang = _lang_attr(str(item.language or ""))
    if view is not None:
        if view.chips:
            label = escape(gettext("Emotions read in this message"))
            out.append(f'<div class="chips" role="group" aria-label="{label}">')
            for chip in view.chips:
                emotion = escape(chip.emotion)
                out.append(
                    f'<button type="button" class="chip emo-{emotion}" data-emotion="{emotion}"'
                    f' aria-pressed="false">{escape(chip.label)}'
                    f' <span class="chip-pct">{int(chip.percent)}%</span></button>'
                )
            out.append("</div>")
        out.append(f'<div class="entry-text" dir="auto"{lang}>{view.html}</div>')
    elif item.text:
        out.append(f'<div class="entry-text" dir="auto"{lang}>{escape(item.text)}</div>')
    if entry.fields:
        out.append('<dl class="note-fields">')
        for name, value in entry.fields:
            out.append(f'<div><dt>{escape(name)}</dt><dd dir="auto">{escape(value)}</dd></div>')
        out.append("</dl>")
    if item.corrects_id:
        note = gettext("This entry corrects an earlier one; the original is kept.")
        out.append(f'<p class="muted">{escape(note)}</p>')
    if entry.files:
        out.append(f'<ul class="attachments" aria-label="{escape(gettext("Attachments"))}">')
        for attachment in entry.files:
            url = reverse("desk:attachment", args=[attachment.pk])
            out.append(
                f'<li><a href="{escape(url)}" download><bdi>{escape(attachment.filename)}</bdi>'
                f'</a> <span class="muted">({escape(filesizeformat(attachment.size))})</span></li>'
            )
        out.append("</ul>")
    out.append("</li>")
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped or a literal
