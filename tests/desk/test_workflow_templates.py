"""Every workflow email exists in every desk language and renders a subject and a body."""

from __future__ import annotations

from pathlib import Path

import pytest

from calmdesk.desk.actions.notifications import render_email

EMAIL_DIR = Path(__file__).resolve().parents[2] / "src/calmdesk/desk/templates/desk/email"
LANGUAGES = ["en", "pl", "sr", "sr-latn", "he"]
KINDS = sorted(p.stem for p in (EMAIL_DIR / "en").glob("*.txt"))
CONTEXT = {
    "recipient_name": "R",
    "owner_name": "O",
    "requester_name": "Q",
    "kind_label": "an approval",
    "kind": "approval",
    "case_ref": "CD-7K2M9Q",
    "case_subject": "S",
    "reason": "REASON",
    "decision_subject": "DECISION",
    "level": 2,
    "waiting_since": "2031-01-01 10:00 UTC",
    "rating": 1,
    "comment": "COMMENT",
    "days": 3,
    "suggestion": "SUGGESTION",
    "url": "https://desk.example.test/cases/1/",
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["escalation", "unhappy", "progress"])
def test_staff_emails_are_translated(language, kind):
    assert (EMAIL_DIR / language / f"{kind}.txt").is_file()
    subject, body = render_email(kind, language, CONTEXT)
    assert "CD-7K2M9Q" in subject and "https://desk.example.test/cases/1/" in body
    if language != "en":
        english, _ = render_email(kind, "en", CONTEXT)
        assert subject != english
    for marker in {"escalation": ["REASON", "DECISION"], "unhappy": ["COMMENT"]}.get(
        kind, ["SUGGESTION"]
    ):
        assert marker in body
    assert "{{" not in body and "{%" not in body


def test_every_english_email_has_its_translations():
    assert {"escalation", "unhappy", "progress"} <= set(KINDS)
    missing = [
        f"{lang}/{kind}"
        for lang in LANGUAGES
        for kind in KINDS
        if not (EMAIL_DIR / lang / f"{kind}.txt").is_file()
    ]
    assert missing == []
