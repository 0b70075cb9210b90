"""The whole hand-written corpus through both phases: every file ends as its manifest says
(parsed, ignored or quarantined; crisis alert or not), nothing raises, and poison mail does
not hold up the valid mail behind it (issue 9, THREATS.md rows 9, 10, 13 and 15)."""

from __future__ import annotations

import time

import pytest

from calmdesk.channels.ingest import process_pending, process_raw, store_raw
from calmdesk.channels.lib.parse import decode_bytes
from calmdesk.channels.models import RawMessage, RawState
from calmdesk.desk.models import Attachment, CrisisIncident, Interaction, Notification
from tests.channels.conftest import FIXTURES

pytestmark = pytest.mark.django_db

OUTCOMES = {
    "parsed": RawState.PARSED,
    "ignored": RawState.IGNORED,
    "quarantined": RawState.QUARANTINED,
}


def manifest() -> dict[str, tuple[str, bool]]:
    rows = {}
    for line in (FIXTURES / "MANIFEST.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, outcome, crisis = line.split()
        assert outcome in OUTCOMES and crisis in ("yes", "no"), line
        rows[name] = (outcome, crisis == "yes")
    return rows


def test_manifest_covers_the_corpus():
    files = {p.name for p in FIXTURES.glob("*.eml")}
    rows = manifest()
    assert len(files) >= 50
    assert set(rows) == files, (sorted(files - set(rows)), sorted(set(rows) - files))
    outcomes = [o for o, _ in rows.values()]
    assert {"parsed", "ignored", "quarantined"} <= set(outcomes)
    assert sum(c for _, c in rows.values()) >= 8


def _store_all(world, names):
    rows = []
    for name in names:
        row, created = store_raw(
            (FIXTURES / name).read_bytes(),
            organization=world.org,
            mailbox=world.mailbox,
            source="imap",
        )
        assert created, name
        rows.append(row)
    return rows


def test_the_whole_corpus_ends_as_the_manifest_says(mail_world):
    expected = manifest()
    names = sorted(expected)
    rows = _store_all(mail_world, names)
    got = {}
    for name, row in zip(names, rows, strict=True):
        done = process_raw(row.pk)  # never raises for content: 0 unhandled exceptions
        got[name] = (done.state, done.crisis_flagged)
    wrong = {
        name: (got[name], expected[name])
        for name in names
        if got[name] != (OUTCOMES[expected[name][0]], expected[name][1])
    }
    assert wrong == {}
    states = [state for state, _ in got.values()]
    parsed = states.count(RawState.PARSED)
    ignored = states.count(RawState.IGNORED)
    quarantined = states.count(RawState.QUARANTINED)
    assert parsed + ignored + quarantined == len(names)  # ingested + quarantined = all
    assert not RawMessage.objects.filter(state=RawState.STORED).exists()
    # exactly one inbound interaction per parsed mail, none for the others
    assert (
        Interaction.objects.filter(kind="inbound", data__raw_message__isnull=False).count()
        == parsed
    )
    # every crisis mail alerted the supervisor: incidents for parsed mail, raw alerts else
    crisis_parsed = sum(1 for n in names if expected[n][1] and expected[n][0] == "parsed")
    crisis_raw = sum(1 for n in names if expected[n][1] and expected[n][0] != "parsed")
    assert CrisisIncident.objects.filter(interaction__data__raw_message__isnull=False).count() == (
        crisis_parsed
    )
    assert (
        Notification.objects.filter(
            user=mail_world.supervisor, kind="crisis", key__startswith="crisis-raw:"
        ).count()
        == crisis_raw
    )


def _parsed(world, name):
    row, _ = store_raw(
        (FIXTURES / name).read_bytes(), organization=world.org, mailbox=world.mailbox, source="http"
    )
    row = process_raw(row.pk)
    assert row.state == RawState.PARSED, row.error
    return row


@pytest.mark.parametrize(
    "name,subject,words",
    [
        ("27_8bit_latin1_headers.eml", "Facture erronée, déjŕ deux fois", "facture de février"),
        ("28_8bit_utf8_cyrillic_subject.eml", "Струја нестаје свако вече", "пошаљете техничара"),
        ("29_subject_serbian_q_folded.eml", "Жалба на рачун за март", "двоструко већи"),
        ("30_subject_hebrew_1255.eml", "החשבון שלי חסום", "ואני לא יכולה לשלם"),
        ("49_crisis_wrong_charset_sr.eml", "Ne mogu", "Ubiću se večeras"),
        ("52_utf16_base64.eml", "Password reset", "expired twice"),
        ("53_serbian_1251.eml", "Нема воде у згради", "од јуче ујутру"),
        ("60_crisis_hebrew_qp.eml", "אין לי כוח יותר", "אני רוצה להתאבד"),
    ],
)
def test_charsets_and_encoded_subjects(mail_world, name, subject, words):
    row = _parsed(mail_world, name)
    assert row.interaction.case.subject == subject
    assert words in row.interaction.text
    assert "\ufffd" not in row.interaction.text


def test_eight_bit_display_name_becomes_the_client_name(mail_world):
    row = _parsed(mail_world, "27_8bit_latin1_headers.eml")
    assert row.interaction.case.client.name == "Renée Dubois"


def test_html_only_is_safe_text(mail_world):
    row = _parsed(mail_world, "32_html_only_table.eml")
    text = row.interaction.text
    assert "lost & not found" in text and "three weeks" in text
    for bad in ("<", "__x", "onload", "color:red", "hidden comment", "tracker.invalid"):
        assert bad not in text


def test_nested_parts_and_attachments(mail_world):
    row = _parsed(mail_world, "34_nested_related_alternative.eml")
    assert row.interaction.text == "The courier dropped the box and the screen is cracked."
    names = sorted(
        Attachment.objects.filter(interaction=row.interaction).values_list("filename", flat=True)
    )
    assert "receipt.pdf" in names and len(names) == 2
    row = _parsed(mail_world, "54_rfc2231_filenames.eml")
    names = set(
        Attachment.objects.filter(interaction=row.interaction).values_list("filename", flat=True)
    )
    assert "טופס.pdf" in names
    assert all("/" not in n and ".." not in n.split(".")[0] for n in names), names


def test_control_characters_do_not_reach_the_log(mail_world):
    row = _parsed(mail_world, "55_control_characters.eml")
    assert "\x00" not in row.interaction.text
    assert "\x00" not in row.interaction.case.subject and "\x07" not in row.interaction.case.subject


def test_attachment_only_mail_is_kept(mail_world):
    row = _parsed(mail_world, "59_attachment_only.eml")
    assert Attachment.objects.filter(interaction=row.interaction).count() == 1


def test_poison_mail_does_not_delay_the_valid_mail_behind_it(mail_world):
    expected = manifest()
    poison = [n for n, (o, _) in expected.items() if o == "quarantined"]
    valid = [n for n, (o, _) in expected.items() if o == "parsed"][:20]
    # the poison first: a queue where every valid message waits behind all of them
    rows = _store_all(mail_world, [*poison, *valid])
    start = time.perf_counter()
    done = process_pending(limit=1000)
    elapsed = time.perf_counter() - start
    by_id = {r.pk: r for r in done}
    assert len(done) == len(rows)
    assert [by_id[r.pk].state for r in rows[: len(poison)]] == [RawState.QUARANTINED] * len(poison)
    assert all(by_id[r.pk].state == RawState.PARSED for r in rows[len(poison) :])
    # each poison mail costs about what a valid one does: none stalls the queue
    assert elapsed < 60
    per_poison = []
    for name in poison:
        data = (FIXTURES / name).read_bytes() + b"\r\n"  # new bytes: a new row
        row, _ = store_raw(
            data, organization=mail_world.org, mailbox=mail_world.mailbox, source="imap"
        )
        if row.state != RawState.STORED:
            continue
        t0 = time.perf_counter()
        process_raw(row.pk)
        per_poison.append(time.perf_counter() - t0)
    assert max(per_poison, default=0) < 3.0


def test_charset_fallbacks():
    cyrillic = "Рачун је опет погрешан и нико не одговара."
    # declared UTF-8, sent in windows-1250: read as windows-1250
    assert decode_bytes("Ubiću se večeras.".encode("windows-1250"), "utf-8") == "Ubiću se večeras."
    # UTF-8 with one stray byte stays UTF-8 (one replacement character), not garbled
    stray = cyrillic.encode("utf-8").replace(" и ".encode(), b" \xff ")
    assert decode_bytes(stray, "utf-8") == cyrillic.replace(" и ", " \ufffd ")
    assert decode_bytes(stray, None) == cyrillic.replace(" и ", " \ufffd ")
    # no charset and valid UTF-8; a correct declaration wins
    assert decode_bytes(cyrillic.encode("utf-8"), None) == cyrillic
    assert decode_bytes(cyrillic.encode("windows-1251"), "windows-1251") == cyrillic
