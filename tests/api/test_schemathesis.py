"""Property-based requests generated from the OpenAPI spec: the service never answers 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from advisor.api import create_app
from advisor.config import Settings
from tests.api.conftest import ADMIN_TOKEN, LiveServer

ROWS = b'{"id": "a", "input": "x", "reference": "Yes"}\n{"id": "b", "input": "y", "reference": "No"}\n'


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    settings_ = Settings(
        data_dir=tmp / "data",
        database_url=f"sqlite:///{tmp / 'store.db'}",
        admin_token=ADMIN_TOKEN,
        max_upload_bytes=200_000,
    )
    with LiveServer(settings_) as srv:
        key = srv.new_project("fuzz")
        with srv.client(key) as c:  # something real to find: a dataset
            assert c.post("/v1/datasets", files={"file": ("rows.jsonl", ROWS)}).status_code == 201
        yield srv, key


@schemathesis.serializer("application/x-ndjson", "application/vnd.apache.parquet")
def _raw_body(_ctx: Any, value: Any) -> bytes:
    """Streamed uploads: generated strings or bytes go out as the raw body."""
    return value if isinstance(value, bytes) else str(value).encode()


# The spec the app publishes (building the app starts nothing); requests go to the live server.
schema = schemathesis.openapi.from_dict(create_app(Settings(data_dir="unused")).openapi())


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: schemathesis.Case, live: tuple[LiveServer, str]) -> None:
    srv, key = live
    response = case.call(base_url=srv.url, headers={"X-API-Key": key, "X-Admin-Token": ADMIN_TOKEN}, timeout=30)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
