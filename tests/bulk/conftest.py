"""The bulk tests' one SparkSession (local mode): started once per test session, on first use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from core.bulk.engines import spark_session

    session = spark_session("local[2]", shuffle_partitions="4")
    try:
        yield session
    finally:
        session.stop()
