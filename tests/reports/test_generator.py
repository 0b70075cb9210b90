"""The benchmark's data generator writes rows the desk and the reports accept: intact hash
chains, facts for every client message and reply, and reports with figures after a fill."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from calmdesk.desk.lib.verify import verify_logs
from calmdesk.desk.models import Case, Interaction
from calmdesk.reports.fill import fill
from calmdesk.reports.models import MessageFact, ReplyFact

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location(
            "generate_report_data", ROOT / "scripts" / "generate_report_data.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "scripts"))


@pytest.mark.django_db
def test_generated_data_is_accepted_by_the_desk_and_the_reports() -> None:
    gen = _generator()
    _world, _bank, written = gen.generate(
        cases=40, interactions=400, days=30, progress=lambda s: None
    )
    assert Case.objects.count() == 40
    assert written == Interaction.objects.count() > 40
    assert verify_logs() == []
    inbound = Interaction.objects.filter(kind="inbound").count()
    outbound = Interaction.objects.filter(kind="outbound").count()
    assert MessageFact.objects.count() == inbound > 0
    assert ReplyFact.objects.count() == outbound > 0
    report = fill(full=True)
    assert sum(report.days.values()) > 0
