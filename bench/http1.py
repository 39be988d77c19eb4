"""A lean HTTP/1.1 client for load: a fixed pool of keep-alive connections, requests encoded before
the clock starts, and only the answer's status read (httptools' C parser, as the services' uvicorn).

The load generator shares the machine with the system it measures, so what it spends a request is
taken from the pipeline. Against a trivial uvicorn app, aiohttp spent 116-121 µs of CPU a request here
(httpx about three times that), this client 15-17 µs (docs/benchmarks.md, section "2026-12-08 01:02")."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any, cast

import httptools


class RequestFailedError(Exception):
    """No answer: the connection failed or closed, the answer was not HTTP, or it came too late."""


def post_request(host: str, path: str, body: Any, headers: Mapping[str, str]) -> bytes:
    """A POST of `body` as JSON, whole, ready to write on a connection to `host` (host:port)."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request at a time."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[int] | None = None
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport, self.open = cast(asyncio.Transport, transport), True  # uvloop's: not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(RequestFailedError(f"not an HTTP answer: {error}"))
            self.close()

    def on_message_complete(self) -> None:  # httptools' callback: an answer has been read whole
        if self._parser.get_status_code() < 200:
            return  # an interim answer (100 Continue): the final one follows
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_result(self._parser.get_status_code())
        if not self._parser.should_keep_alive():
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._fail(RequestFailedError(f"connection closed: {exc or 'by the server'}"))

    def _fail(self, error: RequestFailedError) -> None:
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_exception(error)

    async def send(self, request: bytes) -> int:
        assert self._transport is not None, "not connected"
        assert self._answer is None, "one request at a time"
        if not self.open:  # closed since it was connected: nothing would ever answer
            raise RequestFailedError("connection closed: by the server")
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._answer

    def close(self) -> None:
        self.open = False
        if self._transport is not None:
            self._transport.close()


class Client:
    """`connections` keep-alive connections to host:port, opened as needed; a request waits for an
    idle one, the most recently used first, and `timeout` counts that wait, as aiohttp's connector
    limit and total timeout do."""

    def __init__(self, host: str, port: int, connections: int = 64, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._idle: asyncio.LifoQueue[_Connection | None] = asyncio.LifoQueue()
        for _ in range(connections):
            self._idle.put_nowait(None)  # a place in the pool, connected on first use
        self._opened: list[_Connection] = []

    @property
    def opened(self) -> int:
        """Connections opened so far (reopened after a failure included)."""
        return len(self._opened)

    async def send(self, request: bytes) -> int:
        """The answer's status code; RequestFailedError when there is none."""
        connection: _Connection | None = None
        taken = False
        try:
            async with asyncio.timeout(self.timeout):
                connection = await self._idle.get()
                taken = True
                if connection is None or not connection.open:
                    connection = None
                    connection = await self._connect()
                return await connection.send(request)
        except BaseException as error:
            if connection is not None:
                connection.close()  # an answer may still come: the connection cannot be reused
            if isinstance(error, TimeoutError):
                raise RequestFailedError(f"no answer within {self.timeout:g} s") from None
            if isinstance(error, OSError):
                raise RequestFailedError(f"cannot connect: {error}") from None
            raise
        finally:
            if taken:
                self._idle.put_nowait(connection if connection is not None and connection.open else None)

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _transport, connection = await loop.create_connection(_Connection, self.host, self.port)
        self._opened.append(connection)
        return connection

    async def close(self) -> None:
        """Every connection it opened, idle or not."""
        for connection in self._opened:
            connection.close()
