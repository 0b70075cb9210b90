"""Per-user language, security headers, and the Django admin for organization set-up."""

from __future__ import annotations

import pytest
from django.urls import reverse

from calmdesk.desk.actions.users import do_create_user, do_set_preferred_language
from calmdesk.desk.models import AuditEntry, Interaction, Organization

pytestmark = pytest.mark.django_db


def test_users_preferred_language_applies_unless_the_browser_chose_one(world):
    agent = world.users["agent_a"]
    do_set_preferred_language(agent, agent, "he")
    browser = world.http("agent_a")
    page = browser.get(reverse("desk:case_list"))
    assert page["Content-Language"] == "he"
    browser.cookies["django_language"] = "pl"
    assert browser.get(reverse("desk:case_list"))["Content-Language"] == "pl"
    # signed out, the preference no longer applies
    assert world.http(None).get(reverse("desk:login"))["Content-Language"] == "en"


def test_security_headers_on_pages(world):
    anonymous = world.http(None).get(reverse("desk:login"))
    csp = anonymous["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert anonymous["X-Content-Type-Options"] == "nosniff"
    signed_in = world.http("agent_a").get(reverse("desk:case_list"))
    assert signed_in["Cache-Control"] == "private, no-store"
    assert "Cookie" in signed_in["Vary"]


@pytest.fixture
def root(world):
    org = Organization.objects.get(slug="north")
    return do_create_user(
        None, username="root", password=None, organization=None, is_staff=True, is_superuser=True
    ), org


def test_admin_set_up_pages_work_and_log_tables_are_read_only(world, root):
    superuser, _org = root
    browser = world.http(None)
    browser.force_login(superuser)
    for model in (
        "organization",
        "team",
        "user",
        "membership",
        "client",
        "rootcause",
        "case",
        "interaction",
        "attachment",
        "auditentry",
        "apitoken",
    ):
        assert browser.get(f"/admin/desk/{model}/").status_code == 200, model
    for model in ("interaction", "attachment", "auditentry"):
        assert browser.get(f"/admin/desk/{model}/add/").status_code == 403
    row = Interaction.objects.first()
    detail = browser.get(f"/admin/desk/interaction/{row.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert browser.post(f"/admin/desk/interaction/{row.pk}/delete/").status_code == 403
    # an organization created in the admin is audited
    before = AuditEntry.objects.count()
    r = browser.post(
        "/admin/desk/organization/add/",
        {
            "name": "West",
            "slug": "west",
            "timezone": "UTC",
            "created_at_0": "2025-01-01",
            "created_at_1": "10:00:00",
        },
    )
    assert r.status_code == 302, r.content[:2000]
    assert Organization.objects.filter(slug="west").exists()
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.order_by("-id").first().action == "admin.organization.add"


def test_admin_staff_of_one_organization_see_only_it(world):
    staff = do_create_user(
        None,
        username="north_staff",
        password=None,
        organization=world.teams["alpha"].organization,
        is_staff=True,
    )
    from django.contrib.auth.models import Permission

    staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_client", "change_client", "view_organization"]
        )
    )
    browser = world.http(None)
    browser.force_login(staff)
    listing = browser.get("/admin/desk/client/").content.decode()
    assert "Ana Kowalska" in listing and "Xena South" not in listing
    assert browser.get(f"/admin/desk/client/{world.clients['x'].pk}/change/").status_code == 302
