"""Every write action leaves exactly one audit entry (count comparison), chained per org."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import calmdesk.desk.actions as actions_pkg
from calmdesk.desk.actions import admin as admin_actions
from calmdesk.desk.actions import cases as c
from calmdesk.desk.actions import clients as cl
from calmdesk.desk.actions import interactions as i
from calmdesk.desk.actions import organizations as o
from calmdesk.desk.actions import tokens as t
from calmdesk.desk.actions import users as u
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.verify import verify_logs
from calmdesk.desk.models import ApiToken, AuditEntry, Interaction, Membership, RootCause
from tests.desk._training_rows import MODULES as TRAINING_MODULES
from tests.desk._training_rows import training_calls
from tests.desk._workflow_rows import workflow_calls
from tests.desk._workspace_rows import workspace_calls

pytestmark = pytest.mark.django_db


def all_actions() -> dict[str, object]:
    found = {}
    for info in pkgutil.iter_modules(actions_pkg.__path__):
        module = importlib.import_module(f"calmdesk.desk.actions.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("do_") and fn.__module__ == module.__name__:
                found[name] = fn
    for module in TRAINING_MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("do_") and fn.__module__ == module.__name__:
                found[name] = fn
    return found


def calls(w):
    """One real call per action (run in this order against the same world)."""
    a, sup, admin = w.users["agent_a"], w.users["supervisor_a"], w.users["admin"]
    case, team = w.cases["a2"], w.teams["alpha"]
    org = team.organization
    return {
        "do_create_organization": lambda: o.do_create_organization("Third", slug="third"),
        "do_create_team": lambda: o.do_create_team(admin, org, "Gamma two", slug="g2"),
        "do_create_user": lambda: u.do_create_user(
            admin,
            username="new_agent",
            password="a-long-Passphrase-91",
            organization=org,
            team=team,
            role="agent",
        ),
        "do_add_membership": lambda: u.do_add_membership(admin, w.users["agent_b"], team, "mentor"),
        "do_remove_membership": lambda: u.do_remove_membership(
            admin, Membership.objects.get(user=w.users["agent_b"], team=team, role="mentor")
        ),
        "do_set_user_active": lambda: u.do_set_user_active(admin, w.users["inactive"], True),
        "do_set_preferred_language": lambda: u.do_set_preferred_language(a, a, "sr-latn"),
        "do_issue_token": lambda: t.do_issue_token(a, a, "ci"),
        "do_revoke_token": lambda: t.do_revoke_token(a, ApiToken.objects.get(user=a, name="ci")),
        "do_create_client": lambda: cl.do_create_client(
            a, organization=org, team=team, name="Nova", phone="+48 600 100 200"
        ),
        "do_update_client": lambda: cl.do_update_client(a, w.clients["a"], banner="VIP"),
        "do_add_contact_point": lambda: cl.do_add_contact_point(
            a, w.clients["a"], kind="email", value="second@example.test"
        ),
        "do_create_case": lambda: c.do_create_case(
            a, client=w.clients["a"], team=team, subject="Another", channel="phone"
        ),
        "do_update_case": lambda: c.do_update_case(a, case, priority="urgent", tags=["legal"]),
        "do_change_status": lambda: c.do_change_status(a, case, "open"),
        "do_assign_case": lambda: c.do_assign_case(sup, case, a),
        "do_set_expectation": lambda: c.do_set_expectation(a, case, expected="a call back"),
        "do_set_root_cause": lambda: c.do_set_root_cause(a, case, "delay"),
        "do_share_case_with_mentor": lambda: c.do_share_case_with_mentor(
            sup, case, w.users["mentor"]
        ),
        "do_receive_message": lambda: i.do_receive_message(
            None, case=case, text="Hello?", channel="email"
        ),
        "do_send_reply": lambda: i.do_send_reply(a, case=case, text="Hello!", channel="email"),
        "do_add_note": lambda: i.do_add_note(
            a, case=case, kind="meeting_note", text="Met.", data={"participants": "A, B"}
        ),
        "do_correct_interaction": lambda: i.do_correct_interaction(
            a,
            original=Interaction.objects.filter(case=case, kind="meeting_note").get(),
            text="Met at 10.",
            reason="time",
        ),
        "do_transfer_case": lambda: c.do_transfer_case(sup, case, w.teams["beta"], "over"),
        "do_admin_save": lambda: admin_actions.do_admin_save(
            admin, RootCause(organization=org, code="late_fee", label="Late fee"), change=False
        ),
        "do_admin_delete": lambda: admin_actions.do_admin_delete(
            admin, RootCause.objects.get(code="late_fee")
        ),
        **workflow_calls(w),
        **workspace_calls(w),
        **training_calls(w),
    }


def test_every_action_writes_exactly_one_audit_entry(world):
    table = calls(world)
    assert set(all_actions()) == set(table), "each do_* needs a row in calls()"
    counts = {}
    for name, call in table.items():
        before = AuditEntry.objects.count()
        call()
        counts[name] = AuditEntry.objects.count() - before
    assert counts == dict.fromkeys(table, 1)
    assert verify_logs() == []


def test_audit_entry_records_who_what_and_where(world):
    meta = RequestMeta(ip="2001:db8::1", user_agent="probe")
    case = c.do_create_case(
        world.users["agent_a"],
        client=world.clients["a"],
        team=world.teams["alpha"],
        subject="s",
        channel="web",
        meta=meta,
    )
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "case.create",
        "case",
        str(case.id),
    )
    assert entry.actor == world.users["agent_a"] and entry.ip == "2001:db8::1"
    assert entry.user_agent == "probe"
    assert entry.organization_id == case.organization_id


def test_request_meta_encodes_control_characters(rf):
    request = rf.get("/", HTTP_USER_AGENT="evil\r\nX-Injected: 1\x1b[31m\u2028", REMOTE_ADDR="nope")
    meta = RequestMeta.from_request(request)
    assert meta.ip is None
    assert "\r" not in meta.user_agent and "\n" not in meta.user_agent
    assert "\x1b" not in meta.user_agent and "\u2028" not in meta.user_agent
    assert "\\u000d\\u000a" in meta.user_agent


def test_chains_are_per_organization(world):
    for org_id in {team.organization_id for team in world.teams.values()}:
        seqs = list(
            AuditEntry.objects.filter(organization_id=org_id)
            .values_list("seq", flat=True)
            .order_by("seq")
        )
        assert seqs == list(range(1, len(seqs) + 1))
