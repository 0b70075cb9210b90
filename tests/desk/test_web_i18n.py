"""The translation catalogs (pl, sr Cyrillic, sr Latin, he): complete, not fuzzy, compiled,
placeholders intact, the right script, and every string the desk pages mark is in them."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import calmdesk

PACKAGE = Path(calmdesk.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
DESK = PACKAGE / "desk"
LOCALES = ("pl", "sr", "sr_Latn", "he")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{\{ ?[a-z_]+ ?\}\}")


def _unquote(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), text)


def parse_po(path: Path) -> list[dict[str, object]]:
    """Entries of a (possibly wrapped) .po file: msgid, msgid_plural, msgstr list, flags."""
    entries: list[dict[str, object]] = []
    current: dict[str, object] = {"flags": [], "msgstr": []}
    field = ""
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if "msgid" in current:
                entries.append(current)
            current, field = {"flags": [], "msgstr": []}, ""
            continue
        if line.startswith("#,"):
            current["flags"] = [f.strip() for f in line[2:].split(",")]
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d+\])?|msgctxt) "(.*)"$', line)
        if match:
            field, value = match.group(1), _unquote(match.group(2))
            if field.startswith("msgstr"):
                current["msgstr"].append(value)  # type: ignore[union-attr]
            else:
                current[field] = value
            continue
        assert line.startswith('"'), f"{path}: cannot read {line!r}"
        value = _unquote(line[1:-1])
        if field.startswith("msgstr"):
            current["msgstr"][-1] += value  # type: ignore[index]
        else:
            current[field] = str(current[field]) + value
    return entries


def messages(locale: str) -> list[dict[str, object]]:
    return [e for e in parse_po(LOCALE / locale / "LC_MESSAGES" / "django.po") if e["msgid"]]


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete_and_not_fuzzy(locale: str) -> None:
    entries = parse_po(LOCALE / locale / "LC_MESSAGES" / "django.po")
    assert len(entries) > 100
    for entry in entries:
        assert "fuzzy" not in entry["flags"], (locale, entry["msgid"])
        if entry["msgid"]:
            for text in entry["msgstr"]:  # type: ignore[union-attr]
                assert text.strip(), (locale, entry["msgid"])


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_survive_translation(locale: str) -> None:
    for entry in messages(locale):
        expected = set(PLACEHOLDER.findall(str(entry["msgid"])))
        for text in entry["msgstr"]:  # type: ignore[union-attr]
            assert set(PLACEHOLDER.findall(text)) == expected, (locale, entry["msgid"], text)


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_matches_the_po_file(locale: str) -> None:
    mo = LOCALE / locale / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    for entry in messages(locale):
        msgid = str(entry["msgid"])
        forms = entry["msgstr"]
        if "msgid_plural" in entry:
            assert catalog.ngettext(msgid, str(entry["msgid_plural"]), 1) in forms  # type: ignore[operator]
        else:
            assert catalog.gettext(msgid) == forms[0], (locale, msgid)  # type: ignore[index]


def test_scripts_are_right() -> None:
    cyrillic = re.compile(r"[\u0400-\u04ff]")
    hebrew = re.compile(r"[\u0590-\u05ff]")
    for entry in messages("sr_Latn"):
        for text in entry["msgstr"]:  # type: ignore[union-attr]
            assert not cyrillic.search(text), text
    sr = [t for e in messages("sr") for t in e["msgstr"]]  # type: ignore[union-attr]
    he = [t for e in messages("he") for t in e["msgstr"]]  # type: ignore[union-attr]
    assert sum(bool(cyrillic.search(t)) for t in sr) >= 0.95 * len(sr)
    assert sum(bool(hebrew.search(t)) for t in he) >= 0.95 * len(he)
    # the two Serbian catalogs say the same thing
    assert len(messages("sr")) == len(messages("sr_Latn"))


def marked_strings() -> set[str]:
    """Strings the desk pages mark for translation (templates and view modules)."""
    found: set[str] = set()
    for template in (DESK / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        found.update(re.findall(r'{% translate "([^"]+)"', text))
        found.update(re.findall(r"{% translate '([^']+)'", text))
        found.update(re.findall(r'_\("([^"]+)"\)', text))
    for module in [*(DESK / "views").glob("*.py"), DESK / "templatetags" / "desk_extras.py"]:
        found.update(re.findall(r'\b_\(\s*"([^"]+)"', module.read_text(encoding="utf-8")))
    return found


def test_every_marked_string_is_translated() -> None:
    marked = marked_strings()
    assert len(marked) > 60
    for locale in LOCALES:
        msgids = {str(e["msgid"]) for e in messages(locale)}
        assert not marked - msgids, (locale, sorted(marked - msgids))
