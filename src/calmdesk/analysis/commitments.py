"""Promise extraction: what an agent promises (call back, send, refund, fix, …) and by when.

``extract_commitments(text, lang=..., now=..., tz=...)`` finds first-person promises sentence by
sentence with the pack's ``coach/commitments.yaml`` (promise verbs, negations, vague words and the
relative time expressions dateparser misses: "do piątku", "prekosutra", "מחרתיים", "within 3
business days", "end of day", "next week" …) and reads absolute dates ("on 5 March", "do 12.03.")
with dateparser restricted to the pack's language.  Due times are timezone-aware in ``tz``; a
date without a time means the end of that working day (``BusinessCalendar.end_of_day``).  A
promise with no time, or with only a vague one ("soon", "wkrótce", "ускоро", "בקרוב"), is returned
with ``vague=True`` and ``due_at=None``.  Sentences that are questions, negated ("I won't be able
to…") or contain a date but no promise yield nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from ._coach_match import Normalized, match_view, sentences
from ._coach_types import BusinessCalendar, Commitment
from ._text import script_of
from ._types import Span

__all__ = ["extract_commitments", "resolve_language"]

_LANG_DIR = Path(__file__).parent / "lang"
_PACK_LANGS = ("en", "pl", "sr", "he")


def resolve_language(text: str, lang: str | None) -> str:
    """Map a language code (``hr``/``bs``/``sr-Latn`` → ``sr``) or detect it from *text*."""
    if lang:
        base = lang.lower().split("-")[0].split("_")[0]
        if base in ("hr", "bs", "sh", "cnr"):
            base = "sr"
        if base not in _PACK_LANGS:
            raise ValueError(f"unsupported language {lang!r}: use one of {', '.join(_PACK_LANGS)}")
        return base
    script = script_of(text)
    if script == "Hebr":
        return "he"
    if script == "Cyrl":
        return "sr"
    from ._language import detect_language

    guess = detect_language(text)
    code = guess.language
    if code in ("hr", "bs"):
        return "sr"
    return code if code in _PACK_LANGS else "en"


@dataclass(frozen=True, slots=True)
class _TimeExpr:
    pattern: re.Pattern[str]
    kind: str
    arg: str


@dataclass(frozen=True, slots=True)
class _Table:
    lang: str
    promise: tuple[tuple[re.Pattern[str], str], ...]
    coordinated: tuple[tuple[re.Pattern[str], str], ...]  # "… and send …" after a promise
    negation: re.Pattern[str]  # a negating word just before, or inside, a promise
    vague: re.Pattern[str]
    times: tuple[_TimeExpr, ...]
    clock: tuple[re.Pattern[str], ...]
    weekdays: Mapping[str, int]
    numbers: Mapping[str, int]
    absolute: re.Pattern[str] | None
    dateparser_lang: str
    week_starts: int
    months: Mapping[str, int]


def _rx(body: str, defs: Mapping[str, str]) -> re.Pattern[str]:
    body = re.sub(r"@([a-z_]+)", lambda m: f"(?:{defs[m.group(1)]})", body)
    body = body.replace(" ?", r"\s*").replace(" ", r"\s+").replace("'", "['’]")
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


@lru_cache(maxsize=8)
def _table(lang: str) -> _Table:
    raw: dict[str, Any] = yaml.safe_load(
        (_LANG_DIR / lang / "coach" / "commitments.yaml").read_text(encoding="utf-8")
    )
    weekdays = {str(k): int(v) for k, v in raw["weekdays"].items()}
    numbers = {str(k): int(v) for k, v in raw.get("numbers", {}).items()}
    defs: dict[str, str] = {
        "weekday": "|".join(sorted(map(re.escape, weekdays), key=len, reverse=True)),
        "num": r"\d{1,3}|" + "|".join(sorted(map(re.escape, numbers), key=len, reverse=True)),
    }
    defs.update({str(k): str(v) for k, v in raw.get("defs", {}).items()})
    promise = tuple(
        (_rx(p, defs), str(action))
        for action, pats in raw["promise"].items()
        for p in (pats if isinstance(pats, list) else [pats])
    )
    coordinated = tuple(
        (_rx(f"(?:{raw['and']}) (?:{verbs})", defs), str(action))
        for action, verbs in raw.get("coordinated", {}).items()
    )
    times = tuple(
        _TimeExpr(_rx(t["pattern"], defs), str(t["kind"]), str(t.get("arg", "")))
        for t in raw["times"]
    )
    clock = tuple(_rx(p, defs) for p in raw.get("clock", ()))
    absolute = _rx(raw["absolute"], defs) if raw.get("absolute") else None
    return _Table(
        lang=lang,
        promise=promise,
        coordinated=coordinated,
        negation=_rx(raw["negation"], defs),
        vague=_rx(raw["vague"], defs),
        times=times,
        clock=clock,
        weekdays=weekdays,
        numbers=numbers,
        absolute=absolute,
        dateparser_lang=str(raw.get("dateparser", lang)),
        week_starts=int(raw.get("week_starts", 0)),
        months={str(k): int(v) for k, v in raw.get("months", {}).items()},
    )


# --------------------------------------------------------------------------- date arithmetic


@dataclass(frozen=True, slots=True)
class _Clock:
    now: datetime  # aware, in tz
    zone: ZoneInfo
    cal: BusinessCalendar
    week_starts: int

    @property
    def today(self) -> date:
        return self.now.date()

    def at(self, day: date, t: time | None = None) -> datetime:
        local = datetime.combine(day, t or self.cal.end_of_day).replace(tzinfo=self.zone)
        # normalise wall times that fall in a DST gap
        return local.astimezone(ZoneInfo("UTC")).astimezone(self.zone)

    def add_workdays(self, start: date, n: int) -> date:
        day = start
        count = 0
        for _ in range(3660):
            if count >= n:
                break
            day += timedelta(days=1)
            if self.cal.is_workday(day):
                count += 1
        return day

    def week_start(self, day: date) -> date:
        return day - timedelta(days=(day.weekday() - self.week_starts) % 7)

    def last_workday_of_week(self, start: date) -> date:
        days = [start + timedelta(days=i) for i in range(7)]
        work = [d for d in days if self.cal.is_workday(d)]
        return work[-1] if work else days[4]

    def first_workday_of_week(self, start: date) -> date:
        days = [start + timedelta(days=i) for i in range(7)]
        work = [d for d in days if self.cal.is_workday(d)]
        return work[0] if work else start

    def next_weekday(self, wd: int, *, include_today: bool) -> date:
        delta = (wd - self.today.weekday()) % 7
        if delta == 0 and not include_today:
            delta = 7
        return self.today + timedelta(days=delta)


_Resolver = Callable[[_Clock, int, int], datetime]


def _eod_today(c: _Clock) -> datetime:
    due = c.at(c.today)
    if due <= c.now:
        return c.at(c.add_workdays(c.today, 1))
    return due


def _resolve(kind: str, arg: str, n: int, wd: int, c: _Clock) -> datetime | None:
    """Due time for one of our relative time expressions (``kind`` from commitments.yaml)."""
    today = c.today
    if kind == "today":
        return _eod_today(c)
    if kind == "part_of_day":  # arg: HH:MM, today
        t = time.fromisoformat(arg)
        due = c.at(today, t)
        return due if due > c.now else _eod_today(c)
    if kind == "tomorrow":
        return c.at(today + timedelta(days=1), time.fromisoformat(arg) if arg else None)
    if kind == "day_after_tomorrow":
        return c.at(today + timedelta(days=2), time.fromisoformat(arg) if arg else None)
    if kind == "weekday":
        return c.at(c.next_weekday(wd, include_today=arg == "by"))
    if kind == "weekday_before":
        return c.at(c.next_weekday(wd, include_today=False) - timedelta(days=1))
    if kind == "next_weekday":
        return c.at(c.next_weekday(wd, include_today=False))
    if kind == "end_of_week":
        return c.at(max(today, c.last_workday_of_week(c.week_start(today))))
    if kind == "next_week":
        return c.at(c.last_workday_of_week(c.week_start(today) + timedelta(days=7)))
    if kind == "early_next_week":
        return c.at(c.first_workday_of_week(c.week_start(today) + timedelta(days=7)))
    if kind == "days":
        return c.at(today + timedelta(days=n))
    if kind == "weeks":
        return c.at(today + timedelta(days=7 * n))
    if kind == "business_days":
        return c.at(c.add_workdays(today, n))
    if kind == "hours":
        return (c.now.astimezone(ZoneInfo("UTC")) + timedelta(hours=n)).astimezone(c.zone)
    if kind == "minutes":
        return (c.now.astimezone(ZoneInfo("UTC")) + timedelta(minutes=n)).astimezone(c.zone)
    if kind == "end_of_month":
        first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        last = first_next - timedelta(days=1)
        while not c.cal.is_workday(last) and last > today:
            last -= timedelta(days=1)
        return c.at(last)
    raise ValueError(f"unknown time kind {kind!r}")


def _number(text: str, table: _Table) -> int:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return table.numbers.get(text, 1)


def _clock_time(segment: str, table: _Table) -> tuple[time, re.Match[str]] | None:
    for pat in table.clock:
        m = pat.search(segment)
        if not m:
            continue
        h = m.group("h")
        hour = int(h) if h.isdigit() else 12
        minute = int(m.group("min")) if m.groupdict().get("min") else 0
        ampm = (m.groupdict().get("ampm") or "").replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        if ampm == "am" and hour == 12:
            hour = 0
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return time(hour, minute), m
    return None


@dataclass(frozen=True, slots=True)
class _Due:
    due_at: datetime | None
    start: int
    end: int
    vague: bool


@dataclass(frozen=True, slots=True)
class _Scan:
    """What one promise clause says about time, before it is read against ``now``."""

    rel: tuple[str, str, int, int, int, int] | None  # kind, arg, n, weekday, start, end
    absolute: tuple[str, int, int] | None  # text, start, end
    clock: tuple[time, int, int] | None
    vague: tuple[int, int] | None


@lru_cache(maxsize=16384)
def _scan_due(seg: str, lang: str) -> _Scan:
    """Time expressions of a clause (cached: independent of ``now``)."""
    table = _table(lang)
    rel: tuple[str, str, int, int, int, int] | None = None
    for te in table.times:
        m = te.pattern.search(seg)
        if not m or (rel is not None and m.start() >= rel[4]):
            continue
        gd = m.groupdict()
        n = _number(gd["n"], table) if gd.get("n") else (int(te.arg) if te.arg.isdigit() else 1)
        wd = table.weekdays[gd["wd"]] if gd.get("wd") else 0
        rel = (te.kind, te.arg, n, wd, m.start(), m.end())
    absolute = None
    if rel is None and table.absolute is not None:
        am = table.absolute.search(seg)
        if am:
            absolute = (am.group(), am.start(), am.end())
    ck = _clock_time(seg, table)
    clock = (ck[0], ck[1].start(), ck[1].end()) if ck else None
    vm = table.vague.search(seg)
    return _Scan(rel, absolute, clock, (vm.start(), vm.end()) if vm else None)


def _find_due(seg: str, offset: int, table: _Table, c: _Clock) -> _Due | None:
    """Our relative expressions, then absolute dates (ours, then dateparser), then a clock."""
    scan = _scan_due(seg, table.lang)
    best: tuple[int, int, datetime | None] | None = None
    if scan.rel is not None:
        kind, arg, n, wd, start, end = scan.rel
        best = (start, end, _resolve(kind, arg, n, wd, c))
    elif scan.absolute is not None:
        text, start, end = scan.absolute
        parsed = _dateparse(text, table, c)
        if parsed is not None:
            best = (start, end, c.at(parsed))
    if best is not None:
        start, end, due = best
        if scan.clock is not None and due is not None and not re.search(r"\d", seg[start:end]):
            t, cs, ce = scan.clock
            due = c.at(due.date(), t)
            start, end = min(start, cs), max(end, ce)
        return _Due(due, start + offset, end + offset, False)
    if scan.clock is not None:
        t, cs, ce = scan.clock
        due = c.at(c.today, t)
        if due <= c.now:
            due = c.at(c.today + timedelta(days=1), t)
        return _Due(due, cs + offset, ce + offset, False)
    if scan.vague is not None:
        return _Due(None, scan.vague[0] + offset, scan.vague[1] + offset, True)
    return None


def _own_date(text: str, table: _Table, c: _Clock) -> date | None:
    """Day + month name or numeric day.month(.year) (day first), which dateparser misses
    for some languages ("5. decembra")."""
    m = re.search(r"(\d{1,2})\.?\s*(?:(\d{1,2})\.?|(\w+))(?:\s*(\d{4}))?", text)
    if not m or table.lang == "en":
        return None
    day = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else table.months.get(m.group(3) or "", 0)
    if not 1 <= month <= 12:
        return None
    year = int(m.group(4)) if m.group(4) else c.today.year
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if found < c.today and not m.group(4):
        found = found.replace(year=year + 1)
    return found


def _dateparse(text: str, table: _Table, c: _Clock) -> date | None:
    own = _own_date(text, table, c)
    if own is not None:
        return own
    import dateparser

    settings: dict[str, Any] = {
        "RELATIVE_BASE": c.now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": "MDY" if table.lang == "en" else "DMY",
    }
    cleaned = re.sub(r"^(?:by|on|until|before|do|od|na|dnia|za|עד|ב-?|ה-?)\s*", "", text.strip())
    langs = table.dateparser_lang.split(",")
    result = dateparser.parse(cleaned, languages=langs, settings=settings)
    if result is None:
        return None
    day: date = result.date()
    if day < c.today:
        return None
    return day


def extract_commitments(
    text: str,
    *,
    lang: str | None = None,
    now: datetime,
    tz: str,
    business_days: BusinessCalendar | None = None,
) -> list[Commitment]:
    """Promises in *text* with their due times in *tz* (see the module docstring)."""
    if now.tzinfo is None:
        raise ValueError(
            "now must be timezone-aware (e.g. datetime.now(ZoneInfo('Europe/Warsaw')))"
        )
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc
    if not text.strip():
        return []
    code = resolve_language(text, lang)
    table = _table(code)
    cal = business_days or BusinessCalendar.for_language(code)
    clock = _Clock(now.astimezone(zone), zone, cal, table.week_starts)
    view = match_view(text, code)
    out: list[Commitment] = []
    for s, e in _clauses(view):
        batch: list[Commitment] = []
        sent = view.text[s:e]
        if sent.rstrip().endswith("?"):
            continue
        found = _promises_cached(sent, code)
        for i, (ps, action) in enumerate(found):
            seg_end = found[i + 1][0] if i + 1 < len(found) else len(sent)
            due = _find_due(sent[ps:seg_end], s + ps, table, clock)
            if due is None and i == 0 and ps > 0:
                due = _find_due(sent[:ps], s, table, clock)
            o_start, o_end = view.span(s, e)
            if due is None:
                due_text, due_at, vague = "", None, True
            else:
                ds, de = view.span(due.start, due.end)
                due_text, due_at, vague = text[ds:de], due.due_at, due.vague
            batch.append(
                Commitment(
                    action=action,
                    due_at=due_at,
                    due_text=due_text,
                    span=Span(o_start, o_end, text[o_start:o_end]),
                    vague=vague,
                )
            )
        # "I will check and update you tomorrow": a timeless promise shares the next one's time
        for i in range(len(batch) - 2, -1, -1):
            nxt = batch[i + 1]
            if batch[i].due_at is None and not batch[i].due_text and nxt.due_at is not None:
                batch[i] = replace(batch[i], due_at=nxt.due_at, due_text=nxt.due_text, vague=False)
        out.extend(batch)
    return out


def _clauses(view: Normalized) -> list[tuple[int, int]]:
    """Sentences, re-joined where a period ended an ordinal or abbreviation ("5. decembra",
    "Dec. 5"): the next sentence starts with a digit or a lower-case letter in the original."""
    text = view.text
    merged: list[tuple[int, int]] = []
    for s, e in sentences(text):
        first = view.original[view.span(s, s + 1)[0] : view.span(s, s + 1)[1]]
        if (
            merged
            and (first.islower() or first.isdigit())
            and re.search(r"(?:\d|\b[^\W\d_]{2,4})\.$", text[merged[-1][0] : merged[-1][1]])
        ):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


@lru_cache(maxsize=16384)
def _promises_cached(sent: str, lang: str) -> tuple[tuple[int, str], ...]:
    return tuple(_promises(sent, _table(lang)))


def _promises(sent: str, table: _Table) -> list[tuple[int, str]]:
    hits: list[tuple[int, int, str]] = []
    for pat, action in table.promise:
        for m in pat.finditer(sent):
            tail = re.split(r"[,.;:!?]", sent[max(0, m.start() - 30) : m.start()])[-1]
            last = tail.split()[-2:]
            if any(table.negation.fullmatch(w) for w in last) or table.negation.search(m.group()):
                continue
            hits.append((m.start(), m.end(), action))
    if hits:
        first = min(h[0] for h in hits)
        for pat, action in table.coordinated:
            for m in pat.finditer(sent):
                if m.start() > first:
                    hits.append((m.start(), m.end(), action))
    hits.sort()
    merged: list[tuple[int, str]] = []
    last_end = -1
    for start, end, action in hits:
        if start < last_end:
            continue
        # promises joined by "and" with no time between them share one clause only if adjacent
        merged.append((start, action))
        last_end = end
    return merged


def commitments_for(
    text: str, lang: str, now: datetime | None, tz: str | None, cal: BusinessCalendar | None
) -> Sequence[Commitment]:
    """Helper for the coach: never raises on a naive or missing ``now``."""
    when = now or datetime.now(ZoneInfo(tz or "UTC"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(tz or "UTC"))
    zone = tz or (getattr(when.tzinfo, "key", None) or "UTC")
    return extract_commitments(text, lang=lang, now=when, tz=zone, business_days=cal)
