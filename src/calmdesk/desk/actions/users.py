"""People: accounts, team roles, deactivation."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import LANGUAGE_CHOICES, Membership, Organization, Role, Team, User

_LANGUAGES = {code for code, _ in LANGUAGE_CHOICES}


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise ActionError(
            f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.",
            details={"field": "role"},
        )
    return role


@transaction.atomic
def do_create_user(
    actor: User | None,
    *,
    username: str,
    password: str | None,
    organization: Organization | None,
    email: str = "",
    team: Team | None = None,
    role: str | None = None,
    preferred_language: str = "",
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    check_password: bool = True,
    meta: RequestMeta | None = None,
) -> User:
    """Create an account (and optionally its first team role).

    ``password=None`` makes an account that cannot log in with a password.  Used by
    ``calmdesk createuser --role agent --team <slug>``.
    """
    username = username.strip()
    if not username:
        raise ActionError("A username is needed.", details={"field": "username"})
    if User.objects.filter(username__iexact=username).exists():
        raise ActionError(f"The username {username!r} is taken.", code="duplicate")
    if preferred_language not in _LANGUAGES:
        raise ActionError(
            f"Unknown language {preferred_language!r}.", details={"field": "preferred_language"}
        )
    if (team is None) != (role is None):
        raise ActionError("Give both a team and a role, or neither.")
    if role is not None:
        _check_role(role)
    if team is not None and organization is not None and team.organization_id != organization.id:
        raise ActionError("The team belongs to another organization.")
    if team is not None and organization is None:
        organization = team.organization
    user = User(
        username=username,
        email=email,
        organization=organization,
        preferred_language=preferred_language,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password is None:
        user.set_unusable_password()
    else:
        if check_password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ActionError(
                    " ".join(exc.messages), code="weak_password", details={"field": "password"}
                ) from exc
        user.set_password(password)
    user.save()
    if team is not None and role is not None:
        Membership.objects.create(user=user, team=team, role=role)
    write_audit(
        actor=actor,
        organization=organization,
        action="user.create",
        obj=user,
        data={"username": username, "team": team.slug if team else None, "role": role},
        meta=meta,
    )
    return user


@transaction.atomic
def do_add_membership(
    actor: User | None, user: User, team: Team, role: str, *, meta: RequestMeta | None = None
) -> Membership:
    _check_role(role)
    if user.organization_id != team.organization_id:
        raise ActionError("The user and the team belong to different organizations.")
    membership, created = Membership.objects.get_or_create(user=user, team=team, role=role)
    write_audit(
        actor=actor,
        organization=team.organization_id,
        action="membership.add",
        obj=membership,
        data={"user": user.pk, "team": team.pk, "role": role, "created": created},
        meta=meta,
    )
    return membership


@transaction.atomic
def do_remove_membership(
    actor: User | None, membership: Membership, *, meta: RequestMeta | None = None
) -> None:
    data = {"user": membership.user_id, "team": membership.team_id, "role": membership.role}
    org_id = membership.team.organization_id
    object_id = str(membership.pk)
    membership.delete()
    write_audit(
        actor=actor,
        organization=org_id,
        action="membership.remove",
        object_type="membership",
        object_id=object_id,
        data=data,
        meta=meta,
    )


@transaction.atomic
def do_set_user_active(
    actor: User | None, user: User, active: bool, *, meta: RequestMeta | None = None
) -> None:
    """Deactivate (or reactivate) an account; sessions and tokens stop working at once."""
    user.is_active = active
    user.save(update_fields=["is_active"])
    write_audit(
        actor=actor,
        organization=user.organization_id,
        action="user.activate" if active else "user.deactivate",
        obj=user,
        meta=meta,
    )


@transaction.atomic
def do_set_preferred_language(
    actor: User, user: User, language: str, *, meta: RequestMeta | None = None
) -> None:
    if language not in _LANGUAGES:
        raise ActionError(f"Unknown language {language!r}.", details={"field": "language"})
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    write_audit(
        actor=actor,
        organization=user.organization_id,
        action="user.set_language",
        obj=user,
        data={"language": language},
        meta=meta,
    )
