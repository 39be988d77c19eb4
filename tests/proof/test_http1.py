"""The benchmark's HTTP/1.1 load client (bench.http1) against uvicorn, the services' own server, and
against peers that answer late, badly or not at all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn

from bench.http1 import Client, RequestFailedError, post_request
from runtime.tansu import free_port
from tests.helpers import eventually

Received = list[tuple[dict[str, str], Any]]


@asynccontextmanager
async def uvicorn_serving(received: Received, close_after: int = 0) -> AsyncIterator[int]:
    """An ASGI app on uvicorn that records each request's headers and JSON body and answers with the
    status the body names; with `close_after`, every such answer also closes its connection."""
    answered = 0

    async def app(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        nonlocal answered
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        document = json.loads(body)
        received.append(({k.decode(): v.decode() for k, v in scope["headers"]}, document))
        answered += 1
        headers = [(b"content-type", b"application/json")]
        if close_after and answered % close_after == 0:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": document["status"], "headers": headers})
        await send({"type": "http.response.body", "body": b'{"reference":"x"}'})

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http="httptools", log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        assert not task.done(), "uvicorn did not start"
        return bool(server.started)

    await eventually(started, timeout=10, interval=0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def raw_serving(answer: bytes | None) -> AsyncIterator[int]:
    """A TCP peer that reads a request's head, then writes `answer` and closes the connection, or
    (None) keeps it open without a word until the client closes it."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if answer is None:
            await reader.read()
        else:
            writer.write(answer)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def test_requests_share_the_pool_s_keep_alive_connections_and_arrive_whole() -> None:
    received: Received = []
    async with uvicorn_serving(received) as port:
        client = Client("127.0.0.1", port, connections=3)
        headers = {"Authorization": "Bearer t0k3n"}
        bodies = [{"n": n, "status": 202} for n in range(40)] + [{"n": 40, "status": 409}]
        requests = [post_request(f"127.0.0.1:{port}", "/claims", body, headers) for body in bodies]
        statuses = await asyncio.gather(*(client.send(request) for request in requests))
        await client.close()
    assert statuses == [202] * 40 + [409]
    assert client.opened == 3  # kept alive: 41 requests on three connections
    assert sorted(body["n"] for _, body in received) == list(range(41))
    first_headers = received[0][0]
    assert first_headers["authorization"] == "Bearer t0k3n"
    assert first_headers["content-type"] == "application/json"
    assert first_headers["host"] == f"127.0.0.1:{port}"


async def test_a_connection_the_server_closes_is_opened_again_for_the_next_request() -> None:
    received: Received = []
    async with uvicorn_serving(received, close_after=1) as port:
        client = Client("127.0.0.1", port, connections=1)
        request = post_request(f"127.0.0.1:{port}", "/claims", {"status": 202}, {})
        statuses = [await client.send(request) for _ in range(3)]
        await client.close()
    assert statuses == [202, 202, 202]
    assert client.opened == 3
    assert len(received) == 3


async def test_an_interim_answer_is_passed_over_for_the_final_one() -> None:
    interim_then_final = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
    async with raw_serving(interim_then_final) as port:
        client = Client("127.0.0.1", port, connections=1)
        assert await client.send(post_request(f"127.0.0.1:{port}", "/claims", {}, {})) == 202
        await client.close()


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"SMTP ready\r\n\r\n", "not an HTTP answer"),
        (b"", "connection closed: by the server"),
        (None, "no answer within 0.3 s"),
    ],
)
async def test_a_request_without_an_answer_fails_with_the_reason(answer: bytes | None, reason: str) -> None:
    async with raw_serving(answer) as port:
        client = Client("127.0.0.1", port, connections=1, timeout=0.3)
        request = post_request(f"127.0.0.1:{port}", "/claims", {"status": 202}, {})
        with pytest.raises(RequestFailedError, match=reason):
            await client.send(request)
        await client.close()


async def test_nobody_listening_fails_with_the_reason() -> None:
    client = Client("127.0.0.1", free_port(), connections=1)
    with pytest.raises(RequestFailedError, match="cannot connect"):
        await client.send(post_request("127.0.0.1:1", "/claims", {}, {}))
