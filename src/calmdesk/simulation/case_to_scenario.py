"""Case to scenario: a resolved real case becomes a scenario draft, with the client pseudonymised.

A pure function: the caller (the training app) passes what the case holds — the client's name and
contact details, the messages with the emotions the analysis found in each, the expectation
record and the agent's resolving reply — and gets a validated :class:`Scenario` plus its YAML text
for a supervisor to review and publish.  Names (also inflected forms), e-mail addresses, phone
numbers, street addresses and order/ID numbers are replaced before anything is copied.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from calmdesk.analysis import cyr_to_lat, lat_to_cyr

from ._types import CATEGORIES, Scenario
from .scenarios import LANGS, lang_pack, parse_scenario

__all__ = ["CaseData", "CaseMessage", "ScenarioDraft", "case_to_scenario", "pseudonymise"]

_UPSET = ("anger", "frustration", "disappointment")
_CALM = ("gratitude", "joy")


@dataclass(frozen=True, slots=True)
class CaseMessage:
    """One message of the case; ``emotions``: the analysis of it (emotion -> 0..1)."""

    role: Literal["client", "agent"]
    text: str
    emotions: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CaseData:
    """What a resolved case gives the draft.  Every personal detail listed here is removed."""

    lang: str
    client_name: str
    messages: Sequence[CaseMessage]
    expected: str = ""
    received: str = ""
    since: str = ""
    wants: str = ""
    title: str = ""
    category: str = "vague_complaint"
    gender: str = ""
    client_emails: Sequence[str] = ()
    client_phones: Sequence[str] = ()
    other_names: Sequence[str] = ()
    resolution: str = ""
    draft_id: str = "case-draft"


@dataclass(frozen=True, slots=True)
class ScenarioDraft:
    """A validated scenario draft, its YAML text and what the supervisor should check."""

    scenario: Scenario
    yaml_text: str
    replaced: Mapping[str, int]
    warnings: tuple[str, ...]


# --------------------------------------------------------------------------- pseudonymisation

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w/])(?:\+\d{1,3}[\s.-]?)?(?:\(?\d{2,4}\)?[\s.-]?){2,4}\d{2,4}(?![\w/])")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
# order/ID numbers: with a letter prefix or "#" (ORD-5532187, A-99812, #4471), or a bare run of
# 5+ digits that is not part of a date, a time or an amount
_PREFIXED_ID = re.compile(r"(?<![\w-])(?:[A-Za-z]{1,6}[-/]?|#)\d{3,}[A-Za-z0-9-]*(?!\w)")
_BARE_ID = re.compile(r"(?<![\w.,:/+-])\d{5,}(?![\w]|[.,:/-]\d)")
_ADDRESS: Mapping[str, tuple[re.Pattern[str], ...]] = {
    "en": (
        re.compile(
            r"\b\d{1,5}[a-zA-Z]?,?\s+(?:[A-Z][\w'-]+\s+){1,3}(?:Street|St\.?|Road|Rd\.?|Avenue|"
            r"Ave\.?|Lane|Ln\.?|Close|Drive|Dr\.?|Way|Court|Ct\.?|Place|Pl\.?|Terrace|Crescent)"
            r"(?:,?\s+(?:flat|apt\.?|apartment)\s*\d+\w?)?",
        ),
    ),
    "pl": (
        re.compile(
            r"\b(?:ul\.|ulic[aye]|al\.|alej[aie]|os\.|osiedl[ue]|pl\.|plac[u]?)\s*"
            r"(?:[A-ZĄĆĘŁŃÓŚŹŻ0-9][\wąćęłńóśźż.-]*\s+){1,3}\d+[a-zA-Z]?(?:\s*/\s*\d+|\s+m\.?\s*\d+)?",
        ),
    ),
    "sr": (
        re.compile(
            r"(?i:\b(?:ulica|ulici|ul\.|bulevar|bulevaru|bul\.|trg|trgu))\s+"
            r"(?:[A-ZČĆŠŽĐ0-9][\wčćšžđ.-]*\s+){1,3}(?:br\.\s*)?\d+[a-zA-Z]?(?:\s*/\s*\d+)?",
        ),
    ),
    "he": (
        re.compile(
            r"(?:רחוב|ברחוב|ברח'|רח'|שדרות|בשדרות|שד')\s+(?:[\u05D0-\u05EA\"'״-]+\s+){1,3}\d+"
        ),
    ),
}
_ADDRESS_STANDIN = {
    "en": "12 Sample Street",
    "pl": "ul. Przykładowa 1",
    "sr-latn": "Ulica Primera 1",
    "sr": "Улица Примера 1",
    "he": "רחוב הדוגמה 1",
}


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _name_pattern(part: str, lang: str) -> re.Pattern[str]:
    """A name part and its inflected forms (Polish/Serbian endings, Hebrew prefixes)."""
    escaped = re.escape(part)
    if lang == "he":
        return re.compile(rf"(?<![\u05D0-\u05EA])[ולבהמש]?{escaped}(?![\u05D0-\u05EA])")
    if lang in ("pl", "sr", "sr-latn") and len(part) >= 4:
        stem = re.escape(part[:-1]) if part[-1].lower() in "aeioy" else escaped
        return re.compile(rf"(?<!\w){stem}\w{{0,4}}(?!\w)")
    return re.compile(rf"(?<!\w){escaped}(?!\w)", re.IGNORECASE)


def _variants(text: str, lang: str) -> list[str]:
    if lang in ("sr", "sr-latn"):
        return list(dict.fromkeys([text, lat_to_cyr(text), cyr_to_lat(text)]))
    return [text]


def pseudonymise(
    text: str,
    *,
    lang: str,
    names: Mapping[str, str],
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    counts: Counter[str] | None = None,
) -> str:
    """Replace personal details in ``text``.

    ``names`` maps each real name part to its pseudonym part; e-mail addresses, phone numbers,
    street addresses and order/ID numbers are found by pattern (the listed ``emails`` and
    ``phones`` also literally).  ``counts`` collects how many of each kind were replaced.
    """
    counts = counts if counts is not None else Counter()
    for email in emails:
        if email:
            n = text.count(email)
            text = text.replace(email, "client@example.org")
            counts["email"] += n

    def _email(_: re.Match[str]) -> str:
        counts["email"] += 1
        return "client@example.org"

    text = _EMAIL.sub(_email, text)
    for phone in phones:
        if phone and phone in text:
            counts["phone"] += text.count(phone)
            text = text.replace(phone, "000 000 000")

    def _phone(m: re.Match[str]) -> str:
        value = m.group(0)
        if _digits(value) < 7 or _DATE.match(value.strip()):
            return value
        counts["phone"] += 1
        return "000 000 000"

    ids: dict[str, str] = {}

    def _id(m: re.Match[str]) -> str:
        value = m.group(0)
        if _digits(value) < 3:
            return value
        if value not in ids:
            prefix = re.match(r"^(?:[A-Za-z]*[-/]?|#)", value)
            head = prefix.group(0) if prefix else ""
            ids[value] = f"{head}{100001 + len(ids)}"
            counts["id"] += 1
        return ids[value]

    text = _PREFIXED_ID.sub(_id, text)
    text = _PHONE.sub(_phone, text)
    text = _BARE_ID.sub(_id, text)
    base = "sr" if lang in ("sr", "sr-latn") else lang
    standin = _ADDRESS_STANDIN.get(lang, _ADDRESS_STANDIN["en"])
    for pattern in _ADDRESS.get(base, ()):

        def _address(_: re.Match[str], standin: str = standin) -> str:
            counts["address"] += 1
            return standin

        text = pattern.sub(_address, text)
    for real, fake in sorted(names.items(), key=lambda kv: -len(kv[0])):
        for variant in _variants(real, lang):
            pattern = _name_pattern(variant, lang)
            text, n = pattern.subn(fake, text)
            counts["name"] += n
    return text


# --------------------------------------------------------------------------- the draft


def _upset(m: CaseMessage) -> float:
    return max((float(m.emotions.get(k, 0.0)) for k in _UPSET), default=0.0)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _first_matching(texts: Sequence[str], patterns: Sequence[re.Pattern[str]], latin: bool) -> str:
    for text in texts:
        for sentence in _sentences(text):
            probe = cyr_to_lat(sentence.lower()) if latin else sentence.lower()
            if any(p.search(probe) for p in patterns):
                return sentence
    return ""


def case_to_scenario(case: CaseData) -> ScenarioDraft:
    """Build a validated scenario draft from a resolved case (pure; nothing is stored)."""
    lang = case.lang
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    if case.category not in CATEGORIES:
        raise ValueError(f"unknown category {case.category!r}; use one of {', '.join(CATEGORIES)}")
    client = [m for m in case.messages if m.role == "client" and m.text.strip()]
    agent = [m for m in case.messages if m.role == "agent" and m.text.strip()]
    if not client:
        raise ValueError("the case has no client message to build a scenario from")
    pack = lang_pack(lang)
    warnings: list[str] = []

    # pseudonyms: the real name parts map onto a pseudonym's parts
    real_parts = [p for p in re.split(r"\s+", case.client_name.strip()) if len(p) >= 2]
    seed = sum(ord(ch) for ch in case.client_name) if case.client_name else 0
    fake_name = pack.pseudonyms[seed % len(pack.pseudonyms)]
    fake_parts = fake_name.split()
    names: dict[str, str] = {}
    for i, part in enumerate(real_parts):
        names[part] = fake_parts[min(i, len(fake_parts) - 1)]
    for j, other in enumerate(case.other_names):
        other_fake = pack.pseudonyms[(seed + j + 1) % len(pack.pseudonyms)].split()
        for k, part in enumerate(other.split()):
            if len(part) >= 2 and part not in names:
                names[part] = other_fake[min(k, len(other_fake) - 1)]
    counts: Counter[str] = Counter()

    def clean(text: str) -> str:
        return " ".join(
            pseudonymise(
                text,
                lang=lang,
                names=names,
                emails=case.client_emails,
                phones=case.client_phones,
                counts=counts,
            ).split()
        )

    if lang != "en" and case.gender not in ("f", "m"):
        warnings.append("persona.gender: not given, set to f; check the persona's word forms")
    gender = case.gender if case.gender in ("f", "m") else ("" if lang == "en" else "f")

    first = client[0]
    anger = max(20, min(90, round(100 * _upset(first)) or 60))
    trust = max(15, min(50, 100 - anger))
    lines: dict[str, list[str]] = {"opening": [clean(first.text)]}
    previous = _upset(first)
    facts: list[dict[str, Any]] = []
    for m in client[1:]:
        level = _upset(m)
        calm = max((float(m.emotions.get(k, 0.0)) for k in _CALM), default=0.0)
        text = clean(m.text)
        if m is client[-1] and (calm >= 0.5 or level < 0.3):
            lines.setdefault("resolved", []).append(text)
        elif len(text.split()) >= 8 and len(facts) < 3:
            facts.append(
                {
                    "id": f"fact-{len(facts) + 1}",
                    "earned_by": ["open_question", "paraphrase"],
                    "min_trust": 20 + 10 * len(facts),
                    "ask": pack.text("draft.ask"),
                    "lines": [text],
                }
            )
        else:
            key = (
                "calmer"
                if level < previous - 0.05
                else ("angrier" if level > previous + 0.05 else "neutral")
            )
            lines.setdefault(key, []).append(text)
        previous = level
    if not facts:
        facts.append(
            {
                "id": "fact-1",
                "earned_by": ["open_question", "paraphrase"],
                "ask": pack.text("draft.ask"),
                "lines": [clean(case.received or first.text)],
            }
        )
        warnings.append("facts: no later client message to hide; write the hidden facts")
    for key in ("calmer", "angrier", "resolved", "escalated"):
        if key not in lines:
            lines[key] = list(pack.lines.get(key, ()))[:2]
            warnings.append(f"lines.{key}: taken from the language pack; write the client's own")
    for key in list(lines):
        lines[key] = list(dict.fromkeys(lines[key]))

    latin = lang.startswith("sr")
    agent_texts = [clean(m.text) for m in agent]
    ack = _first_matching(agent_texts, pack.patterns["acknowledge"], latin)
    para = _first_matching(agent_texts, pack.patterns["paraphrase"], latin)
    step = clean(case.resolution) if case.resolution else (agent_texts[-1] if agent_texts else "")
    for name, found in (("acknowledge", ack), ("paraphrase", para), ("next_step", step)):
        if not found:
            warnings.append(f"coach.{name}: not found in the agent's replies; write it")
    words = Counter(
        w.lower()
        for m in client
        for w in re.findall(r"\w{5,}", clean(m.text))
        if not any(ch.isdigit() for ch in w)
    )
    fake_lower = {
        w.lower()
        for text in (*pack.pseudonyms, *_ADDRESS_STANDIN.values(), "client@example.org")
        for w in re.findall(r"\w+", text)
    }
    key_terms = [w for w, _ in words.most_common(12) if w not in fake_lower][:8] or ["problem"]

    def field_text(value: str, name: str) -> str:
        if value.strip():
            return clean(value)
        warnings.append(f"persona.{name}: missing in the expectation record; write it")
        return "—"

    data: dict[str, Any] = {
        "id": case.draft_id,
        "lang": "sr-latn" if lang == "sr" else lang,
        "title": clean(case.title) if case.title else pack.text("draft.title"),
        "category": case.category,
        "briefing": pack.text("draft.briefing"),
        "persona": {
            "name": fake_name,
            **({"gender": gender} if gender else {}),
            "expected": field_text(case.expected, "expected"),
            "received": field_text(case.received, "received"),
            "since": field_text(case.since, "since"),
            "wants": field_text(case.wants, "wants"),
            "anger": anger,
            "trust": trust,
            "patience": 60,
        },
        "key_terms": key_terms,
        "requires": ["acknowledge", "next_step"],
        "facts": facts,
        "coach": {
            "acknowledge": ack or "—",
            "paraphrase": para or "—",
            "next_step": step or "—",
        },
        "lines": lines,
    }
    if lang == "sr":  # Serbian scenarios are written in Latin script
        data = _to_latin(data)
    yaml_text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    source = f"<case draft {case.draft_id}>"
    scenario = parse_scenario(yaml.safe_load(yaml_text), source=source, lang=lang)
    return ScenarioDraft(
        scenario=scenario,
        yaml_text=yaml_text,
        replaced=dict(counts),
        warnings=tuple(warnings),
    )


def _to_latin(value: Any) -> Any:
    if isinstance(value, str):
        return cyr_to_lat(value)
    if isinstance(value, list):
        return [_to_latin(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_latin(v) for k, v in value.items()}
    return value
