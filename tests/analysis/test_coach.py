"""review_reply: the public contract (findings, scores, promises, languages, errors) and the CLI."""

from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import calmdesk.analysis as analysis
from calmdesk.analysis import CoachPolicy, Turn, review_reply
from calmdesk.analysis._coach_cli import coach_main
from calmdesk.analysis._coach_types import SCORE_KEYS

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
BAD = "Hi Anna, we don't do that. Obviously you should have read the terms!! We will fix it soon."
GOOD = (
    "Hi Anna, I'm so sorry the parcel is late, that must be frustrating. I checked order 48213: "
    "it left the depot this morning. I will call you tomorrow at 10 am to confirm it arrived. "
    "Is there anything else I can do for you?"
)


def test_exports() -> None:
    for name in ("review_reply", "extract_commitments", "ReplyReview", "Finding", "Commitment",
                 "Turn", "CoachPolicy", "BusinessCalendar"):  # fmt: skip
        assert name in analysis.__all__
        assert hasattr(analysis, name)


def test_bad_draft_findings_have_every_field() -> None:
    review = review_reply(BAD, lang="en", now=NOW)
    ids = {f.rule_id for f in review.findings}
    assert {"en.negative-phrasing.we-dont-do-that", "en.lecturing.condescending",
            "en.blame.you-should-have", "en.shouting.exclamations",
            "en.over-promising.vague-time"} <= ids  # fmt: skip
    for f in review.findings:
        assert BAD[f.span.start : f.span.end] == f.span.text
        assert f.level in ("suggestion", "warning", "error")
        assert 1 <= f.principle <= 12 and f.principle_slug
        assert f.message and f.why
        assert f.link == f"/docs/principles/en/{f.principle:02d}-{f.principle_slug}"
    blame = next(f for f in review.findings if f.rule_id == "en.blame.you-should-have")
    assert blame.level == "error" and blame.suggestions


def test_scores_have_exactly_the_keys_in_range_with_evidence() -> None:
    bad = review_reply(BAD, lang="en", now=NOW)
    good = review_reply(GOOD, lang="en", now=NOW)
    for review in (bad, good):
        assert tuple(review.scores) == SCORE_KEYS
        assert all(0.0 <= s.value <= 1.0 for s in review.scores.values())
    for key in ("empathy", "empathy_emotional_reaction", "politeness", "positivity", "ownership",
                "expectation_setting"):  # fmt: skip
        assert good.scores[key].value >= 0.5 > bad.scores[key].value, key
        assert good.scores[key].evidence, key
    assert good.scores["empathy_exploration"].value < 0.5
    explore = review_reply("I'm sorry. What happened when you tried to log in?", lang="en", now=NOW)
    assert explore.scores["empathy_exploration"].value >= 0.5


def test_good_reply_is_quiet_and_promises_are_read() -> None:
    review = review_reply(GOOD, lang="en", now=NOW, tz="Europe/Warsaw")
    assert [f for f in review.findings if f.level != "suggestion"] == []
    (c,) = review.commitments
    assert c.action == "call" and c.due_at is not None
    assert c.due_at.strftime("%Y-%m-%d %H:%M") == "2026-11-19 10:00"
    assert review.overall
    data = review.to_dict()
    json.dumps(data)
    assert data["commitments"][0]["due_at"].startswith("2026-11-19T10:00")


@pytest.mark.parametrize(
    ("ui_lang", "needle"),
    [("en", "blames"), ("pl", "obwinia"), ("sr-latn", "okrivljuje"), ("sr", "окривљује"),
     ("he", "מאשים")],
)  # fmt: skip
def test_messages_follow_the_ui_language(ui_lang: str, needle: str) -> None:
    review = review_reply(BAD, lang="en", ui_lang=ui_lang, now=NOW)
    blame = next(f for f in review.findings if f.rule_id == "en.blame.you-should-have")
    assert needle in blame.message
    assert "you should have read" in blame.message  # the client's words are kept as written
    page = "sr" if ui_lang.startswith("sr") else ui_lang
    assert blame.link.startswith(f"/docs/principles/{page}/")


def test_serbian_both_scripts_give_the_same_findings() -> None:
    lat = review_reply("Smirite se, to je vaša krivica.", lang="sr", now=NOW)
    cyr = review_reply("Смирите се, то је ваша кривица.", lang="sr", now=NOW)
    assert [f.rule_id for f in lat.findings] == [f.rule_id for f in cyr.findings]
    assert [f.span.text for f in cyr.findings][:2] == ["Смирите се", "то је ваша кривица"]


def test_language_is_detected() -> None:
    assert review_reply("Przykro mi, to Pana wina.", now=NOW).lang == "pl"
    assert review_reply("אני מצטער, זו אשמתך.", now=NOW).lang == "he"
    assert review_reply("Жао ми је, то је ваша кривица.", now=NOW).lang == "sr"


def test_client_message_drives_the_missing_rules() -> None:
    client = (
        "This is outrageous!! Where is my refund for order 5521? Will you refund the shipping fee?"
    )
    draft = "Your order 5521 was processed."
    review = review_reply(draft, lang="en", client_message=client, now=NOW)
    ids = [f.rule_id for f in review.findings]
    assert "en.missing.no-empathy" in ids
    assert "en.missing.unanswered-question" in ids
    calm = review_reply(draft, lang="en", client_message="Could you check order 5521?", now=NOW)
    assert "en.missing.no-empathy" not in [f.rule_id for f in calm.findings]


def test_conversation_and_history_feed_the_robotic_rules() -> None:
    line = "Thank you for your message, our team is reviewing your request now."
    review = review_reply(
        line, lang="en", now=NOW,
        conversation=(Turn("client", "My heater is broken."), Turn("agent", line),
                      Turn("client", "Still broken!")),
        agent_history=(line, line, line),
    )  # fmt: skip
    ids = [f.rule_id for f in review.findings]
    assert "en.robotic.template-resend" in ids


def test_policy_limits() -> None:
    policy = CoachPolicy(max_refund=50, min_lead_time_hours=24, glossary={"RMA": "return form"})
    review = review_reply("I will refund you 120 EUR and call you in 2 hours. Fill in the RMA.",
                          lang="en", policy=policy, now=NOW)  # fmt: skip
    ids = {f.rule_id for f in review.findings}
    assert {"en.over-promising.refund-limit", "en.over-promising.lead-time",
            "en.clarity.jargon"} <= ids  # fmt: skip
    jargon = next(f for f in review.findings if f.rule_id == "en.clarity.jargon")
    assert jargon.suggestions[0].text == "return form"


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="ui_lang"):
        review_reply("Hello", lang="en", ui_lang="de")
    with pytest.raises(ValueError, match="unsupported language"):
        review_reply("Hello", lang="fr")
    with pytest.raises(TypeError):
        review_reply(b"Hello", lang="en")  # type: ignore[arg-type]
    empty = review_reply("", lang="en", now=NOW)
    assert empty.findings == () and tuple(empty.scores) == SCORE_KEYS


def test_long_draft_is_bounded() -> None:
    review = review_reply("We will call you tomorrow. " * 2000, lang="en", now=NOW)
    assert review.commitments


def test_cli_text_and_json(tmp_path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text(BAD, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert coach_main([str(draft), "--lang", "en", "--now", "2026-11-18T10:00",
                       "--tz", "Europe/Warsaw"], stdout=out, stderr=err) == 0  # fmt: skip
    text = out.getvalue()
    assert "⟦you should have read⟧" in text and "why:" in text and "promises:" in text
    out = io.StringIO()
    assert coach_main(["-", "--format", "json", "--ui-lang", "pl"],
                      stdin=io.StringIO(BAD), stdout=out) == 0  # fmt: skip
    data = json.loads(out.getvalue())
    assert set(data["scores"]) == set(SCORE_KEYS)
    err = io.StringIO()
    assert coach_main([str(tmp_path / "missing.txt")], stderr=err) == 2
    assert "cannot read" in err.getvalue()
    assert coach_main([str(draft), "--lang", "xx"], stderr=io.StringIO()) == 2


def test_every_finding_link_points_at_an_existing_page() -> None:
    from pathlib import Path

    from calmdesk.analysis._coach_rules import LANGS, PRINCIPLES, load_pack
    from calmdesk.analysis.coach import UI_LANGS, principle_link

    root = Path(__file__).resolve().parents[2]
    principles = {r.principle for lang in LANGS for r in load_pack(lang).rules} | set(PRINCIPLES)
    for ui in UI_LANGS:
        for p in principles:
            page = root / (principle_link(p, ui).lstrip("/") + ".md")
            assert page.exists(), page


def test_hebrew_clitic_prefixes_and_niqqud() -> None:
    for text, rule in (
        ("ואנחנו לא עושים את זה.", "he.negative-phrasing.lo-osim-et-ze"),
        ("שזו אשמתך.", "he.blame.ashmatcha"),
        ("תֵּירָגַע בבקשה.", "he.lecturing.tiraga"),  # with niqqud
    ):
        ids = [f.rule_id for f in review_reply(text, lang="he", now=NOW).findings]
        assert rule in ids, (text, ids)


def test_every_score_has_evidence_and_turns_are_validated() -> None:
    review = review_reply("Your order shipped.", lang="en", now=NOW)
    assert all(s.evidence for s in review.scores.values())
    with pytest.raises(ValueError, match="role"):
        Turn("customer", "Hello")  # type: ignore[arg-type]


def test_serbian_cyrillic_drafts_get_cyrillic_suggestions() -> None:
    from calmdesk.analysis import review_reply, script_of

    cyr = review_reply("Жао ми је, али то није наша кривица што пакет касни.", ui_lang="sr")
    lat = review_reply("Žao mi je, ali to nije naša krivica što paket kasni.", ui_lang="sr-latn")
    assert [f.rule_id for f in cyr.findings] == [f.rule_id for f in lat.findings]
    assert cyr.findings, "the deflection of blame is found in both scripts"
    for finding in cyr.findings:
        assert finding.suggestions
        for suggestion in finding.suggestions:
            assert script_of(suggestion.text) == "Cyrl", suggestion.text
    for finding in lat.findings:
        for suggestion in finding.suggestions:
            assert script_of(suggestion.text) == "Latn", suggestion.text


@pytest.mark.parametrize(
    "draft",
    [
        "That's our policy, I can't change it, and it's your fault you didn't read the terms.",
        "I'm not allowed to do that. That's not my department.",
        "As I've already said, you should've read the email.",
    ],
)
def test_apostrophes_curly_or_left_out_find_the_same_rules(draft: str) -> None:
    """Agents type "thats" and "its" in a hurry, and mail programs write ’: the rules are the
    same as with the ASCII apostrophe."""

    def rules(text: str) -> list[str]:
        return sorted(f.rule_id for f in review_reply(text, lang="en").findings)

    want = rules(draft)
    assert want
    assert rules(draft.replace("'", "’")) == want
    assert rules(draft.replace("'", "")) == want
