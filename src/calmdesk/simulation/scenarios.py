"""Loading and validating scenario files (``scenarios/<lang>/*.yaml``) and the language packs.

Serbian is written once, in Latin script (``scenarios/sr-latn``); the Cyrillic set (``sr``) is
made from it by transliteration, keeping ``{placeholders}`` as they are.  Every error names the
file and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from calmdesk.analysis import lat_to_cyr

from ._types import (
    CATEGORIES,
    EVENTS,
    MOVES,
    CoachLines,
    Fact,
    Persona,
    Scenario,
    ScenarioError,
)

__all__ = [
    "LANGS",
    "SCENARIO_DIR",
    "LangPack",
    "gendered",
    "lang_pack",
    "list_scenarios",
    "load_scenario",
    "load_scenario_file",
    "parse_scenario",
    "translit",
]

SCENARIO_DIR = Path(__file__).parent / "scenarios"
LANGS: tuple[str, ...] = ("en", "pl", "sr", "sr-latn", "he")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,60}$")
_PLACEHOLDER = re.compile(r"(\{[a-z_]+\})")
_ALLOWED_PLACEHOLDERS = {"{promise}", "{question}", "{name}"}


_KEEP_LATIN = re.compile(r"(\{[a-z_]+\}|\[[^\[\]|]*\|[^\[\]|]*\]|(?<!\w)/[a-z]+)")


def translit(text: str) -> str:
    """Serbian Latin to Cyrillic, keeping ``{placeholders}`` and ``/commands`` as they are.

    ``[female|male]`` alternatives are transliterated inside the brackets.
    """
    out: list[str] = []
    for part in _KEEP_LATIN.split(text):
        if _PLACEHOLDER.fullmatch(part) or part.startswith("/"):
            out.append(part)
        else:
            out.append(lat_to_cyr(part))
    return "".join(out)


_GENDERED = re.compile(r"\[([^\[\]|]*)\|([^\[\]|]*)\]")


def gendered(text: str, gender: str) -> str:
    """Resolve ``[female form|male form]`` for the persona's gender (female form if unset)."""
    return _GENDERED.sub(lambda m: m.group(2) if gender == "m" else m.group(1), text)


def _source_dir(lang: str) -> Path:
    if lang not in LANGS:
        raise ValueError(f"unknown scenario language {lang!r}; use one of {', '.join(LANGS)}")
    return SCENARIO_DIR / ("sr-latn" if lang == "sr" else lang)


# --------------------------------------------------------------------------- field readers


class _Reader:
    def __init__(self, source: str, data: Any) -> None:
        self.source = source
        if not isinstance(data, Mapping):
            self.fail("", "the file must hold a mapping (key: value)")
        self.data: Mapping[str, Any] = data

    def fail(self, field: str, problem: str) -> None:
        where = f"field '{field}'" if field else "top level"
        raise ScenarioError(f"{self.source}: {where}: {problem}")

    def get(self, data: Mapping[Any, Any], key: Any, path: str, *, required: bool = True) -> Any:
        if key not in data or data[key] is None:
            if required:
                self.fail(path, "is missing")
            return None
        return data[key]

    def text(self, data: Mapping[Any, Any], key: Any, path: str, *, required: bool = True) -> str:
        value = self.get(data, key, path, required=required)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty text")
        self.placeholders(value, path)
        return " ".join(value.split())

    def placeholders(self, value: str, path: str) -> None:
        for p in _PLACEHOLDER.findall(value):
            if p not in _ALLOWED_PLACEHOLDERS:
                allowed = ", ".join(sorted(_ALLOWED_PLACEHOLDERS))
                self.fail(path, f"unknown placeholder {p} (allowed: {allowed})")

    def texts(
        self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> tuple[str, ...]:
        value = self.get(data, key, path, required=required)
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.fail(path, "must be a non-empty list of texts")
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.fail(f"{path}[{i}]", "must be a non-empty text")
            self.placeholders(item, f"{path}[{i}]")
            norm = " ".join(item.split())
            if norm in out:
                self.fail(f"{path}[{i}]", f"duplicate line {norm!r}")
            out.append(norm)
        return tuple(out)

    def level(self, data: Mapping[str, Any], key: str, path: str) -> int:
        value = self.get(data, key, path)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            self.fail(path, "must be a whole number from 0 to 100")
        return int(value)

    def mapping(self, data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = self.get(data, key, path)
        if not isinstance(value, Mapping):
            self.fail(path, "must be a mapping (key: value)")
        return value  # type: ignore[no-any-return]

    def regexes(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = self.get(data, key, path, required=False)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(path, "must be a list of regular expressions")
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                self.fail(f"{path}[{i}]", "must be a non-empty regular expression")
            try:
                re.compile(item)
            except re.error as exc:
                self.fail(f"{path}[{i}]", f"invalid regular expression: {exc}")
            out.append(item)
        return tuple(out)

    def moves(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = self.get(data, key, path, required=False)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(path, f"must be a list of moves ({', '.join(MOVES)})")
        for i, item in enumerate(value):
            if item not in MOVES:
                self.fail(f"{path}[{i}]", f"unknown move {item!r}; use one of {', '.join(MOVES)}")
        return tuple(value)


# --------------------------------------------------------------------------- scenarios


def parse_scenario(data: Any, *, source: str, lang: str) -> Scenario:
    """Validate one scenario's data (already parsed YAML) for ``lang``; raise ScenarioError."""
    r = _Reader(source, data)
    d = r.data
    sid = r.text(d, "id", "id")
    if not _ID.match(sid):
        r.fail("id", "use lower-case letters, digits and hyphens (2–61 characters)")
    file_lang = r.text(d, "lang", "lang")
    expected_lang = "sr-latn" if lang == "sr" else lang
    if file_lang != expected_lang:
        r.fail("lang", f"is {file_lang!r} but the file is in the {expected_lang!r} folder")
    category = r.text(d, "category", "category")
    if category not in CATEGORIES:
        r.fail("category", f"unknown {category!r}; use one of {', '.join(CATEGORIES)}")
    p = r.mapping(d, "persona", "persona")
    persona = Persona(
        name=r.text(p, "name", "persona.name"),
        expected=r.text(p, "expected", "persona.expected"),
        received=r.text(p, "received", "persona.received"),
        since=r.text(p, "since", "persona.since"),
        wants=r.text(p, "wants", "persona.wants"),
        anger=r.level(p, "anger", "persona.anger"),
        trust=r.level(p, "trust", "persona.trust"),
        patience=r.level(p, "patience", "persona.patience"),
        gender=str(p.get("gender") or ""),
    )
    if persona.gender not in ("", "f", "m"):
        r.fail("persona.gender", "must be f or m")
    if not persona.gender and lang != "en":
        r.fail("persona.gender", "is missing (f or m): the persona's lines depend on it")
    raw_facts = r.get(d, "facts", "facts")
    if not isinstance(raw_facts, list) or not raw_facts:
        r.fail("facts", "must be a non-empty list of hidden facts")
    facts: list[Fact] = []
    for i, raw in enumerate(raw_facts):
        fp = f"facts[{i}]"
        if not isinstance(raw, Mapping):
            r.fail(fp, "must be a mapping")
        fid = r.text(raw, "id", f"{fp}.id")
        if any(f.id == fid for f in facts):
            r.fail(f"{fp}.id", f"duplicate fact id {fid!r}")
        earned = r.moves(raw, "earned_by", f"{fp}.earned_by")
        if not earned:
            r.fail(f"{fp}.earned_by", "name at least one move that reveals the fact")
        min_trust = raw.get("min_trust", 0)
        if (
            isinstance(min_trust, bool)
            or not isinstance(min_trust, int)
            or not 0 <= min_trust <= 100
        ):
            r.fail(f"{fp}.min_trust", "must be a whole number from 0 to 100")
        required = raw.get("required", True)
        if not isinstance(required, bool):
            r.fail(f"{fp}.required", "must be true or false")
        facts.append(
            Fact(
                id=fid,
                lines=r.texts(raw, "lines", f"{fp}.lines"),
                earned_by=earned,
                ask=r.text(raw, "ask", f"{fp}.ask"),
                min_trust=int(min_trust),
                required=bool(required),
            )
        )
    key_terms = r.texts(d, "key_terms", "key_terms")
    requires = r.moves(d, "requires", "requires")
    cannot = r.regexes(d, "cannot_grant", "cannot_grant")
    c = r.mapping(d, "coach", "coach")
    coach = CoachLines(
        acknowledge=r.text(c, "acknowledge", "coach.acknowledge"),
        paraphrase=r.text(c, "paraphrase", "coach.paraphrase"),
        next_step=r.text(c, "next_step", "coach.next_step"),
        boundary=r.text(c, "boundary", "coach.boundary", required=bool(cannot)),
        backup=r.text(c, "backup", "coach.backup", required="backup" in requires),
    )
    raw_lines = r.mapping(d, "lines", "lines")
    lines: dict[str, tuple[str, ...]] = {}
    for key in raw_lines:
        if key not in EVENTS:
            r.fail(f"lines.{key}", f"unknown event; use one of {', '.join(EVENTS)}")
        lines[str(key)] = r.texts(raw_lines, key, f"lines.{key}")
    for key in ("opening", "calmer", "angrier", "resolved", "escalated"):
        if key not in lines:
            r.fail(f"lines.{key}", "is missing")
    max_turns = d.get("max_turns", 12)
    if isinstance(max_turns, bool) or not isinstance(max_turns, int) or not 3 <= max_turns <= 40:
        r.fail("max_turns", "must be a whole number from 3 to 40")
    scenario = Scenario(
        id=sid,
        lang=lang,
        title=r.text(d, "title", "title"),
        category=category,
        briefing=r.text(d, "briefing", "briefing"),
        persona=persona,
        facts=tuple(facts),
        key_terms=tuple(t.lower() for t in key_terms),
        requires=requires,
        cannot_grant=cannot,
        coach=coach,
        lines=lines,
        max_turns=int(max_turns),
        source=source,
    )
    return _to_cyrillic(scenario) if lang == "sr" else scenario


def _to_cyrillic(s: Scenario) -> Scenario:
    p = s.persona
    return Scenario(
        id=s.id,
        lang="sr",
        title=translit(s.title),
        category=s.category,
        briefing=translit(s.briefing),
        persona=Persona(
            name=translit(p.name),
            expected=translit(p.expected),
            received=translit(p.received),
            since=translit(p.since),
            wants=translit(p.wants),
            anger=p.anger,
            trust=p.trust,
            patience=p.patience,
            gender=p.gender,
        ),
        facts=tuple(
            Fact(
                id=f.id,
                lines=tuple(translit(x) for x in f.lines),
                earned_by=f.earned_by,
                ask=translit(f.ask),
                min_trust=f.min_trust,
                required=f.required,
            )
            for f in s.facts
        ),
        key_terms=s.key_terms,  # matched against the Latin form of the trainee's text
        requires=s.requires,
        cannot_grant=s.cannot_grant,
        coach=CoachLines(
            acknowledge=translit(s.coach.acknowledge),
            paraphrase=translit(s.coach.paraphrase),
            next_step=translit(s.coach.next_step),
            boundary=translit(s.coach.boundary),
            backup=translit(s.coach.backup),
        ),
        lines={k: tuple(translit(x) for x in v) for k, v in s.lines.items()},
        max_turns=s.max_turns,
        source=s.source,
    )


def load_scenario_file(path: str | Path, lang: str | None = None) -> Scenario:
    """Load and validate one scenario file; ``lang`` defaults to the folder's name."""
    path = Path(path)
    lang = lang or path.parent.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the file: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    return parse_scenario(data, source=str(path), lang=lang)


@lru_cache(maxsize=8)
def list_scenarios(lang: str) -> tuple[Scenario, ...]:
    """All scenarios of a language (``en``, ``pl``, ``sr``, ``sr-latn``, ``he``), by id."""
    folder = _source_dir(lang)
    out = [load_scenario_file(p, lang) for p in sorted(folder.glob("*.yaml")) if p.name[0] != "_"]
    ids = [s.id for s in out]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ScenarioError(f"{folder}: duplicate scenario ids {sorted(dupes)}")
    return tuple(sorted(out, key=lambda s: s.id))


def load_scenario(scenario_id: str, lang: str = "en") -> Scenario:
    """One scenario by id; ``KeyError`` names the ids that exist."""
    for s in list_scenarios(lang):
        if s.id == scenario_id:
            return s
    known = ", ".join(s.id for s in list_scenarios(lang))
    raise KeyError(f"no scenario {scenario_id!r} in {lang!r}; known: {known}")


# --------------------------------------------------------------------------- language packs


@dataclass(frozen=True, slots=True)
class LangPack:
    """Shared data of a language: generic persona lines, move patterns and report texts."""

    lang: str
    lines: Mapping[str, tuple[str, ...]]
    patterns: Mapping[str, tuple[re.Pattern[str], ...]]
    texts: Mapping[str, str]
    principle_names: Mapping[int, str]
    pseudonyms: tuple[str, ...]

    def text(self, key: str, **args: object) -> str:
        template = self.texts.get(key, key)
        try:
            return template.format(**args)
        except (KeyError, IndexError):
            return template


_PATTERN_KEYS = (*MOVES, "open_question_start", "negation")


@lru_cache(maxsize=8)
def lang_pack(lang: str) -> LangPack:
    """The ``_common.yaml`` pack of a language (Serbian Cyrillic made from Serbian Latin)."""
    path = _source_dir(lang) / "_common.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot load the language pack: {exc}") from exc
    r = _Reader(str(path), data)
    raw_lines = r.mapping(r.data, "lines", "lines")
    lines: dict[str, tuple[str, ...]] = {}
    for key in raw_lines:
        if key not in EVENTS:
            r.fail(f"lines.{key}", f"unknown event; use one of {', '.join(EVENTS)}")
        lines[str(key)] = r.texts(raw_lines, key, f"lines.{key}")
    raw_patterns = r.mapping(r.data, "patterns", "patterns")
    patterns: dict[str, tuple[re.Pattern[str], ...]] = {}
    for key in _PATTERN_KEYS:
        patterns[key] = tuple(
            re.compile(x, re.IGNORECASE) for x in r.regexes(raw_patterns, key, f"patterns.{key}")
        )
        if not patterns[key]:
            r.fail(f"patterns.{key}", "is missing")
    raw_texts = r.mapping(r.data, "texts", "texts")
    texts: dict[str, str] = {}
    for k, v in raw_texts.items():
        if not isinstance(v, str) or not v.strip():
            r.fail(f"texts.{k}", "must be a non-empty text")
        texts[str(k)] = " ".join(v.split())
    raw_names: Mapping[Any, Any] = r.mapping(r.data, "principles", "principles")
    names: dict[int, str] = {}
    for n in range(1, 13):
        if n not in raw_names:
            r.fail(f"principles.{n}", "is missing")
        names[n] = r.text(raw_names, n, f"principles.{n}")
    pseudonyms = r.texts(r.data, "pseudonyms", "pseudonyms")
    if lang == "sr":
        lines = {k: tuple(translit(x) for x in v) for k, v in lines.items()}
        texts = {k: translit(v) for k, v in texts.items()}
        names = {k: translit(v) for k, v in names.items()}
        pseudonyms = tuple(translit(x) for x in pseudonyms)
    return LangPack(
        lang=lang,
        lines=lines,
        patterns=patterns,
        texts=texts,
        principle_names=names,
        pseudonyms=pseudonyms,
    )
