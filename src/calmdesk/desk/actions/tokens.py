"""Personal API tokens: issued once in clear, stored hashed, revocable."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib.errors import ActionError, Forbidden
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.lib.tokens import hash_api_token, new_api_token, token_display_prefix
from calmdesk.desk.models import ApiToken, User

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@transaction.atomic
def do_issue_token(
    actor: User | None, user: User, name: str, *, meta: RequestMeta | None = None
) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token; the raw token is never stored or shown again."""
    if actor is not None and actor.pk != user.pk and not actor.is_superuser:
        raise Forbidden("You can issue tokens only for yourself.")
    name = clean_text(name).strip()[:100]
    if not name:
        raise ActionError("A token needs a name.", details={"field": "name"})
    raw = new_api_token()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=token_display_prefix(raw), key_hash=hash_api_token(raw)
    )
    write_audit(
        actor=actor,
        organization=user.organization_id,
        action="token.issue",
        obj=token,
        data={"user": user.pk, "name": name, "prefix": token.prefix},
        meta=meta,
    )
    return token, raw


@transaction.atomic
def do_revoke_token(
    actor: User | None, token: ApiToken, *, meta: RequestMeta | None = None
) -> None:
    if actor is not None and actor.pk != token.user_id and not actor.is_superuser:
        raise Forbidden("You can revoke only your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    write_audit(
        actor=actor,
        organization=token.user.organization_id,
        action="token.revoke",
        obj=token,
        data={"prefix": token.prefix},
        meta=meta,
    )


def touch_token(token: ApiToken) -> None:
    """Bookkeeping, not an action: note when a token was last used (at most once a minute).

    No audit entry: a read through a token is not a write of desk data.
    """
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
