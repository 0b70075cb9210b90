"""Timeline entries built in Python (views/_timeline_html.py): every text is escaped, dates
follow the active time zone and language, the evidence-marked text is cached per stored
message and changes with its hash."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from calmdesk.desk.models import Attachment, Interaction, Kind
from calmdesk.desk.views._segments import Segment
from calmdesk.desk.views._timeline_html import render_entry, segments_html
from calmdesk.desk.views.cases import TimelineEntry
from calmdesk.desk.views.insight import Chip, MessageView, message_view

IMG = "<img src=x onerror=alert(1)>"
QUOTE = '"><svg onload=alert(3)>'


def _hostile_entry() -> TimelineEntry:
    item = Interaction(
        seq=7,
        kind=Kind.CALL_NOTE,
        channel="phone",
        occurred_at=dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC),
        text=f"Call {IMG}",
        language=QUOTE,
        data={},
    )
    item.corrects_id = 3
    files = [Attachment(id="a1b2", filename=f"scan {IMG}.pdf", size=2048)]
    return TimelineEntry(
        interaction=item,
        css="note",
        label=f"phone call {IMG}",
        author=f"Mallory {IMG}",
        description=f"Status {IMG}",
        badge=QUOTE,
        fields=[(f"Expected {QUOTE}", IMG)],
        channel=f"phone {IMG}",
        files=files,
    )


def test_every_text_of_an_entry_is_escaped() -> None:
    html = str(render_entry(_hostile_entry()))
    assert "<img" not in html and "<svg" not in html
    assert "onerror=alert(1)" in html  # still there, as text
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") == 7
    assert 'lang="&quot;&gt;&lt;svg onload=alert(3)&gt;"' in html
    assert reverse("desk:attachment", args=["a1b2"]) in html
    assert "2.0\xa0KB" in html
    assert html.startswith('<li class="entry entry-note" id="entry-7">')
    assert html.endswith("</li>")


def test_evidence_marks_escape_the_text_and_keys() -> None:
    segments = [Segment("Hi "), Segment(IMG, ("anger", "crisis")), Segment(" & bye")]
    html = str(segments_html(segments))
    assert html == (
        'Hi <span class="ev ev-crisis" data-ev="anger crisis">'
        "&lt;img src=x onerror=alert(1)&gt;</span> &amp; bye"
    )


def test_chips_of_a_message_view_are_escaped() -> None:
    entry = _hostile_entry()
    entry.view = MessageView([Segment(IMG)], [Chip(QUOTE, IMG, 42)], True, segments_html([]))
    html = str(render_entry(entry))
    assert "entry-crisis" in html and "<svg" not in html and "<img" not in html
    assert '<span class="chip-pct">42%</span>' in html


def test_dates_follow_the_active_zone_and_language() -> None:
    entry = _hostile_entry()
    with translation.override("en"), timezone.override(ZoneInfo("Asia/Jerusalem")):
        jerusalem = str(render_entry(entry))
    with translation.override("en"), timezone.override(ZoneInfo("UTC")):
        utc = str(render_entry(entry))
    with translation.override("pl"), timezone.override(ZoneInfo("Europe/Warsaw")):
        warsaw = str(render_entry(entry))
    assert 'datetime="2026-03-02T10:30:00+02:00"' in jerusalem and "10:30" in jerusalem
    assert 'datetime="2026-03-02T08:30:00+00:00"' in utc and "8:30" in utc
    assert 'datetime="2026-03-02T09:30:00+01:00"' in warsaw and "marca 2026" in warsaw


@pytest.mark.django_db
def test_marked_text_is_cached_per_message_hash(world: Any) -> None:
    from calmdesk.desk.actions.interactions import do_receive_message

    case = world.cases["a"]
    item = do_receive_message(
        None, case=case, text="I am furious, this is a disgrace!", channel="email"
    )
    first = message_view(item)
    assert message_view(item).html is first.html  # served from the cache
    changed = Interaction.objects.get(pk=item.pk)
    changed.text, changed.hash = "Thank you so much, all good now.", "0" * 64
    assert message_view(changed).html != first.html
