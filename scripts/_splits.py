"""The one definition of how the datasets are read and split, shared by every training and
evaluation script: a model is never trained on a row that an evaluation counts as held back.

Rows of a dataset that ships only ``train.csv`` are held back when ``crc32(id) % 100 >= 80``
(the last 20 %); official ``dev.csv`` files are used as they are.
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

csv.field_size_limit(10**9)  # some texts (C-SSRS user histories) are long

HELD_BACK_FROM = 80


def bucket(key: str) -> int:
    """A stable bucket 0-99 for a row id."""
    return zlib.crc32(key.encode("utf-8")) % 100


def held_back(key: str) -> bool:
    """True for the deterministic held-back 20 % that no script trains on."""
    return bucket(key) >= HELD_BACK_FROM


def read(path: Path) -> list[dict[str, str]]:
    """All rows of one CSV file of ../shared/datasets (UTF-8, RFC 4180, header row)."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
