"""Every scenario file loads and validates; bad files fail with the file and the field named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from calmdesk.simulation import (
    CATEGORIES,
    ScenarioError,
    lang_pack,
    list_scenarios,
    load_scenario,
    load_scenario_file,
)
from calmdesk.simulation.scenarios import SCENARIO_DIR, gendered, translit

from .conftest import LANGS


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_has_all_nine_situations(lang: str) -> None:
    scenarios = list_scenarios(lang)
    assert len(scenarios) >= 8
    assert {s.category for s in scenarios} == set(CATEGORIES)
    for s in scenarios:
        assert s.lang == lang
        assert s.facts and s.lines["opening"]
        # many utterances per scenario (its own lines plus the language pack)
        own = sum(len(v) for v in s.lines.values()) + sum(len(f.lines) for f in s.facts)
        assert own >= 15, (s.id, own)
        pack = lang_pack(lang)
        assert len(s.lines["calmer"]) + len(pack.lines["calmer"]) >= 13


@pytest.mark.parametrize("lang", ["en", "pl", "sr-latn", "he"])
def test_language_pack_has_many_lines_per_event(lang: str) -> None:
    pack = lang_pack(lang)
    for event in ("calmer", "angrier", "neutral"):
        assert len(pack.lines[event]) >= 10, event
    for event in ("insulted", "blamed", "lectured", "robotic", "refused", "transferred"):
        assert len(pack.lines[event]) >= 6, event
    assert all(pack.principle_names[n] for n in range(1, 13))


def test_serbian_cyrillic_is_made_from_latin_and_keeps_placeholders() -> None:
    latin = {s.id: s for s in list_scenarios("sr-latn")}
    for s in list_scenarios("sr"):
        assert s.title == translit(latin[s.id].title)
        for lines in s.lines.values():
            for line in lines:
                letters = re.sub(r"\{[a-z_]+\}", "", line)
                assert not re.search(r"[A-Za-zčćšžđČĆŠŽĐ]", letters), line
    pack = lang_pack("sr")
    assert any("{promise}" in x for x in pack.lines["quote_promise"])
    assert translit("Ljubav, njiva, džep {promise}") == "Љубав, њива, џеп {promise}"


def test_gendered_forms() -> None:
    assert gendered("Sama to załatwię, [sama|sam].", "m") == "Sama to załatwię, sam."
    assert gendered("[rekla|rekao]", "f") == "rekla"


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="late-delivery"):
        load_scenario("no-such-scenario", "en")
    with pytest.raises(ValueError, match="unknown scenario language"):
        list_scenarios("xx")


def _write(tmp_path: Path, data: object, lang: str = "en") -> Path:
    folder = tmp_path / lang
    folder.mkdir(exist_ok=True)
    path = folder / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _valid() -> dict[str, object]:
    source = SCENARIO_DIR / "en" / "late-delivery.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("title"), "field 'title': is missing"),
        (lambda d: d.update(category="chit_chat"), "field 'category': unknown"),
        (lambda d: d["persona"].update(anger=140), "field 'persona.anger'"),
        (lambda d: d["facts"][0].update(earned_by=["magic"]), "field 'facts[0].earned_by[0]'"),
        (lambda d: d["lines"].update(gossip=["x"]), "field 'lines.gossip'"),
        (lambda d: d["lines"].update(calmer=["same", "same"]), "field 'lines.calmer[1]'"),
        (lambda d: d["lines"].update(calmer=["{nme} hi"]), "unknown placeholder"),
        (lambda d: d.update(cannot_grant=["(unclosed"]), "field 'cannot_grant[0]'"),
        (lambda d: d.update(lang="pl"), "field 'lang'"),
        (lambda d: d["lines"].pop("opening"), "field 'lines.opening'"),
    ],
)
def test_bad_scenario_names_file_and_field(tmp_path: Path, change: object, field: str) -> None:
    data = _valid()
    change(data)  # type: ignore[operator]
    path = _write(tmp_path, data)
    with pytest.raises(ScenarioError) as err:
        load_scenario_file(path)
    assert str(path) in str(err.value)
    assert field in str(err.value)


def test_not_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "en" / "bad.yaml"
    path.parent.mkdir()
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario_file(path)


def test_non_english_persona_needs_a_gender(tmp_path: Path) -> None:
    data = yaml.safe_load(
        (SCENARIO_DIR / "pl" / "spozniona-paczka.yaml").read_text(encoding="utf-8")
    )
    del data["persona"]["gender"]
    path = _write(tmp_path, data, lang="pl")
    with pytest.raises(ScenarioError, match=r"persona\.gender"):
        load_scenario_file(path)
