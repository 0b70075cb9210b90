"""Every string the report pages, exports and the weekly email mark for translation is in the
four catalogs (pl, sr Cyrillic, sr Latin, he) and in their compiled .mo files."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import calmdesk

PACKAGE = Path(calmdesk.__file__).resolve().parent
REPORTS = PACKAGE / "reports"
LOCALE = PACKAGE / "locale"
MODULES = ("views.py", "forms.py", "export.py", "weekly.py")


def marked() -> set[str]:
    found: set[str] = set()
    for template in (REPORTS / "templates" / "reports").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        found.update(re.findall(r'{% translate "([^"]+)"', text))
        found.update(re.findall(r"{% translate '([^']+)'", text))
        for body in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.S):
            found.add(re.sub(r"{{ ?(\w+) ?}}", r"%(\1)s", body))
    for name in MODULES:
        found.update(re.findall(r'\b_\(\s*"([^"]+)"', (REPORTS / name).read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("locale", ["pl", "sr", "sr_Latn", "he"])
def test_every_report_page_string_is_translated(locale):
    strings = marked()
    assert len(strings) > 50
    with (LOCALE / locale / "LC_MESSAGES" / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    known = catalog._catalog  # type: ignore[attr-defined]
    missing = sorted(s for s in strings if not known.get(s, "").strip())
    assert missing == [], (locale, missing)
