"""The only way a ticket template reaches outside itself: `data:` URIs and files in its asset folder.

An uploaded template is untrusted input. WeasyPrint would otherwise follow any http(s) or file
URL it meets (images, fonts, stylesheets, SVG references), so every fetch comes through here and
anything else stops the render with `ForbiddenResource`.
"""

import base64
import mimetypes
import urllib.parse
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse


class ForbiddenResource(Exception):
    """The template asked for a URL outside its own assets."""


class AssetOnlyFetcher(URLFetcher):
    def __init__(self, asset_dir: str | Path):
        # fail_on_errors: a refused URL aborts the render instead of being skipped with a warning.
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, fail_on_errors=True)
        self.asset_dir = Path(asset_dir).resolve()

    def fetch(self, url: str, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data(url)
        if scheme == "file":
            return self._file(url)
        raise ForbiddenResource(f"Ticket templates may only use data: URIs and their own asset files, not {url[:120]}")

    def _data(self, url: str) -> URLFetcherResponse:
        header, _, body = url[5:].partition(",")
        parts = header.split(";")
        mime = parts[0] or "text/plain"
        raw = base64.b64decode(body) if "base64" in parts[1:] else urllib.parse.unquote_to_bytes(body)
        return URLFetcherResponse(url, raw, {"Content-Type": mime})

    def _file(self, url: str) -> URLFetcherResponse:
        parsed = urllib.parse.urlsplit(url)
        if parsed.netloc not in ("", "localhost"):
            raise ForbiddenResource(f"Remote file URLs are not allowed in ticket templates: {url[:120]}")
        path = Path(urllib.parse.unquote(parsed.path)).resolve()
        if not path.is_relative_to(self.asset_dir) or not path.is_file():
            raise ForbiddenResource(f"Ticket templates may only read files in their asset folder, not {path}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
