"""What each group of count tables counts (read by calmdesk.reports.fill).

A group reads its source rows for a window of local days and returns ``DailyCount`` rows per
day; ``dirty`` names the local days whose figures changes after a time may have altered.
Dimensions: team, agent (0 = none), channel, language, tag ("" = all tags), key.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Min, Q

from calmdesk.desk.models import (
    Case,
    FindingDismissal,
    FollowUp,
    FollowUpStatus,
    Interaction,
    Membership,
    SatisfactionSurvey,
    WellbeingCheckIn,
)
from calmdesk.reports.models import MessageFact, ReplyFact

ROLLUP = "*"  # the tag of the per-team roll-up rows
WEEKLY = "*w"  # the tag of the weekly per-team roll-up rows (day = the week's Monday)
HIGH = 2  # escalation level from which a message counts as escalated ("high", "critical")
RowKey = tuple[str, dt.date, int, int, str, str, str, str]
COLUMNS = (
    "organization_id",
    "stat",
    "day",
    "team_id",
    "agent_id",
    "channel",
    "language",
    "tag",
    "key",
    "n",
    "value",
    "example",
)


@dataclass(frozen=True)
class Window:
    """Local days ``first``..``last`` of one organization, with their UTC bounds."""

    organization_id: int
    tz: ZoneInfo
    first: dt.date
    last: dt.date
    now: dt.datetime
    # Only these days (an incremental fill's dirty days, counted in one pass); None = all.
    only: frozenset[dt.date] | None = None

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first, self.tz)

    @property
    def end(self) -> dt.datetime:
        return local_midnight(self.last + dt.timedelta(days=1), self.tz)

    def day(self, when: dt.datetime) -> dt.date:
        return when.astimezone(self.tz).date()

    def spans(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """UTC bounds of the runs of consecutive days counted."""
        if self.only is None:
            return [(self.start, self.end)]
        runs: list[list[dt.date]] = []
        for day in sorted(self.only):
            if runs and (day - runs[-1][1]).days == 1:
                runs[-1][1] = day
            else:
                runs.append([day, day])
        return [
            (local_midnight(a, self.tz), local_midnight(b + dt.timedelta(days=1), self.tz))
            for a, b in runs
        ]

    def q(self, field: str) -> Q:
        """``field`` falls on one of the days counted."""
        found = Q()
        for start, end in self.spans():
            found |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
        return found

    def holds(self, when: dt.datetime) -> bool:
        if self.only is not None:
            return self.day(when) in self.only
        return self.start <= when < self.end


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


class Acc:
    """Sums rows by their dimensions.  Each figure lands in its detailed row (tag ""), once
    more per tag of its case, and in the team's roll-up row (tag ROLLUP: no agent, channel
    or language), which the unfiltered reports read."""

    def __init__(self, organization_id: int) -> None:
        self.organization_id = organization_id
        self.rows: dict[RowKey, list[Any]] = {}

    def add(
        self,
        stat: str,
        day: dt.date,
        *,
        team: int = 0,
        agent: int | None = 0,
        channel: str = "",
        language: str = "",
        tags: Iterable[str] = (),
        key: str = "",
        n: int = 1,
        value: float = 0.0,
        example: int | None = None,
        detail: bool = True,
    ) -> None:
        """``detail=False``: only the roll-up row (for stats read only without filters)."""
        keys: list[RowKey] = []
        if detail:
            keys = [
                (stat, day, team, agent or 0, channel, language, tag, key[:64])
                for tag in ("", *sorted({str(t)[:50] for t in tags if t and t != ROLLUP}))
            ]
        keys.append((stat, day, team, 0, "", "", ROLLUP, key[:64]))
        for k in keys:
            row = self.rows.get(k)
            if row is None:
                self.rows[k] = [n, value, example]
            else:
                row[0] += n
                row[1] += value
                if example is not None and (row[2] is None or example > row[2]):
                    row[2] = example

    def by_day(self) -> dict[dt.date, list[tuple[Any, ...]]]:
        """The rows per day, as tuples in the order of ``COLUMNS``."""
        out: dict[dt.date, list[tuple[Any, ...]]] = {}
        org = self.organization_id
        for (stat, day, team, agent, channel, lang, tag, key), (n, value, ex) in self.rows.items():
            out.setdefault(day, []).append(
                (org, stat, day, team, agent, channel, lang, tag, key, n, round(value, 4), ex)
            )
        return out


@dataclass(frozen=True)
class Group:
    """One fill unit: its stats, how to count a window, where data starts, what is dirty."""

    table: str
    stats: tuple[str, ...]
    count: Callable[[Window, Acc], None]
    first: Callable[[int], dt.datetime | None]
    dirty: Callable[[Window, dt.datetime, set[int]], Iterable[dt.datetime]]


# --------------------------------------------------------------------------- cases


def _minimum(qs: Any, field: str) -> dt.datetime | None:
    value: dt.datetime | None = qs.aggregate(m=Min(field))["m"]
    return value


def _chain_key(teams: list[int]) -> str:
    return ">".join(str(t) for t in teams)


def _returns(teams: list[int]) -> int:
    seen: set[int] = set()
    back = 0
    for team in teams:
        if team in seen:
            back += 1
        seen.add(team)
    return back


def count_cases(w: Window, acc: Acc) -> None:
    cases = list(
        Case.objects.filter(w.q("created_at"), organization_id=w.organization_id).values_list(
            "pk",
            "team_id",
            "assignee_id",
            "channel",
            "tags",
            "root_cause__code",
            "created_at",
            "first_response_at",
            "resolved_at",
            "transfer_count",
        )
    )
    facts: dict[int, list[tuple[dt.datetime, str, bool, int, float]]] = {}
    for case_id, at, lang, negative, level, anger, frustration in (
        MessageFact.objects.filter(
            w.q("case__created_at"),
            case__organization_id=w.organization_id,
        )
        .order_by("case_id", "occurred_at", "interaction_id")
        .values_list(
            "case_id", "occurred_at", "language", "negative", "escalation", "anger", "frustration"
        )
    ):
        facts.setdefault(case_id, []).append((at, lang, negative, level, max(anger, frustration)))
    moved = [c[0] for c in cases if c[9]]
    chains: dict[int, list[int]] = {}
    for case_id, data in (
        Interaction.objects.filter(case_id__in=moved, event_type="transfer")
        .order_by("case_id", "seq")
        .values_list("case_id", "data")
    ):
        if not isinstance(data, dict):
            continue
        chain = chains.setdefault(case_id, [])
        if not chain and data.get("from") is not None:
            chain.append(int(data["from"]))
        if data.get("to") is not None:
            chain.append(int(data["to"]))
    for pk, team, agent, channel, tags, cause, created, first_resp, resolved, moves in cases:
        msgs = facts.get(pk, [])
        langs = Counter(m[1] for m in msgs if m[1])
        dims: dict[str, Any] = {
            "team": team,
            "agent": agent,
            "channel": channel,
            "language": langs.most_common(1)[0][0] if langs else "",
            "tags": tags if isinstance(tags, list) else (),
            "key": cause or "",
        }
        day = w.day(created)
        acc.add("cases.opened", day, example=pk, **dims)
        if first_resp is not None:
            acc.add(
                "cases.first_response", day, value=(first_resp - created).total_seconds(), **dims
            )
        if resolved is not None:
            acc.add("cases.resolved", day, value=(resolved - created).total_seconds(), **dims)
        if msgs:
            acc.add("cases.upset_first", day, value=msgs[0][4], **dims)
            acc.add("cases.upset_last", day, value=msgs[-1][4], **dims)
            if any(m[2] or m[3] >= HIGH for m in msgs):
                acc.add("cases.conflict", day, example=pk, **dims)
                # hot spots without filters: cause x tag and cause x channel, roll-up only
                spot: dict[str, Any] = {"team": team, "example": pk, "detail": False}
                acc.add("spots.channel", day, key=f"{cause or ''}|{channel}", **spot)
                for tag in set(dims["tags"]):
                    acc.add("spots.tag", day, key=f"{cause or ''}|{tag}"[:64], **spot)
            _escalation(acc, day, pk, msgs, dims)
        if moves:
            chain = chains.get(pk, [])
            acc.add("cases.transferred", day, value=float(moves), **dims)
            back = _returns(chain)
            if back:
                ping = {**dims, "key": _chain_key(chain)}
                acc.add("cases.ping_pong", day, value=float(back), example=pk, **ping)


def _escalation(
    acc: Acc,
    day: dt.date,
    pk: int,
    msgs: list[tuple[dt.datetime, str, bool, int, float]],
    dims: dict[str, Any],
) -> None:
    peak = next((m for m in msgs if m[3] >= HIGH), None)
    if peak is None:
        return
    acc.add("cases.escalated", day, example=pk, **dims)
    calm = next((m for m in msgs if m[0] > peak[0] and m[3] < HIGH), None)
    if calm is not None and msgs[-1][3] < HIGH:
        acc.add("cases.deescalated", day, value=(calm[0] - peak[0]).total_seconds(), **dims)


def first_case(org_id: int) -> dt.datetime | None:
    return _minimum(Case.objects.filter(organization_id=org_id), "created_at")


def dirty_cases(w: Window, since: dt.datetime, touched: set[int]) -> Iterable[dt.datetime]:
    return Case.objects.filter(pk__in=touched).values_list("created_at", flat=True)


# --------------------------------------------------------------------------- messages


def count_messages(w: Window, acc: Acc) -> None:
    """Client messages by escalation level, and hostile ones, per team (not per agent)."""
    for case_id, team, tags, at, channel, lang, level, hostile in MessageFact.objects.filter(
        w.q("occurred_at"), organization_id=w.organization_id
    ).values_list(
        "case_id",
        "team_id",
        "case__tags",
        "occurred_at",
        "channel",
        "language",
        "escalation",
        "hostility",
    ):
        dims: dict[str, Any] = {
            "team": team,
            "channel": channel,
            "language": lang,
            "tags": tags if isinstance(tags, list) else (),
        }
        day = w.day(at)
        acc.add("msgs.client", day, key=str(level), **dims)
        if hostile:
            acc.add("msgs.hostile", day, example=case_id, **dims)


def _new_rows(model: Any, org_id: int, since: dt.datetime) -> list[dt.datetime]:
    """``occurred_at`` of the facts stored after ``since`` (read through the created_at
    index; the organization is checked here, so the planner cannot prefer its index)."""
    found = model.objects.filter(created_at__gt=since).values_list("organization_id", "occurred_at")
    return [at for org, at in found if org == org_id]


def first_message(org_id: int) -> dt.datetime | None:
    return _minimum(MessageFact.objects.filter(organization_id=org_id), "occurred_at")


def dirty_messages(w: Window, since: dt.datetime, touched: set[int]) -> Iterable[dt.datetime]:
    """New or re-analysed facts (a later change of a case's tags reaches older message
    figures with the next full refill)."""
    return _new_rows(MessageFact, w.organization_id, since)


# --------------------------------------------------------------------------- promises


def promise_outcome(
    status: str, due: dt.datetime | None, closed: dt.datetime | None, now: dt.datetime
) -> str:
    if status == FollowUpStatus.KEPT:
        return "kept_late" if due is not None and closed is not None and closed > due else "kept"
    if status == FollowUpStatus.MISSED:
        return "missed"
    if status == FollowUpStatus.CANCELLED:
        return "cancelled"
    return "overdue" if due is not None and due <= now else "open"


def count_promises(w: Window, acc: Acc) -> None:
    for (
        case_id,
        team,
        owner,
        channel,
        tags,
        lang,
        status,
        due,
        closed,
        created,
    ) in FollowUp.objects.filter(w.q("created_at"), organization_id=w.organization_id).values_list(
        "case_id",
        "case__team_id",
        "owner_id",
        "case__channel",
        "case__tags",
        "case__client__preferred_language",
        "status",
        "due_at",
        "closed_at",
        "created_at",
    ):
        outcome = promise_outcome(status, due, closed, w.now)
        late = (closed - due).total_seconds() if outcome == "kept_late" and closed and due else 0.0
        acc.add(
            "promises",
            w.day(created),
            team=team,
            agent=owner,
            channel=channel,
            language=(lang or "")[:2],
            tags=tags if isinstance(tags, list) else (),
            key=outcome,
            value=late,
            example=case_id,
        )


def first_promise(org_id: int) -> dt.datetime | None:
    return _minimum(FollowUp.objects.filter(organization_id=org_id), "created_at")


def dirty_promises(w: Window, since: dt.datetime, touched: set[int]) -> Iterable[dt.datetime]:
    return FollowUp.objects.filter(
        Q(organization_id=w.organization_id)
        & (
            Q(created_at__gt=since)
            | Q(closed_at__gt=since)
            | Q(status=FollowUpStatus.OPEN, due_at__gt=since, due_at__lte=w.now)
            | Q(case_id__in=touched)
        )
    ).values_list("created_at", flat=True)


# --------------------------------------------------------------------------- satisfaction


def count_satisfaction(w: Window, acc: Acc) -> None:
    rows = SatisfactionSurvey.objects.filter(organization_id=w.organization_id).filter(
        w.q("created_at") | w.q("answered_at")
    )
    for (
        case_id,
        team,
        agent,
        channel,
        tags,
        lang,
        rating,
        comment,
        created,
        answered,
        cancelled,
    ) in rows.values_list(
        "case_id",
        "case__team_id",
        "case__assignee_id",
        "case__channel",
        "case__tags",
        "language",
        "rating",
        "comment",
        "created_at",
        "answered_at",
        "cancelled_at",
    ):
        dims: dict[str, Any] = {
            "team": team,
            "agent": agent,
            "channel": channel,
            "language": (lang or "")[:2],
            "tags": tags if isinstance(tags, list) else (),
        }
        if w.holds(created) and cancelled is None:
            acc.add("csat.sent", w.day(created), **dims)
        if answered is not None and rating and w.holds(answered):
            day = w.day(answered)
            acc.add("csat.rating", day, key=str(rating), value=float(rating), **dims)
            if comment.strip():
                acc.add("csat.comment", day, example=case_id, **dims)


def first_survey(org_id: int) -> dt.datetime | None:
    return _minimum(SatisfactionSurvey.objects.filter(organization_id=org_id), "created_at")


def dirty_surveys(w: Window, since: dt.datetime, touched: set[int]) -> Iterable[dt.datetime]:
    rows = SatisfactionSurvey.objects.filter(organization_id=w.organization_id).filter(
        Q(created_at__gt=since)
        | Q(answered_at__gt=since)
        | Q(cancelled_at__gt=since)
        | Q(case_id__in=touched)
    )
    for created, answered in rows.values_list("created_at", "answered_at"):
        yield created
        if answered is not None:
            yield answered


# --------------------------------------------------------------------------- coaching


def rule_family(rule_id: str) -> str:
    """``en.blame.not-our-fault`` → ``blame`` (the rule's family, the same in every language)."""
    parts = rule_id.split(".")
    return parts[1] if len(parts) >= 3 else rule_id


def count_coaching(w: Window, acc: Acc) -> None:
    for team, author, channel, lang, tags, rules, applied, at in ReplyFact.objects.filter(
        w.q("occurred_at"), organization_id=w.organization_id
    ).values_list(
        "team_id",
        "author_id",
        "channel",
        "language",
        "case__tags",
        "rules",
        "applied",
        "occurred_at",
    ):
        dims: dict[str, Any] = {
            "team": team,
            "agent": author,
            "channel": channel,
            "language": lang,
            "tags": tags if isinstance(tags, list) else (),
        }
        day = w.day(at)
        found = list(rules) if isinstance(rules, list) else []
        acc.add("coach.replies", day, value=1.0 if found else 0.0, **dims)
        # the per-agent trend without filters (roll-up only, key = the agent)
        acc.add(
            "coach.by_agent",
            day,
            team=team,
            key=str(author),
            value=float(bool(found)),
            detail=False,
        )
        for family, count in Counter(rule_family(str(r)) for r in found).items():
            acc.add("coach.findings", day, key=family, n=count, **dims)
        # suggestions the agent applied before sending, per rule family
        accepted = list(applied) if isinstance(applied, list) else []
        for family, count in Counter(rule_family(str(r)) for r in accepted).items():
            acc.add("coach.accepted", day, key=family, n=count, **dims)
    for team, user, channel, lang, tags, rule, at in FindingDismissal.objects.filter(
        w.q("created_at"), organization_id=w.organization_id
    ).values_list(
        "case__team_id",
        "user_id",
        "case__channel",
        "language",
        "case__tags",
        "rule_id",
        "created_at",
    ):
        acc.add(
            "coach.dismissed",
            w.day(at),
            team=team,
            agent=user,
            channel=channel,
            language=(lang or "")[:2],
            tags=tags if isinstance(tags, list) else (),
            key=rule_family(rule),
        )


def first_reply(org_id: int) -> dt.datetime | None:
    found = [
        _minimum(ReplyFact.objects.filter(organization_id=org_id), "occurred_at"),
        _minimum(FindingDismissal.objects.filter(organization_id=org_id), "created_at"),
    ]
    return min((f for f in found if f is not None), default=None)


def dirty_coaching(w: Window, since: dt.datetime, touched: set[int]) -> Iterable[dt.datetime]:
    """New reply facts and dismissals (both are never changed afterwards)."""
    yield from _new_rows(ReplyFact, w.organization_id, since)
    yield from FindingDismissal.objects.filter(
        organization_id=w.organization_id, created_at__gt=since
    ).values_list("created_at", flat=True)


# --------------------------------------------------------------------------- training


def _home_teams(org_id: int) -> dict[int, int]:
    """Each user's first team in the organization (agent memberships first)."""
    homes: dict[int, int] = {}
    for user, team in (
        Membership.objects.filter(team__organization_id=org_id)
        .order_by("user_id", "role", "team_id")
        .values_list("user_id", "team_id")
    ):
        homes.setdefault(user, team)
    return homes


def count_training(w: Window, acc: Acc) -> None:
    from calmdesk.training.models import PracticeSession

    homes = _home_teams(w.organization_id)
    for trainee, lang, overall, scores, finished in PracticeSession.objects.filter(
        w.q("finished_at"),
        organization_id=w.organization_id,
        status=PracticeSession.Status.FINISHED,
    ).values_list("trainee_id", "lang", "overall", "principle_scores", "finished_at"):
        dims: dict[str, Any] = {
            "team": homes.get(trainee, 0),
            "agent": trainee,
            "language": (lang or "")[:2],
        }
        if finished is None:
            continue
        day = w.day(finished)
        acc.add("training.sessions", day, value=float(overall or 0), **dims)
        for principle, score in (scores or {}).items():
            if isinstance(score, int | float):
                acc.add("training.principle", day, key=str(principle), value=float(score), **dims)


def first_training(org_id: int) -> dt.datetime | None:
    from calmdesk.training.models import PracticeSession

    return _minimum(PracticeSession.objects.filter(organization_id=org_id), "finished_at")


def dirty_training(w: Window, since: dt.datetime, touched: set[int]) -> Iterable[dt.datetime]:
    from calmdesk.training.models import PracticeSession

    changed = PracticeSession.objects.filter(organization_id=w.organization_id).filter(
        Q(finished_at__gt=since) | Q(overrides__created_at__gt=since)
    )
    return [d for d in changed.values_list("finished_at", flat=True) if d is not None]


# --------------------------------------------------------------------------- well-being


def count_wellbeing(w: Window, acc: Acc) -> None:
    """Only check-ins the agent agreed to count in team figures; ``agent`` is kept so the
    report can count distinct people and hide small groups, never shown per person."""
    homes = _home_teams(w.organization_id)
    for user, team, reason, brk, feeling, offered in WellbeingCheckIn.objects.filter(
        w.q("offered_at"),
        organization_id=w.organization_id,
        share_in_aggregates=True,
    ).values_list("user_id", "case__team_id", "reason", "break_minutes", "feeling", "offered_at"):
        dims: dict[str, Any] = {"team": team or homes.get(user, 0), "agent": user}
        day = w.day(offered)
        acc.add("wellbeing.checkin", day, key=reason, **dims)
        if feeling:
            acc.add("wellbeing.feeling", day, value=float(feeling), **dims)
        if brk:
            acc.add("wellbeing.break", day, value=float(brk), **dims)


def first_checkin(org_id: int) -> dt.datetime | None:
    return _minimum(WellbeingCheckIn.objects.filter(organization_id=org_id), "offered_at")


def dirty_wellbeing(w: Window, since: dt.datetime, touched: set[int]) -> Iterable[dt.datetime]:
    return (
        WellbeingCheckIn.objects.filter(organization_id=w.organization_id)
        .filter(Q(offered_at__gt=since) | Q(completed_at__gt=since))
        .values_list("offered_at", flat=True)
    )


GROUPS: tuple[Group, ...] = (
    Group(
        "cases",
        (
            "cases.opened",
            "cases.first_response",
            "cases.resolved",
            "cases.upset_first",
            "cases.upset_last",
            "cases.conflict",
            "cases.escalated",
            "cases.deescalated",
            "cases.transferred",
            "cases.ping_pong",
            "spots.channel",
            "spots.tag",
        ),
        count_cases,
        first_case,
        dirty_cases,
    ),
    Group(
        "messages",
        ("msgs.client", "msgs.hostile"),
        count_messages,
        first_message,
        dirty_messages,
    ),
    Group("promises", ("promises",), count_promises, first_promise, dirty_promises),
    Group(
        "satisfaction",
        ("csat.sent", "csat.rating", "csat.comment"),
        count_satisfaction,
        first_survey,
        dirty_surveys,
    ),
    Group(
        "coaching",
        (
            "coach.replies",
            "coach.findings",
            "coach.accepted",
            "coach.dismissed",
            "coach.by_agent",
        ),
        count_coaching,
        first_reply,
        dirty_coaching,
    ),
    Group(
        "training",
        ("training.sessions", "training.principle"),
        count_training,
        first_training,
        dirty_training,
    ),
    Group(
        "wellbeing",
        ("wellbeing.checkin", "wellbeing.feeling", "wellbeing.break"),
        count_wellbeing,
        first_checkin,
        dirty_wellbeing,
    ),
)
