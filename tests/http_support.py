"""Raw HTTP/1.1 over one socket, for what an HTTP library hides: whether the server keeps the
connection after an answer, a body cut short, a client that walks away mid-upload."""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawConnection:
    """One keep-alive connection to ``url`` (``http://host:port``)."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        parts = urlsplit(url)
        self.host = f"{parts.hostname}:{parts.port}"
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)

    def send_head(
        self, method: str, path: str, headers: dict[str, str] | None = None, length: int | None = 0
    ) -> None:
        """The request line and headers (``Content-Length: length`` unless it is None)."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        given = {k.lower() for k in (headers or {})}
        if length is not None and "content-length" not in given:
            lines.append(f"Content-Length: {length}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self, method: str = "GET") -> Answer:
        """The next response on the connection (``ConnectionError`` if the server closed it)."""
        response = http.client.HTTPResponse(self.sock, method=method)
        try:
            response.begin()
        except (http.client.RemoteDisconnected, http.client.BadStatusLine) as e:
            raise ConnectionError(f"the server closed the connection: {e}") from e
        body = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Answer:
        self.send_head(method, path, headers, len(body))
        self.send_bytes(body)
        return self.answer(method)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes]], boundary: str = "vidsenseBoundary"
) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, data) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
