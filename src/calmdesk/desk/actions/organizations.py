"""Organizations and teams."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import Organization, Team, User


def _slug(name: str, slug: str) -> str:
    result = slugify(slug or name)[:100]
    if not result:
        raise ActionError("A slug (letters, digits, hyphens) is needed.", details={"field": "slug"})
    return result


@transaction.atomic
def do_create_organization(
    name: str,
    *,
    slug: str = "",
    timezone: str = "UTC",
    actor: User | None = None,
    meta: RequestMeta | None = None,
) -> Organization:
    name = clean_text(name).strip()
    if not name:
        raise ActionError("An organization needs a name.", details={"field": "name"})
    slug = _slug(name, slug)
    if Organization.objects.filter(slug=slug).exists():
        raise ActionError(f"An organization with the slug {slug!r} exists.", code="duplicate")
    org = Organization.objects.create(name=name, slug=slug, timezone=timezone)
    write_audit(
        actor=actor,
        organization=org,
        action="organization.create",
        obj=org,
        data={"name": name, "slug": slug},
        meta=meta,
    )
    return org


@transaction.atomic
def do_create_team(
    actor: User | None,
    organization: Organization,
    name: str,
    *,
    slug: str = "",
    meta: RequestMeta | None = None,
) -> Team:
    name = clean_text(name).strip()
    if not name:
        raise ActionError("A team needs a name.", details={"field": "name"})
    slug = _slug(name, slug)
    if Team.objects.filter(organization=organization, slug=slug).exists():
        raise ActionError(f"A team with the slug {slug!r} exists.", code="duplicate")
    team = Team.objects.create(organization=organization, name=name, slug=slug)
    write_audit(
        actor=actor,
        organization=organization,
        action="team.create",
        obj=team,
        data={"name": name, "slug": slug},
        meta=meta,
    )
    return team
