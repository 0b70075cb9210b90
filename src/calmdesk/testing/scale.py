"""Synthetic inbound mail and a small world for the scale-out test, the ingest benchmark and
the deploy drill (tests/scale, benchmarks/bench_ingest.py, scripts/deploy_drill.py).

Every text here was written by the calmdesk developers for these checks.  ``corpus(n)`` is
deterministic: message ``i`` always has the same bytes, Message-ID and sender, and every
``CRISIS_EVERY``-th message carries a threat of violence or of self-harm in one of the four
languages.  ``build_world`` and ``census`` need Django set up; the corpus does not.
"""

from __future__ import annotations

import base64
import datetime as dt
import quopri
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

CRISIS_EVERY = 97  # about 1 % of the messages
SENDERS = 400  # the corpus cycles through this many client addresses

SUBJECTS = {
    "en": ["Invoice charged twice", "Parcel still missing", "Refund not received"],
    "pl": ["Podwójna opłata na fakturze", "Paczka nadal nie dotarła", "Brak zwrotu pieniędzy"],
    "sr": ["Рачун наплаћен два пута", "Paket još nije stigao", "Повраћај новца није стигао"],
    "he": ["החשבונית חויבה פעמיים", "החבילה עדיין לא הגיעה", "ההחזר לא התקבל"],
}

BODIES = {
    "en": [
        "Hello, my February invoice charges the same service twice. Please correct it.",
        "This is the third time I am writing about the parcel. Nobody answers and I am "
        "getting really annoyed.",
        "You promised a refund two weeks ago and it has still not arrived. When will it come?",
    ],
    "pl": [
        "Dzień dobry, na fakturze za luty ta sama usługa jest policzona dwa razy. Proszę o "
        "korektę.",
        "Piszę już trzeci raz w sprawie paczki. Nikt nie odpowiada, a ja tracę cierpliwość.",
        "Obiecaliście zwrot dwa tygodnie temu i nadal go nie ma. Kiedy wreszcie przyjdzie?",
    ],
    "sr": [
        "Поштовани, на рачуну за фебруар иста услуга је наплаћена два пута. Молим исправку.",
        "Pišem treći put zbog paketa. Niko ne odgovara i stvarno gubim strpljenje.",
        "Обећали сте повраћај новца пре две недеље и још увек га нема. Када ће стићи?",
    ],
    "he": [
        "שלום, בחשבונית של פברואר אותו שירות חויב פעמיים. אבקש לתקן.",
        "זו הפעם השלישית שאני כותבת על החבילה. אף אחד לא עונה ואני מאבדת סבלנות.",
        "הבטחתם החזר לפני שבועיים והוא עדיין לא הגיע. מתי הוא יגיע?",
    ],
}

# (language, kind, text): each is detected by the crisis check of its language pack.
CRISIS = [
    (
        "en",
        "violence",
        "If my refund is not here by Friday I will come to your office and hurt the manager.",
    ),
    ("en", "self_harm", "I cannot take this any more, tonight I am going to kill myself."),
    (
        "pl",
        "violence",
        "Mam dość waszych wymówek. Jeśli jutro nie oddacie pieniędzy, zabiję "
        "go, tego waszego kierownika.",
    ),
    ("pl", "self_harm", "Nie dam już rady z tymi długami, dziś w nocy chcę się zabić."),
    (
        "sr",
        "violence",
        "Dosta mi je vaših izgovora. Ako mi sutra ne vratite novac, ubiću ga, tog vašeg šefa.",
    ),
    ("he", "violence", "נמאס לי מהתירוצים שלכם. אם הכסף לא יחזור מחר, אני אהרוג את המנהל."),
    ("he", "self_harm", "אני לא יכולה יותר עם החובות האלה, הלילה אני הולכת להתאבד."),
]

LANGS = ("en", "pl", "sr", "he")


def is_crisis(i: int) -> bool:
    return i % CRISIS_EVERY == CRISIS_EVERY - 1


def message_id(i: int, tag: str = "scale") -> str:
    return f"<{tag}-{i}@clients.example>"


def _encoded_word(text: str) -> str:
    if text.isascii():
        return text
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def message(i: int, *, tag: str = "scale", to: str = "help@desk.example") -> bytes:
    """Raw MIME of synthetic message ``i`` from client ``i % SENDERS``: RFC 2047 subjects,
    UTF-8 bodies sent 8-bit, quoted-printable or base64 in turn."""
    lang = LANGS[i % len(LANGS)]
    sender = i % SENDERS
    if is_crisis(i):
        lang, _kind, text = CRISIS[(i // CRISIS_EVERY) % len(CRISIS)]
    else:
        text = BODIES[lang][(i // 4) % 3]
    subject = SUBJECTS[lang][i % 3]
    body = (text + f"\n\nOrder {100000 + i}\n").encode("utf-8")
    encoding = ("8bit", "quoted-printable", "base64")[i % 3]
    if encoding == "quoted-printable":
        body = quopri.encodestring(body)
    elif encoding == "base64":
        body = base64.encodebytes(body)
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i)
    # From the second message of a client on, a reply to its previous one: threads onto that
    # case when it has been filed already (two workers may append to one case at once).
    reply = f"In-Reply-To: {message_id(i - SENDERS, tag)}\r\n" if i >= SENDERS else ""
    head = (
        f"From: Client {sender} <client{sender}@clients.example>\r\n"
        f"To: {to}\r\n"
        f"Subject: {_encoded_word(subject)}\r\n"
        f"Message-ID: {message_id(i, tag)}\r\n{reply}"
        f"Date: {format_datetime(when)}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def corpus(n: int, *, tag: str = "scale") -> list[bytes]:
    return [message(i, tag=tag) for i in range(n)]


def crisis_ids(n: int, tag: str = "scale") -> set[str]:
    return {message_id(i, tag) for i in range(n) if is_crisis(i)}


@dataclass
class World:
    organization_id: int
    team_id: int
    mailbox_id: int
    supervisor_id: int


def build_world(slug: str = "scale") -> World:
    """One organization, a team with a supervisor (who gets crisis alerts by email) and an
    agent, and a mailbox.  Idempotent by ``slug``."""
    from calmdesk.channels.models import Mailbox
    from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
    from calmdesk.desk.actions.users import do_create_user
    from calmdesk.desk.models import Organization, Team, User

    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        org = do_create_organization(f"Scale {slug}", slug=slug)
        team = do_create_team(None, org, "Front desk", slug="front")
        do_create_user(
            None,
            username=f"{slug}-sup",
            password=None,
            organization=org,
            team=team,
            role="supervisor",
            email=f"sup@{slug}.example",
        )
        do_create_user(
            None,
            username=f"{slug}-agent",
            password=None,
            organization=org,
            team=team,
            role="agent",
        )
        Mailbox.objects.create(
            organization=org, team=team, name="Help", addresses=["help@desk.example"]
        )
    team = Team.objects.get(organization=org, slug="front")
    mailbox = Mailbox.objects.filter(organization=org).order_by("id").first()
    assert mailbox is not None
    sup = User.objects.get(username=f"{slug}-sup")
    return World(org.pk, team.pk, mailbox.pk, sup.pk)


def census(world: World) -> dict[str, Any]:
    """What the database holds for the world's organization after ingest: raw states,
    inbound interactions per raw message, crisis incidents, crisis emails, chain check."""
    from django.db.models import Count

    from calmdesk.channels.models import RawMessage
    from calmdesk.desk.lib.verify import verify_logs
    from calmdesk.desk.models import CrisisIncident, Interaction, OutboundEmail

    org = world.organization_id
    raws = RawMessage.objects.filter(organization_id=org)
    states = dict(raws.values_list("state").annotate(n=Count("id")))
    inbound = Interaction.objects.filter(organization_id=org, kind="inbound")
    per_raw = inbound.values("data__raw_message").annotate(n=Count("id")).filter(n__gt=1).count()
    logged_raws = set(inbound.values_list("data__raw_message", flat=True))
    raw_ids = set(raws.values_list("id", flat=True))
    linked = raws.exclude(interaction=None).count()
    incidents = CrisisIncident.objects.filter(organization_id=org)
    incident_mids = set(incidents.values_list("interaction__data__message_id", flat=True))
    emails = OutboundEmail.objects.filter(organization_id=org, kind="crisis_alert")
    return {
        "raw": raws.count(),
        "states": states,
        "inbound": inbound.count(),
        "raws_logged_twice": per_raw,
        "raws_never_logged": len(raw_ids - logged_raws),
        "raws_linked": linked,
        "incidents": incidents.count(),
        "incident_message_ids": sorted(incident_mids),
        "crisis_emails": dict(emails.values_list("state").annotate(n=Count("id"))),
        "chain_breaks": [str(b) for b in verify_logs()],
    }
