"""Reading what the loopback SMTP server received: parts, attachments, links."""

import io
import json
import re
import zipfile
from urllib.parse import urlsplit

import pypdfium2

LINK = re.compile(r'href="([^"]+)"')
PIXEL = re.compile(r'<img src="([^"]+)" width="1" height="1"')


def parts(message):
    """(plain text, html, [attachments]) of a parsed EmailMessage."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html, list(message.iter_attachments())


def pdf_pages(data: bytes) -> int:
    assert data.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def pass_json(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {"pass.json", "manifest.json", "signature"} <= set(archive.namelist())
        return json.loads(archive.read("pass.json"))


def local_path(url: str) -> str:
    """The path of an absolute link in an email, to request it with the test client."""
    return urlsplit(url).path


def links(html: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in LINK.findall(html)]


def link_named(html: str, label: str) -> str:
    match = re.search(r'<a href="([^"]+)"[^>]*>' + re.escape(label) + "</a>", html)
    assert match, f"no link labelled {label!r}"
    return match.group(1).replace("&amp;", "&")


def run_on_commit(django_capture_on_commit_callbacks, func, *args, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return func(*args, **kwargs)
