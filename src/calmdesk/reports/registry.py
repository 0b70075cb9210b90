"""The report registry as the pages see it: ``calmdesk.reports.definitions.REPORTS`` (slug ->
definition, in display order).  Tests may set ``OVERRIDE`` to their own definitions."""

from __future__ import annotations

import importlib
import importlib.util

from calmdesk.reports.types import ReportDefinition

OVERRIDE: dict[str, ReportDefinition] | None = None


def reports() -> dict[str, ReportDefinition]:
    if OVERRIDE is not None:
        return OVERRIDE
    if importlib.util.find_spec("calmdesk.reports.definitions") is None:
        return {}
    module = importlib.import_module("calmdesk.reports.definitions")
    registry: dict[str, ReportDefinition] = module.REPORTS
    return registry
