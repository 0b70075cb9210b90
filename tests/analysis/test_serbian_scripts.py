"""Serbian is written once (Latin) and read in both scripts with identical results."""

from __future__ import annotations

from typing import Any

import pytest

from calmdesk.analysis import MessageAnalysis, analyze_message, lat_to_cyr

TEXTS = [
    "Ako mi ne vratite novac do petka, zovem advokata. Ovo je sramota!",
    "Paket nije stigao već dve nedelje, a niko se ne javlja. Šta se dešava?",
    "Hvala vam puno, sve je stiglo na vreme i odlično radi.",
    "Vi ste lopovi i prevaranti, naplatili ste mi dva puta!!!",
    "Ne želim više da živim, izgubio sam sve zbog vas.",
    "Ubiću te kad te nađem.",
    "Ubij me ako znam gde je broj porudžbine.",
    "Trebalo je da stigne u petak, a dobio sam samo poruku. Želim povraćaj novca.",
    "Pišem vam već treći put, LJUTA sam i razočarana. Molim vas pozovite me.",
]


def _view(a: MessageAnalysis) -> dict[str, Any]:
    d = a.to_dict()
    for k in ("script", "language_confidence", "versions", "length", "analysed_ranges"):
        d.pop(k)

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {
                k: strip(v)
                for k, v in x.items()
                if k not in ("span", "spans", "evidence", "start", "end", "text", "label")
            }
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    d["n_evidence"] = len(d.pop("evidence"))
    return dict(strip(d))


@pytest.mark.parametrize("latin", TEXTS)
def test_cyrillic_and_latin_give_identical_results(latin: str) -> None:
    cyr = lat_to_cyr(latin)
    assert cyr != latin
    a = analyze_message(latin, lang="sr")
    b = analyze_message(cyr, lang="sr")
    assert a.language == b.language == "sr"
    assert b.script == "Cyrl" and a.script == "Latn"
    assert _view(a) == _view(b)
    # spans point into each original text
    for x, src in ((a, latin), (b, cyr)):
        for e in x.evidence:
            assert src[e.span.start : e.span.end] == e.span.text


def test_cyrillic_evidence_maps_back_to_cyrillic_words() -> None:
    a = analyze_message("Њих не занима ништа. Убићу се ако ми не вратите новац.", lang="sr")
    assert [c.span.text for c in a.crisis] == ["Убићу се"]
