"""Check the hash chains of the interaction log and the audit log.

``verify_logs()`` walks every chain and returns one ``Break`` per broken chain: the first
row whose sequence number, back-link or hash does not match.  It also checks that the
attachments listed in an interaction's (hashed) data are exactly its Attachment rows, and
that no interaction the audit log refers to is missing from the end of its chain.
``calmdesk verify-log`` prints the breaks and exits non-zero when there are any.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from calmdesk.desk.lib.hashchain import GENESIS, audit_payload, chain_hash, interaction_payload
from calmdesk.desk.models import Attachment, AuditEntry, Interaction


@dataclass(frozen=True)
class Break:
    table: str
    chain: str  # "case 12", "organization 3" or "platform"
    seq: int
    row_id: str
    problem: str
    expected: str
    found: str

    def __str__(self) -> str:
        return (
            f"{self.table} {self.chain}, seq {self.seq} (id {self.row_id}): {self.problem}; "
            f"expected {self.expected}, found {self.found}"
        )


def _check_row(
    table: str, chain: str, row: Any, expected_seq: int, prev_hash: str, payload: dict[str, Any]
) -> Break | None:
    def brk(problem: str, expected: Any, found: Any) -> Break:
        return Break(table, chain, row.seq, str(row.pk), problem, str(expected), str(found))

    if row.seq != expected_seq:
        return brk("sequence gap or reordering", f"seq {expected_seq}", f"seq {row.seq}")
    if row.prev_hash != prev_hash:
        return brk("back-link does not match the previous row", prev_hash, row.prev_hash)
    computed = chain_hash(prev_hash, payload)
    if computed != row.hash:
        return brk("content does not match its hash (row changed)", computed, row.hash)
    return None


def _walk(
    table: str, rows: Iterator[Any], chain_of: Any, payload_of: Any
) -> tuple[list[Break], dict[Any, int]]:
    breaks: list[Break] = []
    broken: set[Any] = set()
    state: dict[Any, tuple[int, str]] = {}
    last_seq: dict[Any, int] = {}
    for row in rows:
        key, label = chain_of(row)
        last_seq[key] = row.seq
        if key in broken:
            continue
        seq, prev = state.get(key, (0, GENESIS))
        problem = _check_row(table, label, row, seq + 1, prev, payload_of(row))
        if problem is not None:
            breaks.append(problem)
            broken.add(key)
            continue
        state[key] = (row.seq, row.hash)
    return breaks, last_seq


def _attachment_breaks(check_files: bool) -> list[Break]:
    breaks: list[Break] = []
    rows: dict[int, dict[str, tuple[str, int, str]]] = {}
    for att in Attachment.objects.order_by("interaction_id", "id").iterator():
        rows.setdefault(att.interaction_id, {})[att.id] = (att.sha256, att.size, att.filename)
        if check_files:
            path = Path(settings.MEDIA_ROOT) / str(att.file.name)
            found = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
            if found != att.sha256:
                breaks.append(
                    Break(
                        "desk_attachment",
                        f"interaction {att.interaction_id}",
                        0,
                        att.id,
                        "stored file does not match its SHA-256",
                        att.sha256,
                        found,
                    )
                )
    listed = Interaction.objects.filter(data__has_key="attachments").values_list(
        "id", "case_id", "seq", "data"
    )
    seen: set[int] = set()
    for interaction_id, case_id, seq, data in listed.iterator():
        seen.add(interaction_id)
        want = {
            a["id"]: (a["sha256"], a["size"], a["filename"]) for a in data.get("attachments", [])
        }
        have = rows.get(interaction_id, {})
        if want != have:
            breaks.append(
                Break(
                    "desk_attachment",
                    f"case {case_id}",
                    seq,
                    str(interaction_id),
                    "attachment rows differ from the hashed list",
                    str(sorted(want)),
                    str(sorted(have)),
                )
            )
    for interaction_id, have in rows.items():
        if interaction_id not in seen:
            breaks.append(
                Break(
                    "desk_attachment",
                    f"interaction {interaction_id}",
                    0,
                    str(interaction_id),
                    "attachment rows on an entry that lists none",
                    "[]",
                    str(sorted(have)),
                )
            )
    return breaks


def verify_logs(*, check_files: bool = False) -> list[Break]:
    """Every chain's first break (empty list: all logs intact)."""
    interactions = Interaction.objects.order_by("case_id", "seq").iterator(chunk_size=2000)
    breaks, last_seq = _walk(
        "desk_interaction",
        interactions,
        lambda r: (r.case_id, f"case {r.case_id}"),
        interaction_payload,
    )
    audit_rows = AuditEntry.objects.order_by("organization_id", "seq").iterator(chunk_size=2000)
    audit_breaks, _ = _walk(
        "desk_auditentry",
        audit_rows,
        lambda r: (
            r.organization_id,
            f"organization {r.organization_id}" if r.organization_id else "platform",
        ),
        audit_payload,
    )
    breaks += audit_breaks
    # A deleted last row leaves no gap; the audit log still names it.
    broken_cases = {b.chain for b in breaks if b.table == "desk_interaction"}
    referenced: dict[int, tuple[int, int]] = {}
    for entry_id, data in (
        AuditEntry.objects.filter(action__startswith="interaction.")
        .values_list("id", "data")
        .iterator()
    ):
        case_id, seq = data.get("case"), data.get("seq")
        if (
            isinstance(case_id, int)
            and isinstance(seq, int)
            and seq > referenced.get(case_id, (0, 0))[0]
        ):
            referenced[case_id] = (seq, entry_id)
    for case_id, (seq, entry_id) in sorted(referenced.items()):
        if last_seq.get(case_id, 0) < seq and f"case {case_id}" not in broken_cases:
            breaks.append(
                Break(
                    "desk_interaction",
                    f"case {case_id}",
                    seq,
                    "?",
                    f"entry named by audit entry {entry_id} is missing (end of chain cut)",
                    f"seq {seq}",
                    f"last seq {last_seq.get(case_id, 0)}",
                )
            )
    breaks += _attachment_breaks(check_files)
    return breaks
