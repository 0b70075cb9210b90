"""Attachments: stored under random names with safe modes, served only as downloads."""

from __future__ import annotations

import base64
import json
import re
import stat
from pathlib import Path

import pytest

from calmdesk.desk.lib.attachments import content_disposition, sanitize_filename
from calmdesk.desk.models import Attachment

pytestmark = pytest.mark.django_db

HOSTILE = [
    ('report".html', "text/html", b"<script>window.__x=1</script>"),
    ("evil\r\nContent-Type: text/html\r\n\r\n.txt", "text/plain", b"hi"),
    ("../../../etc/passwd", "text/plain", b"root:x:0:0"),
    ("invoice\u202egpj.exe", "image/jpeg", b"MZ"),
    (
        "logo.svg",
        "image/svg+xml",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
    ),
    ("a\x00b.png", "image/png", b"\x89PNG"),
    ("x" * 300 + ".pdf", "application/pdf", b"%PDF-1.4"),
    ("poly.gif", "text/html", b"GIF89a<script>1</script>"),
    ("ok photo.png", "image/png", b"\x89PNG\r\n"),
    ("zdjęcie \u05e9\u05dc\u05d5\u05dd.txt", "text/plain", "čćž".encode()),
]


def upload(world, who="agent_a", case="a"):
    body = {
        "text": "",
        "channel": "email",
        "attachments": [
            {"filename": n, "content_type": t, "content_base64": base64.b64encode(b).decode()}
            for n, t, b in HOSTILE
        ],
    }
    r = world.api(who).post(
        f"/api/v1/cases/{world.cases[case].id}/messages",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    return r.json()["attachments"]


def test_hostile_uploads_are_stored_safely(world, settings):
    listed = upload(world)
    assert len(listed) == len(HOSTILE)
    root = Path(settings.MEDIA_ROOT).resolve()
    for item, (_, _, content) in zip(listed, HOSTILE, strict=True):
        row = Attachment.objects.get(pk=item["id"])
        assert re.fullmatch(r"[0-9a-f]{32}", row.id)  # 128 random bits
        path = (root / row.file.name).resolve()
        assert root in path.parents and path.name == row.id
        assert path.read_bytes() == content
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o007 == 0 and mode <= 0o640
        name = row.filename
        assert not any(ch in name for ch in '"\r\n\x00/\\\u202e')
        assert len(name) <= 200 and not name.startswith(".")
    names = [Attachment.objects.get(pk=i["id"]).filename for i in listed]
    assert names[2] == "passwd"
    assert names[6].endswith(".pdf")


@pytest.mark.parametrize("via", ["page", "api"])
def test_downloads_are_attachments_never_inline(world, via):
    listed = upload(world)
    browser = world.http("agent_a") if via == "page" else world.api("agent_a")
    for item, (original, _, content) in zip(listed, HOSTILE, strict=True):
        url = (
            f"/attachments/{item['id']}/" if via == "page" else f"/api/v1/attachments/{item['id']}"
        )
        r = browser.get(url)
        assert r.status_code == 200, (original, r.status_code)
        assert b"".join(r.streaming_content) == content
        disposition = r["Content-Disposition"]
        assert disposition.startswith('attachment; filename="')
        assert "filename*=UTF-8''" in disposition
        assert "\r" not in disposition and "\n" not in disposition
        fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
        assert fallback.isascii() and '"' not in fallback
        assert r["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in r["Content-Security-Policy"]
        assert "default-src 'none'" in r["Content-Security-Policy"]
        assert r["Cache-Control"] == "private, no-store"
        ctype = r["Content-Type"]
        if original.endswith((".html", ".svg", ".gif", ".exe")):
            # active types, mismatched claims and forged names are never given a type
            assert ctype == "application/octet-stream", (original, ctype)
        assert "html" not in ctype and "svg" not in ctype and "xml" not in ctype
    ok_png = next(i for i in listed if i["filename"] == "ok photo.png")
    page = browser.get(
        f"/attachments/{ok_png['id']}/" if via == "page" else f"/api/v1/attachments/{ok_png['id']}"
    )
    assert page["Content-Type"] == "image/png"


def test_other_team_gets_the_same_404_as_for_nothing(world):
    att = world.attachments["a"].id
    for who in ("agent_b", "outsider"):
        page = world.http(who)
        r = page.get(f"/attachments/{att}/")
        missing = page.get("/attachments/" + "0" * 32 + "/")
        assert r.status_code == missing.status_code == 404
        api = world.api(who)
        r = api.get(f"/api/v1/attachments/{att}")
        assert r.status_code == 404
        assert r.json() == api.get("/api/v1/attachments/" + "0" * 32).json()
    # the mentor sees the shared case's attachment, not the unshared one
    assert world.http("mentor").get(f"/attachments/{att}/").status_code == 200
    anonymous = world.http(None).get(f"/attachments/{att}/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_size_limit_refuses_and_leaves_no_file(world, settings):
    settings.CALMDESK_MAX_ATTACHMENT_BYTES = 10
    body = {
        "text": "big",
        "channel": "email",
        "attachments": [
            {"filename": "small.txt", "content_base64": base64.b64encode(b"ok").decode()},
            {"filename": "big.bin", "content_base64": base64.b64encode(b"x" * 11).decode()},
        ],
    }
    before = sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    r = world.api("agent_a").post(
        f"/api/v1/cases/{world.cases['a'].id}/messages",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "too_large"
    after = sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    assert after == before


def test_filename_helpers():
    assert sanitize_filename("") == "attachment"
    assert sanitize_filename("...") == "attachment"
    assert sanitize_filename("C:\\Users\\x\\doc.pdf") == "doc.pdf"
    header = content_disposition('na"me\u202e.txt')
    assert header == "attachment; filename=\"name.txt\"; filename*=UTF-8''name.txt"
    header = content_disposition("żółw.png")
    assert header.endswith("filename*=UTF-8''%C5%BC%C3%B3%C5%82w.png")
