"""JSON bodies with every string made storable (NUL and lone surrogates → U+FFFD), so a
client's message is never refused for a broken character."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from calmdesk.desk.lib.text import clean_text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean(v) for k, v in value.items()}
    return value


class CleanJSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        return _clean(json.loads(request.body))
