"""Emerging problems: similar complaints of the last N days grouped with TF-IDF + k-means.

Per language, the client messages the engine read as a complaint or as negative, of the last
``days`` days and of the ``days`` before, are turned into TF-IDF vectors (word 1-2-grams and
character 3-5-grams inside words: inflected Polish and Serbian forms and Hebrew prefixes
still meet) and clustered with scikit-learn's ``MiniBatchKMeans``.  A cluster is *new* when
the previous window had none of its messages, *growing* when it at least doubled.  Each
cluster keeps its top words and the messages nearest to its centre (ids only: the report
reads their text, and only for teams whose text the viewer may read).

The result is stored (``EmergingCluster``); the daily fill recomputes it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from calmdesk.desk.models import Organization
from calmdesk.reports.counts import local_midnight
from calmdesk.reports.models import EmergingCluster, FillState, MessageFact

TABLE = "emerging"
DAYS = 14
MIN_SIZE = 3
MIN_MESSAGES = 8
MAX_MESSAGES = 20_000  # per language and window pair (the newest are kept)
MAX_CLUSTERS = 40
EXAMPLES = 5
TERMS = 6


def refresh_if_stale(org: Organization, *, now: dt.datetime | None = None) -> int | None:
    """Recompute the organization's clusters once per local day; None when already done."""
    from calmdesk.reports.fill import org_tz

    now = now or timezone.now()
    state, _ = FillState.objects.get_or_create(organization_id=org.pk, table=TABLE)
    today = now.astimezone(org_tz(org)).date()
    if state.done_until == today:
        return None
    made = compute(org, now=now)
    FillState.objects.filter(pk=state.pk).update(
        state="done", done_until=today, watermark=now, updated_at=timezone.now()
    )
    return len(made)


def compute(
    org: Organization, *, days: int = DAYS, now: dt.datetime | None = None
) -> list[EmergingCluster]:
    """Cluster the organization's complaints and store the result (replacing the last)."""
    from calmdesk.reports.fill import org_tz

    now = now or timezone.now()
    tz = org_tz(org)
    today = now.astimezone(tz).date()
    first = today - dt.timedelta(days=days - 1)
    split = local_midnight(first, tz)
    start = local_midnight(first - dt.timedelta(days=days), tz)
    rows = list(
        MessageFact.objects.filter(
            organization_id=org.pk, occurred_at__gte=start, occurred_at__lte=now
        )
        .exclude(negative=False, complaint=False)
        .order_by("-occurred_at")
        .values_list("interaction_id", "team_id", "language", "occurred_at", "interaction__text")
    )
    by_lang: dict[str, list[tuple[int, int, bool, str]]] = defaultdict(list)
    for pk, team, lang, at, text in rows:
        if text and len(by_lang[lang or "?"]) < MAX_MESSAGES:
            by_lang[lang or "?"].append((pk, team, at >= split, text))
    found: list[EmergingCluster] = []
    for lang, items in sorted(by_lang.items()):
        for cluster in cluster_messages(items):
            found.append(
                EmergingCluster(
                    organization_id=org.pk,
                    computed_at=now,
                    date_from=first,
                    date_to=today,
                    language=lang,
                    **cluster,
                )
            )
    found.sort(key=lambda c: (not c.new, not c.growing, -(c.size - c.previous)))
    found = found[:MAX_CLUSTERS]
    with transaction.atomic():
        EmergingCluster.objects.filter(organization_id=org.pk).delete()
        EmergingCluster.objects.bulk_create(found)
    return found


def cluster_messages(items: list[tuple[int, int, bool, str]]) -> list[dict[str, Any]]:
    """Clusters of one language: ``items`` are (interaction id, team id, in the current
    window, text).  Returns the fields of each cluster with at least MIN_SIZE current
    messages."""
    if len(items) < MIN_MESSAGES:
        return []
    from scipy.sparse import hstack
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    texts = [t.lower() for *_, t in items]
    words = TfidfVectorizer(
        analyzer="word",
        token_pattern=r"(?u)\b\w\w\w+\b",  # noqa: S106 - a regex, not a password
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.5,
        sublinear_tf=True,
        max_features=20_000,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        min_df=2,
        max_df=0.5,
        sublinear_tf=True,
        max_features=30_000,
    )
    try:
        w = words.fit_transform(texts)
        c = chars.fit_transform(texts)
    except ValueError:  # nothing shared between the messages
        return []
    x = normalize(hstack([w, c]).tocsr())
    k = max(2, min(MAX_CLUSTERS, round(math.sqrt(len(items) / 2))))
    model = MiniBatchKMeans(n_clusters=k, random_state=0, n_init=3, batch_size=1024)
    labels = model.fit_predict(x)
    vocab = np.array(words.get_feature_names_out())
    out: list[dict[str, Any]] = []
    for label in range(k):
        members = np.flatnonzero(labels == label)
        current = [i for i in members if items[i][2]]
        if len(current) < MIN_SIZE:
            continue
        previous = len(members) - len(current)
        centre = model.cluster_centers_[label]
        # squared distance to the centre, without densifying the rows (they have norm 1)
        dist = 1.0 - 2.0 * np.asarray(x[current] @ centre).ravel() + float(centre @ centre)
        seen: set[str] = set()
        examples: list[list[int]] = []
        for i in np.argsort(dist):
            idx = current[int(i)]
            if texts[idx] in seen:
                continue
            seen.add(texts[idx])
            examples.append([items[idx][0], items[idx][1]])
            if len(examples) >= EXAMPLES:
                break
        weights = np.asarray(w[members].sum(axis=0)).ravel()
        terms = [str(vocab[i]) for i in np.argsort(-weights)[:TERMS] if weights[i] > 0]
        teams: dict[str, list[int]] = {}
        counts = Counter((items[i][1], items[i][2]) for i in members)
        for (team, now_), n in counts.items():
            teams.setdefault(str(team), [0, 0])[0 if now_ else 1] += n
        out.append(
            {
                "terms": terms,
                "size": len(current),
                "previous": previous,
                "new": previous == 0,
                "growing": len(current) >= 2 * max(previous, 1) and previous > 0,
                "team_counts": teams,
                "examples": examples,
            }
        )
    return out
