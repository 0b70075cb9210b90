"""Signed one-click tokens for the satisfaction check (no login).

The token carries the survey id, its random nonce and the rating; it is signed with the
site's secret (salted), so it cannot be forged or altered.  Expiry and single use are
enforced against the survey row (``expires_at``, ``answered_at``), not only by the
signature's timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

SALT = "calmdesk.satisfaction.v1"


@dataclass(frozen=True)
class RatingToken:
    survey_id: int
    nonce: str
    rating: int


def make_rating_token(survey_id: int, nonce: str, rating: int) -> str:
    return signing.dumps({"s": survey_id, "n": nonce, "r": rating}, salt=SALT, compress=False)


def read_rating_token(token: str, *, max_age_seconds: int | None = None) -> RatingToken | None:
    if not isinstance(token, str) or len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age_seconds)
    except signing.BadSignature:
        return None
    try:
        rating = int(data["r"])
        survey_id = int(data["s"])
        nonce = str(data["n"])
    except (KeyError, TypeError, ValueError):
        return None
    if not 1 <= rating <= 5:
        return None
    return RatingToken(survey_id, nonce, rating)
