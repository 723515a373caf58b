"""`doudi serve` keeps tokens given in feed URLs (``?token=``) out of the access log."""

from __future__ import annotations

import io
import logging
import logging.config

from core.cli.serve import _log_config


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
