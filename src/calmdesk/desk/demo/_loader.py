"""Read the demo YAML files and replay them through the ``do_*`` actions.

Every event of every case is put on one time line (oldest first) and replayed with the
desk's clock set to that moment, so status changes, transfers and audit entries carry the
times the story says, and both hash chains are built exactly as in real use.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from unittest import mock
from zoneinfo import ZoneInfo

import yaml
from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

DATA_DIR = Path(__file__).resolve().parent / "data"
ORG_FILE = "org.yaml"

_DAY_TIME = re.compile(r"^-(\d+)d (\d{1,2}):(\d{2})$")
_AGO = re.compile(r"^-(\d+)([hm])$")
_EVENT_KEYS = (
    "in",
    "reply",
    "call",
    "meeting",
    "note",
    "status",
    "assign",
    "transfer",
    "expect",
    "cause",
    "share",
    "backup",
)
_NEEDS_AUTHOR = ("reply", "call", "meeting", "note", "share", "backup")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


class DemoDataError(ValueError):
    """A demo data file is malformed; the message names the file and the entry."""


class DemoLogin(NamedTuple):
    """A demo account; a tuple too: ``username, password, role, team, language = login``."""

    username: str
    password: str
    role: str
    team: str
    language: str


@dataclass
class LanguageFigures:
    clients: int = 0
    cases: int = 0
    interactions: int = 0


@dataclass
class DemoSummary:
    created: bool
    organization: str = ""
    teams: int = 0
    users: int = 0
    clients: int = 0
    cases: int = 0
    interactions: int = 0
    # keyed by the clients' language: en, pl, sr (Cyrillic), sr-latn, he
    by_language: dict[str, LanguageFigures] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.created:
            return "the database already holds an organization; demo data not loaded"
        parts = ", ".join(
            f"{code} {f.clients}/{f.cases}" for code, f in sorted(self.by_language.items())
        )
        return (
            f"loaded {self.organization!r}: {self.teams} teams, {self.users} users, "
            f"{self.clients} clients, {self.cases} cases, {self.interactions} interactions "
            f"(clients/cases by language: {parts})"
        )


# --------------------------------------------------------------------------- reading


def _read_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise DemoDataError(f"{path.name}: expected a mapping at the top level")
    return data


def _org_data() -> dict[str, Any]:
    return _read_yaml(DATA_DIR / ORG_FILE)


def _case_files() -> list[tuple[str, dict[str, Any]]]:
    return [(p.name, _read_yaml(p)) for p in sorted(DATA_DIR.glob("*.yaml")) if p.name != ORG_FILE]


def parse_when(value: object, *, now: dt.datetime, tz: ZoneInfo, where: str) -> dt.datetime:
    """``-3d 10:15`` (3 days ago at 10:15 local time), ``-2h`` or ``-45m`` (ago)."""
    text = str(value).strip()
    match = _DAY_TIME.match(text)
    if match:
        days, hour, minute = (int(g) for g in match.groups())
        if hour > 23 or minute > 59:
            raise DemoDataError(f"{where}: bad time {text!r}")
        day = now.astimezone(tz).date() - dt.timedelta(days=days)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz).astimezone(dt.UTC)
    match = _AGO.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = dt.timedelta(hours=amount) if unit == "h" else dt.timedelta(minutes=amount)
        return now - delta
    raise DemoDataError(f"{where}: {text!r} is not '-Nd HH:MM', '-Nh' or '-Nm'")


def demo_logins() -> list[DemoLogin]:
    """Every demo user with its (published, demo-only) password, first role and language."""
    data = _org_data()
    password = str(data["password"])
    team_names = {t["key"]: t["name"] for t in data["teams"]}
    logins = []
    for user in data["users"]:
        roles = user["roles"]
        team_key, role = roles[0]
        team = (
            team_names[team_key] if len(roles) == 1 else f"{team_names[team_key]} +{len(roles) - 1}"
        )
        logins.append(
            DemoLogin(
                username=user["username"],
                password=password,
                role=role,
                team=team,
                language=user.get("language", ""),
            )
        )
    return logins


# --------------------------------------------------------------------------- the clock


@contextlib.contextmanager
def _demo_clock() -> Iterator[Callable[[dt.datetime], None]]:
    """Patch the desk's clock while the demo is replayed; yields a setter for the time.

    Patches ``django.utils.timezone.now`` (used by the actions) and the ``default=now`` of
    the desk models' date fields (Django caches the callable in ``Field._get_default``).
    """
    real_now = timezone.now
    current = [real_now()]

    def fake_now() -> dt.datetime:
        return current[0]

    def set_time(moment: dt.datetime) -> None:
        current[0] = moment

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("django.utils.timezone.now", fake_now))
        for model in apps.get_app_config("desk").get_models():
            for fld in model._meta.get_fields():
                if isinstance(fld, models.DateTimeField) and fld.default is real_now:
                    stack.enter_context(mock.patch.object(fld, "_get_default", fake_now))
        yield set_time


# --------------------------------------------------------------------------- loading


@dataclass
class _Step:
    at: dt.datetime
    order: tuple[int, int, int]
    run: Callable[[], None]


def load_demo(now: dt.datetime | None = None) -> DemoSummary:
    """Create the demo organisation unless the database already holds an organization."""
    from calmdesk.desk.models import Organization

    if Organization.objects.exists():
        return DemoSummary(created=False)
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise DemoDataError("now must be timezone-aware")
    loader = _Loader(now)
    loader.plan()
    with transaction.atomic(), _demo_clock() as set_time:
        for step in sorted(loader.steps, key=lambda s: (s.at, s.order)):
            set_time(step.at)
            step.run()
    return loader.summary()


class _Loader:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.steps: list[_Step] = []
        self.org_data = _org_data()
        self.files = _case_files()
        self.org: Any = None
        self.teams: dict[str, Any] = {}
        self.users: dict[str, Any] = {}
        self.clients: dict[int, Any] = {}
        self.client_language: dict[int, str] = {}
        self.case_language: dict[int, str] = {}

    # ---- planning: parse every time first, so bad data fails before anything is written

    def plan(self) -> None:
        from calmdesk.desk.models import ALLOWED_TRANSITIONS, RootCause

        starts: list[dt.datetime] = []
        team_keys = {t["key"] for t in self.org_data["teams"]}
        usernames = {u["username"] for u in self.org_data["users"]}
        cause_codes = set(
            RootCause.objects.filter(organization__isnull=True).values_list("code", flat=True)
        )
        for file_no, (name, data) in enumerate(self.files, start=1):
            tz = ZoneInfo(str(data.get("timezone", "UTC")))
            file_team = str(data["team"])
            for client_no, client in enumerate(data["clients"]):
                where = f"{name}: client {client.get('name')!r}"
                case_plans = []
                for case_no, case in enumerate(client["cases"]):
                    cwhere = f"{where}, case {case.get('subject')!r}"
                    times: list[dt.datetime] = []
                    status = "new"
                    for entry_no, entry in enumerate(case["log"]):
                        ewhere = f"{cwhere}, entry {entry_no + 1}"
                        kinds = [k for k in _EVENT_KEYS if k in entry]
                        if len(kinds) != 1:
                            raise DemoDataError(f"{ewhere}: needs exactly one of {_EVENT_KEYS}")
                        at = parse_when(entry["at"], now=self.now, tz=tz, where=ewhere)
                        if times and at <= times[-1]:
                            at = times[-1] + dt.timedelta(seconds=1)
                        times.append(at)
                        by = entry.get("by")
                        if kinds[0] != "in" and by not in usernames | {"system"}:
                            raise DemoDataError(f"{ewhere}: unknown author {by!r}")
                        if kinds[0] in _NEEDS_AUTHOR and by not in usernames:
                            raise DemoDataError(f"{ewhere}: {kinds[0]!r} needs a user in 'by'")
                        if kinds[0] == "status" and entry["status"] != status:
                            if entry["status"] not in ALLOWED_TRANSITIONS[status]:
                                raise DemoDataError(
                                    f"{ewhere}: {status} -> {entry['status']} is not allowed"
                                )
                            status = entry["status"]
                        if kinds[0] == "transfer" and entry["transfer"] not in team_keys:
                            raise DemoDataError(f"{ewhere}: unknown team {entry['transfer']!r}")
                        if kinds[0] == "cause" and entry["cause"] not in cause_codes:
                            raise DemoDataError(f"{ewhere}: unknown root cause {entry['cause']!r}")
                    if not times:
                        raise DemoDataError(f"{cwhere}: the log is empty")
                    team_key = str(case.get("team", file_team))
                    if team_key not in team_keys:
                        raise DemoDataError(f"{cwhere}: unknown team {team_key!r}")
                    case_plans.append((case_no, case, team_key, times))
                client_at = min(p[3][0] for p in case_plans) - dt.timedelta(minutes=3)
                order = (file_no, client_no, -1)
                self.steps.append(_Step(client_at, order, self._make_client(client, data)))
                for case_no, case, team_key, times in case_plans:
                    self._plan_case(client, case, team_key, times, (file_no, client_no, case_no))
                starts.append(client_at)
        setup_at = min(starts) - dt.timedelta(days=1)
        self.steps.append(_Step(setup_at, (0, 0, 0), self._make_org))

    def _plan_case(
        self,
        client: dict[str, Any],
        case: dict[str, Any],
        team_key: str,
        times: list[dt.datetime],
        order: tuple[int, int, int],
    ) -> None:
        holder: dict[str, Any] = {}
        file_no, client_no, case_no = order
        base = case_no * 1000

        def create() -> None:
            from calmdesk.desk.actions.cases import do_create_case

            creator = self.users[case.get("by", case["assignee"])]
            holder["case"] = do_create_case(
                creator,
                client=self.clients[id(client)],
                team=self.teams[team_key],
                subject=str(case["subject"]),
                channel=str(case["channel"]),
                priority=str(case.get("priority", "normal")),
                assignee=self.users[case["assignee"]],
                tags=[str(t) for t in case.get("tags", [])],
            )
            self.case_language[holder["case"].pk] = self.client_language[id(client)]

        created_at = times[0] - dt.timedelta(minutes=2)
        self.steps.append(_Step(created_at, (file_no, client_no, base), create))
        for entry_no, (entry, at) in enumerate(zip(case["log"], times, strict=True), start=1):
            step = self._entry_step(holder, client, case, entry, at)
            self.steps.append(_Step(at, (file_no, client_no, base + entry_no), step))

    def _entry_step(
        self,
        holder: dict[str, Any],
        client: dict[str, Any],
        case_data: dict[str, Any],
        entry: dict[str, Any],
        at: dt.datetime,
    ) -> Callable[[], None]:
        def run() -> None:
            from calmdesk.desk.actions import cases as case_actions
            from calmdesk.desk.actions import interactions as log_actions
            from calmdesk.desk.lib.attachments import IncomingFile

            case = holder["case"]
            case.refresh_from_db()
            by = entry.get("by")
            actor = None if by in (None, "system") else self.users[by]
            # Written messages on a phone or counter case arrive (and are answered) by email.
            written = case.channel not in ("phone", "in_person")
            default_channel = case.channel if written else "email"
            channel = str(entry.get("channel", default_channel))
            if "in" in entry:
                files = [
                    IncomingFile(
                        filename=str(a["filename"]),
                        content_type=str(a.get("content_type", "text/plain")),
                        content=str(a.get("text", "")).encode("utf-8"),
                    )
                    for a in entry.get("attachments", [])
                ]
                log_actions.do_receive_message(
                    None,
                    case=case,
                    text=str(entry["in"]),
                    channel=channel,
                    occurred_at=at,
                    attachments=files,
                    language=str(entry.get("lang", self.client_language[id(client)])),
                )
            elif "reply" in entry:
                assert actor is not None
                log_actions.do_send_reply(
                    actor, case=case, text=str(entry["reply"]), channel=channel, occurred_at=at
                )
            elif "call" in entry or "meeting" in entry or "note" in entry:
                assert actor is not None
                kind, key = (
                    ("call_note", "call")
                    if "call" in entry
                    else ("meeting_note", "meeting")
                    if "meeting" in entry
                    else ("internal_note", "note")
                )
                data = {
                    k: str(entry[k])
                    for k in ("expected", "received", "agreed", "promised")
                    if entry.get(k)
                }
                log_actions.do_add_note(
                    actor,
                    case=case,
                    kind=kind,
                    text=str(entry[key]),
                    data=data or None,
                    occurred_at=at,
                )
            elif "status" in entry:
                if case.status != entry["status"]:
                    case_actions.do_change_status(
                        actor, case, str(entry["status"]), str(entry.get("reason", ""))
                    )
            elif "assign" in entry:
                case_actions.do_assign_case(actor, case, self.users[entry["assign"]])
            elif "transfer" in entry:
                # The warm hand-off: why (``text``), what was tried, what was promised; the
                # transfer guard insists on all three from the second transfer of a case.
                case_actions.do_transfer_case(
                    actor,
                    case,
                    self.teams[entry["transfer"]],
                    str(entry["text"]),
                    tried=str(entry.get("tried") or ""),
                    promised=str(entry.get("promised") or ""),
                    confirm=True,
                )
            elif "backup" in entry:
                # A request for backup or, with ``kind: approval``, a supervisor's approval.
                from decimal import Decimal

                from calmdesk.desk.actions.escalations import do_request_backup

                assert actor is not None
                do_request_backup(
                    actor,
                    case,
                    reason=str(entry["backup"]),
                    kind=str(entry.get("kind", "advice")),
                    decision_subject=str(entry.get("decision", "")),
                    amount=Decimal(str(entry["amount"])) if entry.get("amount") else None,
                )
            elif "expect" in entry:
                e = entry["expect"]
                case_actions.do_set_expectation(
                    actor,
                    case,
                    expected=str(e.get("expected", "")),
                    received=str(e.get("received", "")),
                    agreed_possible=str(e.get("possible", "")),
                    agreed_not_possible=str(e.get("not_possible", "")),
                )
            elif "cause" in entry:
                case_actions.do_set_root_cause(actor, case, str(entry["cause"]))
            elif "share" in entry:
                assert actor is not None
                case_actions.do_share_case_with_mentor(actor, case, self.users[entry["share"]])

        return run

    # ---- the organisation, its teams and users, and clients

    def _make_org(self) -> None:
        import inspect

        from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
        from calmdesk.desk.actions.users import do_add_membership, do_create_user

        org = self.org_data["organization"]
        self.org = do_create_organization(
            str(org["name"]),
            slug=str(org.get("slug", "")),
            timezone=str(org.get("timezone", "UTC")),
        )
        for team in self.org_data["teams"]:
            self.teams[team["key"]] = do_create_team(
                None, self.org, str(team["name"]), slug=str(team["key"]).replace("_", "-")
            )
        password = str(self.org_data["password"])
        accepts_tz = "timezone" in inspect.signature(do_create_user).parameters
        for user in self.org_data["users"]:
            (first_team, first_role), *more = user["roles"]
            # The user's time zone is passed once do_create_user accepts it (not yet: see report).
            extra: dict[str, Any] = {}
            if accepts_tz and "timezone" in user:
                extra["timezone"] = str(user["timezone"])
            created = do_create_user(
                None,
                username=str(user["username"]),
                password=password,
                organization=self.org,
                email=f"{user['username']}@staff.example.org",
                team=self.teams[first_team],
                role=str(first_role),
                preferred_language=str(user.get("language", "")),
                first_name=str(user.get("first_name", "")),
                last_name=str(user.get("last_name", "")),
                **extra,
            )
            for team_key, role in more:
                do_add_membership(None, created, self.teams[team_key], str(role))
            self.users[created.username] = created

    def _make_client(self, client: dict[str, Any], file_data: dict[str, Any]) -> Callable[[], None]:
        def run() -> None:
            from calmdesk.desk.actions.clients import do_create_client

            language = str(client.get("preferred_language") or file_data["language"])
            self.clients[id(client)] = do_create_client(
                None,
                organization=self.org,
                name=str(client["name"]),
                team=None,
                email=str(client.get("email", "") or ""),
                phone=str(client.get("phone", "") or ""),
                preferred_language=language,
                communication_preferences=str(client.get("communication_preferences", "")),
                banner=str(client.get("banner", "") or ""),
                tags=[str(t) for t in client.get("tags", [])],
            )
            self.client_language[id(client)] = language

        return run

    # ---- figures

    def summary(self) -> DemoSummary:
        from calmdesk.desk.models import Case, Client, Interaction, Team, User

        result = DemoSummary(
            created=True,
            organization=self.org.name,
            teams=Team.objects.filter(organization=self.org).count(),
            users=User.objects.filter(organization=self.org).count(),
            clients=Client.objects.filter(organization=self.org).count(),
            cases=Case.objects.filter(organization=self.org).count(),
            interactions=Interaction.objects.filter(organization=self.org).count(),
        )
        for client in Client.objects.filter(organization=self.org):
            figures = result.by_language.setdefault(client.preferred_language, LanguageFigures())
            figures.clients += 1
            figures.cases += client.cases.count()
            figures.interactions += Interaction.objects.filter(case__client=client).count()
        return result


def script_of(text: str) -> str:
    """``cyrl`` when the text holds Cyrillic letters, else ``latn`` (used by the tests)."""
    return "cyrl" if _CYRILLIC.search(text) else "latn"
