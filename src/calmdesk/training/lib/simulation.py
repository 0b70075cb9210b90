"""The bridge between the web app and the pure simulator (``calmdesk.simulation``).

Everything the views and actions need from the engine goes through here: which scenarios a
language has, the scenario of a stored session (built-in or a published draft's YAML), playing
a stored session forward, and turning a resolved case into a scenario draft.
"""

from __future__ import annotations

from typing import Any

import yaml

from calmdesk.desk.models import Case, Interaction
from calmdesk.simulation import (
    LANGS,
    CaseData,
    CaseMessage,
    Report,
    Scenario,
    ScenarioDraft,
    ScenarioError,
    Session,
    case_to_scenario,
    list_scenarios,
    load_scenario,
    score_session,
)
from calmdesk.simulation.scenarios import parse_scenario

__all__ = [
    "LANGS",
    "Report",
    "Scenario",
    "ScenarioError",
    "Session",
    "draft_from_case",
    "list_scenarios",
    "load_scenario",
    "parse_draft_yaml",
    "play",
    "scenario_lang_for",
    "score_session",
    "session_scenario",
]

# UI language -> scenario language (Croatian and Bosnian users get Serbian Latin).
_UI_TO_SCENARIO = {"en": "en", "pl": "pl", "sr": "sr", "sr-latn": "sr-latn", "he": "he"}


def scenario_lang_for(ui_lang: str | None) -> str:
    code = (ui_lang or "en").lower()
    if code in _UI_TO_SCENARIO:
        return _UI_TO_SCENARIO[code]
    if code in ("hr", "bs"):
        return "sr-latn"
    return "en"


def parse_draft_yaml(text: str, lang: str) -> Scenario:
    """Validate a draft's YAML; ``ScenarioError`` names the field that is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"draft: not valid YAML: {exc}") from exc
    return parse_scenario(data, source="draft", lang=lang)


def session_scenario(session: Any) -> Scenario:
    """The scenario a stored PracticeSession plays (its YAML snapshot for a draft)."""
    if session.scenario_yaml:
        return parse_draft_yaml(session.scenario_yaml, session.lang)
    return load_scenario(session.scenario_id, session.lang)


def play(scenario: Scenario, seed: int, texts: list[str]) -> Session:
    """A session with the stored trainee turns played again (same seed: same answers)."""
    session = Session(scenario, seed=seed)
    for text in texts:
        if session.finished:
            break
        session.reply(text)
    return session


# --------------------------------------------------------------------------- case to scenario

_UPSET_KEYS = ("anger", "frustration", "disappointment", "gratitude", "joy")


def _emotions(interaction: Interaction) -> dict[str, float]:
    from calmdesk.desk.lib.analysis import analyze_interaction

    try:
        scores = analyze_interaction(interaction).emotions
    except Exception:
        return {}
    return {k: float(getattr(scores, k)) for k in _UPSET_KEYS if hasattr(scores, k)}


def _case_lang(case: Case, messages: list[Interaction]) -> str:
    for value in [*(m.language for m in messages), case.client.preferred_language]:
        if value in LANGS:
            return value
        if value in ("hr", "bs"):
            return "sr-latn"
    return "en"


def draft_from_case(case: Case, *, category: str = "vague_complaint") -> ScenarioDraft:
    """The pure case_to_scenario over what the case holds; every client detail is replaced."""
    messages = list(
        case.interactions.filter(kind__in=("inbound", "outbound"), corrects__isnull=True)
        .order_by("seq")
        .all()
    )
    lang = _case_lang(case, messages)
    items = [
        CaseMessage(
            role="client" if m.kind == "inbound" else "agent",
            text=m.text,
            emotions=_emotions(m) if m.kind == "inbound" else {},
        )
        for m in messages
        if m.text.strip()
    ]
    contacts = list(case.client.contact_points.all())
    agents = {m.author.get_full_name() for m in messages if m.author and m.author.get_full_name()}
    data = CaseData(
        lang=lang,
        client_name=case.client.name,
        messages=items,
        expected=case.expected,
        received=case.received,
        wants=case.agreed_possible,
        title=case.subject,
        category=category,
        client_emails=[c.value for c in contacts if c.kind == "email"],
        client_phones=[c.value for c in contacts if c.kind == "phone"],
        other_names=sorted(agents),
        resolution=case.agreed_possible,
        draft_id=f"case-{case.pk}",
    )
    return case_to_scenario(data)
