"""Generate report data at scale: cases, interactions (with valid hash chains), promises,
satisfaction checks, transfers, coaching and well-being rows, training sessions, and the
per-message facts — into the configured database (CALMDESK_DATA_DIR / DATABASE_URL).

    .venv/bin/python scripts/generate_report_data.py [--cases 100000] [--interactions 1000000]
        [--days 365] [--seed 7]

Texts come from a bank of our own synthetic messages in en/pl/sr/he (scripts/_report_texts.py),
each analysed once by the engine and reused, so the facts are real analyses.  Rows are
written with bulk inserts; every case's interaction log is chained with the desk's hashing
(``calmdesk verify-log`` passes).  ``generate()`` is also used by benchmarks/bench_reports.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

LANG_WEIGHTS = {"en": 0.4, "pl": 0.25, "sr": 0.2, "he": 0.15}
CHANNELS = ("email", "phone", "chat", "web", "email", "email", "chat")
TAGS = ("vip", "fiber", "mobile", "tv", "energy", "insurance", "new-client", "business")
CAUSE_RATE = 0.75
CHUNK = 2000
TEAMS = 10
AGENTS_PER_TEAM = 5


@dataclass
class Bank:
    """Texts analysed once: client messages (text, cause, fact fields), replies (text, rules)."""

    client: dict[str, list[tuple[str, str, dict[str, Any]]]] = field(default_factory=dict)
    by_cause: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    calm: dict[str, list[int]] = field(default_factory=dict)
    thanks: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    replies: dict[str, list[tuple[str, list[str], str]]] = field(default_factory=dict)
    version: str = ""


@dataclass
class World:
    org_id: int
    teams: list[int]
    agents: dict[int, list[int]]
    clients: list[tuple[int, str]]  # (id, language)


def build_bank(seed: int, per_language: int = 250) -> Bank:
    from _report_texts import REPLIES, THANKS, client_bank
    from calmdesk.analysis import analyze_message, review_reply
    from calmdesk.reports.signals import engine_version, fact_fields, reply_rules

    rng = random.Random(seed)
    bank = Bank(version=engine_version())
    for lang in LANG_WEIGHTS:
        rows = []
        for text, cause, _level in client_bank(lang, per_language, rng):
            facts = fact_fields(analyze_message(text, lang=lang))
            rows.append((text, cause, facts))
            bank.by_cause.setdefault((lang, cause), []).append(len(rows) - 1)
            if facts["escalation"] < 2 and not facts["negative"]:
                bank.calm.setdefault(lang, []).append(len(rows) - 1)
        bank.client[lang] = rows
        bank.thanks[lang] = [(t, fact_fields(analyze_message(t, lang=lang))) for t in THANKS[lang]]
        bank.replies[lang] = []
        for text in REPLIES[lang]:
            review = review_reply(text, lang=lang)
            bank.replies[lang].append((text, reply_rules(review), str(review.lang or lang)))
    return bank


def setup_world(seed: int, slug: str = "bench-reports") -> World:
    from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
    from calmdesk.desk.actions.users import do_create_user
    from calmdesk.desk.models import Client

    rng = random.Random(seed)
    org = do_create_organization("Bench Reports", slug=slug)
    teams, agents = [], {}
    for t in range(TEAMS):
        team = do_create_team(None, org, f"Desk {t + 1}", slug=f"desk-{t + 1}")
        teams.append(team.pk)
        agents[team.pk] = [
            do_create_user(
                None,
                username=f"{slug}-agent-{t + 1}-{a + 1}",
                password=None,
                organization=org,
                team=team,
                role="agent",
            ).pk
            for a in range(AGENTS_PER_TEAM)
        ]
    langs = list(LANG_WEIGHTS)
    weights = list(LANG_WEIGHTS.values())
    rows = [
        Client(
            organization_id=org.pk,
            team_id=rng.choice(teams),
            name=f"Client {i + 1}",
            preferred_language=rng.choices(langs, weights)[0],
        )
        for i in range(1000)
    ]
    Client.objects.bulk_create(rows, batch_size=CHUNK)
    clients = list(
        Client.objects.filter(organization_id=org.pk).values_list("pk", "preferred_language")
    )
    return World(org.pk, teams, agents, clients)


def load_world(slug: str = "bench-reports") -> World:
    from calmdesk.desk.models import Client, Membership, Organization

    org = Organization.objects.get(slug=slug)
    teams = list(org.teams.order_by("pk").values_list("pk", flat=True))
    agents: dict[int, list[int]] = {t: [] for t in teams}
    for user, team in Membership.objects.filter(team__in=teams, role="agent").values_list(
        "user_id", "team_id"
    ):
        agents[team].append(user)
    clients = list(
        Client.objects.filter(organization_id=org.pk).values_list("pk", "preferred_language")
    )
    return World(org.pk, teams, agents, clients)


class Raw:
    """Rows of one model written with plain INSERTs (``executemany``): the ORM's bulk_create
    costs more than building the data.  Values are given by attribute name, in ``names``."""

    def __init__(self, model: Any, names: tuple[str, ...]) -> None:
        from django.db import connection

        self.model, self.names, self.rows = model, names, []
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        fields = [by_attname[n] for n in names]
        sqlite = connection.vendor == "sqlite"
        ops = connection.ops
        self.adapt: list[Callable[[Any], Any] | None] = []
        for f in fields:
            kind = f.get_internal_type()
            if kind == "DateTimeField" and sqlite:  # as Django stores it: naive UTC text
                self.adapt.append(lambda v: str(v.astimezone(dt.UTC).replace(tzinfo=None)))
            elif kind == "JSONField":
                self.adapt.append(lambda v: ops.adapt_json_value(v, None))
            else:
                self.adapt.append(None)
        qn = ops.quote_name
        cols = ", ".join(qn(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {qn(model._meta.db_table)} ({cols}) VALUES ({marks})"

    def add(self, *values: Any) -> None:
        self.rows.append(
            tuple(
                a(v) if a is not None and v is not None else v
                for a, v in zip(self.adapt, values, strict=True)
            )
        )

    def flush(self) -> int:
        from django.db import connection

        n = len(self.rows)
        with connection.cursor() as cursor:
            for start in range(0, n, 5000):
                cursor.executemany(self.sql, self.rows[start : start + 5000])
        self.rows = []
        return n


INTERACTION = (
    "id", "organization_id", "case_id", "seq", "kind", "author_id", "channel", "occurred_at",
    "recorded_at", "text", "language", "event_type", "data", "corrects_id", "idempotency_key",
    "prev_hash", "hash",
)  # fmt: skip
FACT = (
    "interaction_id", "organization_id", "case_id", "team_id", "engine_version", "occurred_at",
    "channel", "language", "sentiment", "negative", "anger", "frustration", "intensity",
    "escalation", "hostility", "complaint", "crisis", "root_cause", "created_at",
)  # fmt: skip
REPLY = (
    "interaction_id", "organization_id", "case_id", "team_id", "author_id", "engine_version",
    "occurred_at", "channel", "language", "rules", "applied", "created_at",
)  # fmt: skip


@dataclass
class Msg:
    """One generated log row before it is written."""

    id: int
    kind: str
    author_id: int | None
    at: dt.datetime
    text: str = ""
    language: str = ""
    event_type: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Gen:
    """Writes chunks of cases with everything that hangs on them."""

    def __init__(self, world: World, bank: Bank, rng: random.Random, with_facts: bool) -> None:
        from django.db.models import Max

        from calmdesk.desk.models import Case, Interaction, RootCause

        self.w, self.bank, self.rng, self.with_facts = world, bank, rng, with_facts
        self.causes = dict(
            RootCause.objects.filter(organization__isnull=True).values_list("code", "pk")
        )
        # ids are given here (the log rows need their case's id before anything is written)
        self.next_case = (Case.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        self.next_row = (Interaction.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        self.facts = {lang: {t: f for t, _c, f in rows} for lang, rows in bank.client.items()}
        for lang, thanks in bank.thanks.items():
            self.facts[lang].update(dict(thanks))
        self.rules = {
            lang: {t: (r, lg) for t, r, lg in rows} for lang, rows in bank.replies.items()
        }
        # rule ids of each language, for suggestions the agent applied before sending
        self.rule_pool = {
            lang: sorted({r for _t, rs, _lg in rows for r in rs})
            for lang, rows in bank.replies.items()
        }

    def chunk(self, n_cases: int, budget: int, start: dt.datetime, end: dt.datetime) -> int:
        """Write ``n_cases`` cases with about ``budget`` interactions; return how many."""
        from django.db import transaction
        from django.utils import timezone

        from calmdesk.desk.lib.hashchain import GENESIS, canonical_time, chain_hash
        from calmdesk.desk.models import Case, Interaction
        from calmdesk.reports.models import MessageFact, ReplyFact

        rng, w = self.rng, self.w
        span = (end - start).total_seconds()
        log, facts, replies = (
            Raw(Interaction, INTERACTION),
            Raw(MessageFact, FACT),
            Raw(ReplyFact, REPLY),
        )
        cases, extras = [], []
        now = timezone.now()
        for i in range(n_cases):
            client, lang = rng.choice(w.clients)
            lang = lang if lang in LANG_WEIGHTS else "en"
            first_team = rng.choice(w.teams)
            chain = [first_team]
            roll = rng.random()
            if roll < 0.03:  # ping-pong: A -> B -> A
                other = rng.choice([t for t in w.teams if t != first_team])
                chain += [other, first_team]
            elif roll < 0.15:
                chain.append(rng.choice([t for t in w.teams if t != first_team]))
            team = chain[-1]
            created = start + dt.timedelta(seconds=rng.random() * span)
            cause = rng.choice(list(self.causes)) if rng.random() < CAUSE_RATE else None
            left = n_cases - i
            want = max(2, round(rng.gauss(budget / left, 3))) if left > 1 else max(2, budget)
            budget -= want
            case = Case(
                pk=self.next_case,
                organization_id=w.org_id,
                team_id=team,
                client_id=client,
                assignee_id=rng.choice(w.agents[team]),
                channel=rng.choice(CHANNELS),
                subject=f"Case {self.next_case}",
                tags=rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2))),
                root_cause_id=self.causes[cause] if cause else None,
                reference=f"GEN{uuid.uuid4().hex[:12].upper()}",
                created_at=created,
                transfer_count=len(chain) - 1,
            )
            self.next_case += 1
            msgs = self._case_log(case, lang, chain, cause, want, created, end)
            prev = GENESIS
            for seq, m in enumerate(msgs, start=1):
                payload = {
                    "organization": w.org_id,
                    "case": case.pk,
                    "seq": seq,
                    "kind": m.kind,
                    "author": m.author_id,
                    "channel": case.channel,
                    "occurred_at": canonical_time(m.at),
                    "recorded_at": canonical_time(m.at),
                    "text": m.text,
                    "language": m.language,
                    "event_type": m.event_type,
                    "data": m.data,
                    "corrects": None,
                    "idempotency_key": "",
                }  # fmt: skip  (the fields of hashchain.interaction_payload)
                digest = chain_hash(prev, payload)
                log.add(
                    m.id, w.org_id, case.pk, seq, m.kind, m.author_id, case.channel, m.at, m.at,
                    m.text, m.language, m.event_type, m.data, None, "", prev, digest,
                )  # fmt: skip
                prev = digest
                if not self.with_facts:
                    continue
                if m.kind == "inbound":
                    f = self.facts[lang][m.text]
                    facts.add(
                        m.id, w.org_id, case.pk, team, self.bank.version, m.at, case.channel,
                        f["language"], f["sentiment"], f["negative"], f["anger"],
                        f["frustration"], f["intensity"], f["escalation"], f["hostility"],
                        f["complaint"], f["crisis"], f["root_cause"], now,
                    )  # fmt: skip
                elif m.kind == "outbound":
                    rules, rlang = self.rules[lang][m.text]
                    pool = self.rule_pool[lang]
                    applied = [rng.choice(pool)] if pool and rng.random() < 0.1 else []
                    replies.add(
                        m.id, w.org_id, case.pk, team, m.author_id or 0, self.bank.version, m.at,
                        case.channel, rlang, rules, applied, now,
                    )  # fmt: skip
            cases.append(case)
            extras.append((case, lang, msgs))
        with transaction.atomic():
            Case.objects.bulk_create(cases, batch_size=CHUNK)
            written = log.flush()
            facts.flush()
            replies.flush()
            self._hanging(extras, end)
        return written

    def _case_log(
        self,
        case: Any,
        lang: str,
        chain: list[int],
        cause: str | None,
        want: int,
        created: dt.datetime,
        end: dt.datetime,
    ) -> list[Msg]:
        rng, bank = self.rng, self.bank
        agent = case.assignee_id
        t = created
        out: list[Msg] = []

        def add(kind: str, **kw: Any) -> None:
            out.append(Msg(self.next_row, kind, kw.pop("author", None), t, **kw))
            self.next_row += 1

        add("system_event", event_type="created", data={"team": chain[0]}, author=agent)
        resolved = rng.random() < 0.7 and want >= 3
        messages = max(1, want - 1 - (len(chain) - 1) - (1 if resolved else 0))
        moves = list(itertools.pairwise(chain))
        move_at = sorted(rng.randrange(0, messages) for _ in moves)
        pool = bank.by_cause.get((lang, cause or ""), []) or list(range(len(bank.client[lang])))
        for k in range(messages):
            t = min(t + dt.timedelta(minutes=rng.randint(5, 600)), end)
            while moves and move_at and move_at[0] == k:
                move_at.pop(0)
                old, new = moves.pop(0)
                number = len(chain) - 1 - len(moves)
                data = {
                    "from": old,
                    "to": new,
                    "number": number,
                    "warned": number >= 2,
                    "ping_pong": new in chain[:number],
                    "handoff": {"why": "Needs the other desk.", "tried": "", "promised": ""},
                }
                add(
                    "system_event",
                    text="Needs the other desk.",
                    event_type="transfer",
                    data=data,
                    author=agent,
                )
            if k % 2 == 0:
                last = k >= messages - 2 and resolved
                if last and rng.random() < 0.6:
                    text = rng.choice(bank.thanks[lang])[0]
                elif last and bank.calm.get(lang):
                    text = bank.client[lang][rng.choice(bank.calm[lang])][0]
                else:
                    text = bank.client[lang][rng.choice(pool)][0]
                add("inbound", text=text, language=lang)
            else:
                add("outbound", text=rng.choice(bank.replies[lang])[0], author=agent)
                if case.first_response_at is None:
                    case.first_response_at = t
        if resolved:
            t = min(t + dt.timedelta(minutes=rng.randint(10, 240)), end)
            add(
                "system_event",
                event_type="status",
                data={"from": "open", "to": "resolved"},
                author=agent,
            )
            case.status, case.resolved_at = "resolved", t
        else:
            case.status = "open" if case.first_response_at else "new"
        case.updated_at = t
        return out

    def _hanging(self, extras: list[Any], end: dt.datetime) -> None:
        """Promises, surveys, dismissals and check-ins of the chunk's cases."""
        from calmdesk.desk.models import (
            FindingDismissal,
            FollowUp,
            SatisfactionSurvey,
            WellbeingCheckIn,
        )

        rng = self.rng
        promises, surveys, dismissals, checkins = [], [], [], []
        for case, lang, msgs in extras:
            angry = False
            promised = False
            for m in msgs:
                if m.kind == "inbound":
                    angry = angry or self.facts[lang][m.text]["escalation"] >= 2
                elif m.kind == "outbound":
                    rules, _rlang = self.rules[lang][m.text]
                    if rules and rng.random() < 0.05:
                        dismissals.append(
                            FindingDismissal(
                                organization_id=case.organization_id,
                                case_id=case.pk,
                                user_id=m.author_id,
                                rule_id=rng.choice(rules),
                                language=lang,
                                created_at=m.at,
                            )
                        )
                    if not promised and rng.random() < 0.3:
                        promised = True
                        promises.append(self._promise(case, m.at, end))
            if case.resolved_at is not None and rng.random() < 0.6:
                surveys.append(self._survey(case, lang, end))
            if angry and rng.random() < 0.05:
                offered = min(case.created_at + dt.timedelta(hours=1), end)
                checkins.append(
                    WellbeingCheckIn(
                        organization_id=case.organization_id,
                        user_id=case.assignee_id,
                        case_id=case.pk,
                        reason=rng.choice(("abuse", "intense")),
                        offered_at=offered,
                        break_minutes=rng.choice((5, 10, 15)),
                        feeling=rng.randint(1, 5),
                        share_in_aggregates=rng.random() < 0.7,
                        completed_at=offered,
                    )
                )
        FollowUp.objects.bulk_create(promises, batch_size=CHUNK)
        SatisfactionSurvey.objects.bulk_create(surveys, batch_size=CHUNK)
        FindingDismissal.objects.bulk_create(dismissals, batch_size=CHUNK)
        WellbeingCheckIn.objects.bulk_create(checkins, batch_size=CHUNK)

    def _promise(self, case: Any, said: dt.datetime, end: dt.datetime) -> Any:
        from calmdesk.desk.models import FollowUp

        rng = self.rng
        due = said + dt.timedelta(hours=rng.randint(2, 72))
        roll = rng.random()
        status, closed = "open", None
        if roll < 0.6:
            status, closed = "kept", due - dt.timedelta(minutes=rng.randint(10, 120))
        elif roll < 0.75:
            status, closed = "kept", due + dt.timedelta(hours=rng.randint(1, 30))
        elif roll < 0.85:
            status, closed = "missed", due + dt.timedelta(days=1)
        if closed is not None and closed > end:
            status, closed = "open", None
        return FollowUp(
            organization_id=case.organization_id,
            case_id=case.pk,
            owner_id=case.assignee_id,
            action="Call the client back",
            due_at=due,
            source="manual",
            status=status,
            closed_at=closed,
            created_at=said,
        )

    def _survey(self, case: Any, lang: str, end: dt.datetime) -> Any:
        from _report_texts import COMMENTS
        from calmdesk.desk.models import SatisfactionSurvey

        rng = self.rng
        send = case.resolved_at + dt.timedelta(hours=4)
        answered = send + dt.timedelta(hours=rng.randint(1, 48))
        rating = rng.choices((1, 2, 3, 4, 5), (10, 8, 15, 30, 37))[0]
        if rng.random() > 0.55 or answered > end:
            answered, rating = None, None
        return SatisfactionSurvey(
            organization_id=case.organization_id,
            case_id=case.pk,
            nonce=uuid.uuid4().hex,
            send_after=send,
            expires_at=send + dt.timedelta(days=14),
            language=lang,
            rating=rating,
            comment=rng.choice(COMMENTS[lang]) if rating and rng.random() < 0.3 else "",
            answered_at=answered,
            created_at=case.resolved_at,
        )


def training_sessions(
    world: World, n: int, start: dt.datetime, end: dt.datetime, seed: int
) -> None:
    from calmdesk.analysis import PRINCIPLES
    from calmdesk.training.models import PracticeSession

    rng = random.Random(seed)
    span = (end - start).total_seconds()
    agents = [a for team in world.agents.values() for a in team]
    rows = []
    for i in range(n):
        scores = {str(p): rng.randint(30, 100) for p in rng.sample(sorted(PRINCIPLES), 4)}
        rows.append(
            PracticeSession(
                organization_id=world.org_id,
                trainee_id=rng.choice(agents),
                scenario_id=f"bench-{i % 12}",
                lang=rng.choice(list(LANG_WEIGHTS)),
                status="finished",
                overall=sum(scores.values()) // len(scores),
                principle_scores=scores,
                finished_at=start + dt.timedelta(seconds=rng.random() * span),
            )
        )
    PracticeSession.objects.bulk_create(rows, batch_size=CHUNK)


def generate(
    *,
    cases: int,
    interactions: int,
    days: int = 365,
    seed: int = 7,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    world: World | None = None,
    bank: Bank | None = None,
    with_facts: bool = True,
    progress: Callable[[str], None] = print,
) -> tuple[World, Bank, int]:
    """Write ``cases`` cases with ``interactions`` interactions in total between ``start``
    and ``end`` (default: the last ``days`` days).  Returns (world, bank, interactions)."""
    from django.db.models import Max
    from django.utils import timezone

    from calmdesk.desk.models import Interaction
    from calmdesk.reports.models import FillState
    from calmdesk.reports.signals import FACTS_TABLE, REPLIES_TABLE

    end = end or timezone.now() - dt.timedelta(hours=1)
    start = start or end - dt.timedelta(days=days)
    t0 = time.perf_counter()
    bank = bank or build_bank(seed)
    progress(f"text bank analysed ({time.perf_counter() - t0:.1f} s)")
    first_world = world is None
    world = world or setup_world(seed)
    gen = Gen(world, bank, random.Random(seed + cases), with_facts)
    written = 0
    done = 0
    while done < cases:
        n = min(CHUNK, cases - done)
        budget = round((interactions - written) * n / (cases - done))
        written += gen.chunk(n, budget, start, end)
        done += n
        if done % (CHUNK * 10) == 0 or done == cases:
            progress(f"{done} cases, {written} interactions ({time.perf_counter() - t0:.0f} s)")
    if first_world:
        training_sessions(world, max(20, cases // 200), start, end, seed)
    if with_facts:
        top = Interaction.objects.filter(organization_id=world.org_id).aggregate(m=Max("pk"))["m"]
        for table in (FACTS_TABLE, REPLIES_TABLE):
            FillState.objects.update_or_create(
                organization_id=world.org_id,
                table=table,
                defaults={"last_interaction_id": top or 0},
            )
    return world, bank, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calmdesk.project.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    _world, _bank, written = generate(
        cases=args.cases, interactions=args.interactions, days=args.days, seed=args.seed
    )
    print(
        f"wrote {args.cases} cases and {written} interactions in {time.perf_counter() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
