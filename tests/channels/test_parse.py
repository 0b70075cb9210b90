"""parse(): the hand-written corpus and a property test (never raises anything but
ParseError, bounded time)."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmdesk.channels.lib.parse import (
    ParseError,
    decode_bytes,
    html_to_text,
    parse,
    raw_text,
    trim_quoted,
)
from tests.channels.conftest import FIXTURES, fixture_bytes

UNREADABLE = {
    "08_nested_60.eml": "nested deeper",
    "09_empty.eml": "empty",
    "17_poison_violence.eml": "multipart",
    "25_headers_only_garbage.eml": "no headers",
    "40_headers_over_limit.eml": "headers longer",
    "48_crisis_poison_deep_base64.eml": "nested deeper",
}


def test_corpus_size_and_outcomes():
    names = sorted(p.name for p in FIXTURES.glob("*.eml"))
    assert len(names) >= 25
    for name in names:
        data = fixture_bytes(name)
        if name in UNREADABLE:
            with pytest.raises(ParseError, match=UNREADABLE[name]):
                parse(data)
        else:
            parsed = parse(data)
            assert parsed.text.strip() or parsed.attachments, name


@pytest.mark.parametrize(
    "name,subject,text",
    [
        ("03_subject_cyrillic.eml", "Прекид услуге од понедељка", "услуга не ради"),
        ("04_subject_hebrew.eml", "החשבון שלי שגוי", "החשבון שלי שגוי כבר חודשיים"),
        ("05_windows1250.eml", "Zgłoszenie reklamacji", "przesyłka nie dotarła"),
        ("26_html_only_hebrew.eml", "הודעה", "המכשיר לא עובד כבר שבוע"),
    ],
)
def test_subjects_and_charsets(name, subject, text):
    parsed = parse(fixture_bytes(name))
    assert parsed.subject == subject
    assert text in parsed.text


def test_html_becomes_safe_text():
    parsed = parse(fixture_bytes("02_alternative_html.eml"))
    assert "The router still drops the line every evening." in parsed.text
    assert "Second visit needed." in parsed.text
    for bad in ("<", "script", "window.__x", "onerror", "color:red"):
        assert bad not in parsed.text
    assert html_to_text("<p>a &amp; b</p><style>x{}</style><svg onload=x>c</svg>") == "a & b\nc"


def test_bad_charsets_fall_back():
    parsed = parse(fixture_bytes("06_bogus_charset.eml"))
    assert "the bill is wrong again" in parsed.text
    assert decode_bytes("zażółć".encode("windows-1250"), "windows-1250") == "zażółć"
    # an unknown charset and bytes that are not UTF-8: read as windows-1250 (docs/channels.md)
    assert decode_bytes(b"\xff\xfeok", "no-such-charset") == "\u02d9\u0163ok"
    # declared UTF-8 but sent in windows-1250: the words survive (fixture 49)
    assert decode_bytes("Ubiću se".encode("windows-1250"), "utf-8") == "Ubiću se"
    assert decode_bytes(b"caf\xc3\xa9", None) == "café"


def test_missing_boundary_keeps_the_text():
    parsed = parse(fixture_bytes("07_missing_boundary.eml"))
    assert "The technician never came." in parsed.text


@pytest.mark.parametrize(
    "name,kept,dropped",
    [
        ("13_reply_in_reply_to.eml", "still has not arrived", "We are sorry"),
        ("14_reply_case_token.eml", "I waited all day", "Original Message"),
        ("18_polish_reply_quote.eml", "Nadal czekam", "Przepraszamy"),
        ("19_serbian_latin_reply.eml", "Račun je i dalje pogrešan", "Proverićemo"),
        ("20_hebrew_reply.eml", "עדיין לא קיבלתי תשובה", "אנחנו בודקים"),
    ],
)
def test_quoted_history_is_trimmed(name, kept, dropped):
    parsed = parse(fixture_bytes(name))
    assert kept in parsed.text
    assert dropped not in parsed.text
    assert dropped in parsed.full_text or name == "14_reply_case_token.eml"


def test_trim_keeps_an_all_quote_message_whole():
    assert trim_quoted("> only a quote") == "> only a quote"
    assert trim_quoted("Нови текст\n\nПон, Марко је написао:\n> старо") == "Нови текст"


@pytest.mark.parametrize(
    "name,reason",
    [
        ("11_dsn_bounce.eml", "auto-submitted"),
        ("12_auto_reply.eml", "auto-submitted"),
        ("23_precedence_bulk.eml", "precedence: bulk"),
    ],
)
def test_automatic_mail_is_recognised(name, reason):
    assert parse(fixture_bytes(name)).automatic.startswith(reason)


def test_dsn_without_auto_submitted_is_a_report():
    data = fixture_bytes("11_dsn_bounce.eml").replace(b"Auto-Submitted: auto-replied\r\n", b"")
    assert parse(data).automatic == "report: delivery-status"


def test_person_mail_is_not_automatic():
    assert parse(fixture_bytes("01_plain.eml")).automatic == ""


def test_ambiguous_sender_is_rejected():
    parsed = parse(fixture_bytes("24_two_from.eml"))
    assert parsed.from_address == ""
    assert "several From headers" in parsed.warnings
    tricky = b'From: "a@victim.test" <b@evil.test>, c@other.test\r\nSubject: x\r\n\r\nhi\r\n'
    assert parse(tricky).from_address == ""


def test_attachments_are_kept():
    parsed = parse(fixture_bytes("21_attachments.eml"))
    names = [a.filename for a in parsed.attachments]
    assert len(names) == 2
    assert parsed.attachments[0].content.startswith(b"\x89PNG")
    assert parsed.attachments[1].content_type == "text/html"


def test_raw_text_reads_a_poison_mail():
    text = raw_text(fixture_bytes("17_poison_violence.eml"))
    assert "hurt the manager" in text
    b64 = b"Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n" + (
        b"SSBjYW4ndCBnbyBvbi4gSSBhbSBnb2luZyB0byBr\r\naWxsIG15c2VsZiB0b25pZ2h0Lg==\r\n"
    )
    assert "kill myself" in raw_text(b64)


def test_limits_reject_huge_structures_fast():
    many = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n" + (
        b"--z\r\nContent-Type: text/plain\r\n\r\npart\r\n" * 5000
    )
    start = time.perf_counter()
    with pytest.raises(ParseError, match="parts"):
        parse(many)
    assert time.perf_counter() - start < 5


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.builds(
            lambda head, body: head + b"\r\n\r\n" + body,
            st.sampled_from([fixture_bytes(p.name)[:400] for p in sorted(FIXTURES.glob("*.eml"))]),
            st.binary(max_size=2000),
        ),
        st.text(max_size=2000).map(lambda s: s.encode("utf-8", "surrogatepass")),
    )
)
def test_parse_never_raises_and_is_fast(data):
    start = time.perf_counter()
    try:
        parsed = parse(data)
    except ParseError:
        pass
    else:
        assert isinstance(parsed.text, str)
        parsed.text.encode("utf-8", "surrogatepass")
    raw_text(data)
    assert time.perf_counter() - start < 2.0
