"""The principle pages the coach's findings link to: ``/docs/principles/<lang>/<NN>-<slug>``.

The pages are Markdown files (docs/principles/<lang>/ in the repository, shipped in the wheel
as calmdesk/principles/).  They are public guidance: no sign-in needed.  They are rendered with
a small subset of Markdown written here (headings, paragraphs, lists, emphasis, inline code and
links to other principle pages); every character of the file is escaped, anything else (raw
HTML, images, links elsewhere) is shown as text.  The Serbian pages are written in Latin script;
users of the Cyrillic UI get them transliterated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from calmdesk.desk.lib.analysis import to_cyrillic
from calmdesk.desk.views._common import render_page

PAGE_LANGS = ("en", "pl", "sr", "he")
RTL_LANGS = ("he",)
SLUG_RE = re.compile(r"^(?:index|\d\d-[a-z0-9]+(?:-[a-z0-9]+)*)$")
# where the pages are: the package folder first (wheel), then the repository (editable install)
ROOTS: list[Path] = [
    Path(__file__).resolve().parents[2] / "principles",
    Path(__file__).resolve().parents[4] / "docs" / "principles",
]

# a line holding only a layout wrapper (the Hebrew pages are wrapped in <div dir="rtl">): the
# page gets its direction from its language, so the wrapper is dropped, never passed through
_WRAPPER_RE = re.compile(r'^\s*(?:<div dir="rtl">|</div>)\s*$')
_HEADING_RE = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
_BULLET_RE = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBER_RE = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
_INLINE_RE = re.compile(
    r"\*\*(?P<strong>.+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])"
    r"|`(?P<code>[^`]+)`"
    r"|\[(?P<label>[^\]]+)\]\((?P<target>[^)\s]+)\)"
)
_TARGET_RE = re.compile(
    r"^(?:(?:\.\./)?(?P<lang>en|pl|sr|he)/)?(?P<slug>index|\d\d-[a-z0-9]+(?:-[a-z0-9]+)*)\.md$"
)


def pages_root() -> Path | None:
    for root in ROOTS:
        if root.is_dir() and any((root / lang).is_dir() for lang in PAGE_LANGS):
            return root
    return None


def page_path(lang: str, slug: str) -> Path | None:
    """The file of a page, or None for an unknown language or page (never outside the root)."""
    root = pages_root()
    if root is None or lang not in PAGE_LANGS or not SLUG_RE.match(slug):
        return None
    path = root / lang / f"{slug}.md"
    return path if path.is_file() else None


def page_lang_for(ui_language: str | None) -> str:
    code = (ui_language or "en").lower()
    if code.startswith(("sr", "hr", "bs")):
        return "sr"
    return code if code in PAGE_LANGS else "en"


class _Renderer:
    def __init__(self, lang: str, text_fn: Callable[[str], str]) -> None:
        self.lang = lang
        self.text_fn = text_fn

    def text(self, raw: str) -> str:
        return str(escape(self.text_fn(raw)))

    def link(self, target: str) -> str | None:
        found = _TARGET_RE.match(target)
        if found is None:
            return None
        lang, slug = found.group("lang") or self.lang, found.group("slug")
        if page_path(lang, slug) is None:
            return None
        return reverse("desk:principle", kwargs={"lang": lang, "slug": slug})

    def inline(self, raw: str) -> str:
        out: list[str] = []
        pos = 0
        for m in _INLINE_RE.finditer(raw):
            out.append(self.text(raw[pos : m.start()]))
            pos = m.end()
            if m.group("strong") is not None:
                out.append(f"<strong>{self.inline(m.group('strong'))}</strong>")
            elif m.group("em") is not None:
                out.append(f"<em>{self.inline(m.group('em'))}</em>")
            elif m.group("code") is not None:
                out.append(f"<code>{escape(m.group('code'))}</code>")
            else:
                target = _TARGET_RE.match(m.group("target"))
                other = target is not None and target.group("lang") not in (None, self.lang)
                # a link to another language's page keeps its own name (not transliterated)
                label = _Renderer(self.lang, str).inline(m.group("label")) if other else None
                label = label or self.inline(m.group("label"))
                href = self.link(m.group("target"))
                out.append(f'<a href="{escape(href)}">{label}</a>' if href else label)
        out.append(self.text(raw[pos:]))
        return "".join(out)

    def render(self, source: str) -> tuple[str, SafeString]:
        """(title, HTML) of a Markdown page; the title is the first heading's text."""
        html: list[str] = []
        title = ""
        para: list[str] = []
        items: list[str] = []
        list_tag = ""

        def flush() -> None:
            nonlocal list_tag
            if para:
                html.append(f"<p>{self.inline(' '.join(para))}</p>")
                para.clear()
            if items:
                body = "".join(f"<li>{self.inline(item)}</li>" for item in items)
                html.append(f"<{list_tag}>{body}</{list_tag}>")
                items.clear()
                list_tag = ""

        for line in source.splitlines():
            if _WRAPPER_RE.match(line):
                continue
            stripped = line.strip()
            if not stripped:
                flush()
                continue
            heading = _HEADING_RE.match(line)
            bullet = _BULLET_RE.match(line)
            number = None if bullet else _NUMBER_RE.match(line)
            if heading:
                flush()
                level = len(heading.group(1))
                if not title:
                    title = self.text_fn(heading.group(2).replace("*", ""))
                html.append(f"<h{level}>{self.inline(heading.group(2))}</h{level}>")
            elif bullet or number:
                tag = "ul" if bullet else "ol"
                if para or (items and tag != list_tag):
                    flush()
                list_tag = tag
                items.append((bullet or number).group(1))  # type: ignore[union-attr]
            elif items and line[:1].isspace():
                items[-1] += " " + stripped  # a wrapped list item
            else:
                if items:
                    flush()
                para.append(stripped)
        flush()
        return title, mark_safe("\n".join(html))  # noqa: S308 - every text part went through escape()


def render_markdown(
    source: str, *, lang: str = "en", text_fn: Callable[[str], str] = str
) -> tuple[str, SafeString]:
    return _Renderer(lang, text_fn).render(source)


def _show(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    path = page_path(lang, slug)
    if path is None:
        raise Http404("no such principle page")
    ui = (get_language() or "en").lower()
    # the Serbian pages are in Latin script: Cyrillic for users of the Cyrillic UI
    cyrillic = lang == "sr" and ui == "sr"
    text_fn: Callable[[str], str] = to_cyrillic if cyrillic else str
    title, body = render_markdown(path.read_text(encoding="utf-8"), lang=lang, text_fn=text_fn)
    context = {
        "title": title,
        "body": body,
        "page_lang": "sr-Cyrl" if cyrillic else ("sr-Latn" if lang == "sr" else lang),
        "page_dir": "rtl" if lang in RTL_LANGS else "ltr",
        "is_index": slug == "index",
        "index_url": reverse("desk:principle", kwargs={"lang": lang, "slug": "index"}),
    }
    return render_page(request, "desk/principle.html", context)


@require_safe
def principle_index(request: HttpRequest) -> HttpResponse:
    """The list of the twelve principles in the user's language."""
    return _show(request, page_lang_for(get_language()), "index")


@require_safe
def principle_page(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    return _show(request, lang, slug)
