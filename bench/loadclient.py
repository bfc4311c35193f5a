"""A lean HTTP/1.1 keep-alive client on asyncio streams, for bench/load.py.

The load generator runs on the same two cores as the server it measures, so its own cost is taken from the
server. httpx spent about 4.5 ms of CPU per request here (0.7 of a core at 154 scans/s); this client writes
one request and reads one response per call, with no cookie jar, redirects or header objects, for a small
fraction of that. It speaks just what gunicorn answers: a status line, headers, then a Content-Length or
chunked body.
"""

import asyncio
import json as jsonlib
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Response:
    status_code: int
    content: bytes


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.used = False  # a reused connection the server closed while idle is reopened once

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, request: bytes) -> Response | None:
        """One request and its response; None when the server had closed this idle connection."""
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:
            return None
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, keep = 0, False, True
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                keep = value != b"close"
        body = await self._chunked() if chunked else await self.reader.readexactly(length)
        self.used = keep
        if not keep:
            self.close()
        return Response(status, body)

    async def _chunked(self) -> bytes:
        parts = []
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()  # the blank line after the last chunk (no trailers from gunicorn)
        return b"".join(parts)


class Client:
    """At most `connections` requests at once over keep-alive connections to `base` (http://host:port)."""

    def __init__(self, base: str, connections: int):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.idle: list[_Connection] = []
        self.slots = asyncio.Semaphore(max(1, connections))

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        for connection in self.idle:
            connection.close()
        self.idle.clear()

    async def _open(self) -> _Connection:
        return _Connection(*await asyncio.open_connection(self.host, self.port))

    async def request(self, method: str, path: str, *, headers: dict | None = None, content: bytes = b"",
                      json=None) -> Response:
        if json is not None:
            content = jsonlib.dumps(json).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(content)}"]
        head += [f"{name}: {value}" for name, value in (headers or {}).items()]
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + content
        async with self.slots:
            connection = self.idle.pop() if self.idle else await self._open()
            try:
                response = await connection.exchange(request)
                if response is None and connection.used:
                    connection.close()
                    connection = await self._open()
                    response = await connection.exchange(request)
            except BaseException:
                connection.close()  # never reuse a connection left mid-response (error, timeout, cancel)
                raise
            if response is None:
                connection.close()
                raise ConnectionError("the server closed the connection without answering")
            if connection.used:
                self.idle.append(connection)
            return response

    async def get(self, path: str, **kwargs) -> Response:
        return await self.request("GET", path, **kwargs)
