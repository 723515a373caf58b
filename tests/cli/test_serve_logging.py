"""`doudi serve` keeps tokens given in feed URLs (``?token=``) out of the access log."""

from __future__ import annotations

import asyncio
import io
import logging
import logging.config
import socket
import threading
import time
from typing import Any

import httpx
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.cli.serve import HTTP, LOOP, _log_config


def test_access_log_hides_tokens_in_urls() -> None:
    logging.config.dictConfig(_log_config())
    logger = logging.getLogger("uvicorn.access")
    stream = io.StringIO()
    handler = logger.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    for path in (
        "/calendar/450326.ics?token=s3cret-Token_1",
        "/calendar/450326.ics?from=2026-01-01&token=s3cret-Token_1&to=2026-02-01",
    ):
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", path, "1.1", 200)
    text = stream.getvalue()
    assert "s3cret" not in text
    assert text.count("token=***") == 2
    assert "from=2026-01-01" in text and "to=2026-02-01" in text


def test_serve_runs_uvloop_and_httptools_and_still_hides_tokens() -> None:
    """`doudi serve`'s uvicorn stack (uvloop, httptools: dependencies, named so that a missing
    one fails the start) serves a request and logs it with the token hidden."""
    loops: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        loops.append(type(asyncio.get_running_loop()).__module__)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=_log_config(),
        lifespan="off",
        loop=LOOP,
        http=HTTP,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        handler = logging.getLogger("uvicorn.access").handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        stream = io.StringIO()
        handler.setStream(stream)
        r = httpx.get(f"http://127.0.0.1:{port}/calendar/450326.ics?token=s3cret-Token_1")
        assert r.status_code == 200 and r.text == "ok"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    assert config.http_protocol_class is HttpToolsProtocol
    assert loops and loops[0].startswith("uvloop")
    text = stream.getvalue()
    assert "/calendar/450326.ics?token=***" in text and "s3cret" not in text
