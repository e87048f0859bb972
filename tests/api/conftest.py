"""Fixtures for the service: a real server on 127.0.0.1 over a real SQLite file or PostgreSQL database."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from advisor.api import create_app
from advisor.config import Settings

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ADMIN_TOKEN = "test-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``create_app(settings)`` served by uvicorn in a thread on 127.0.0.1."""

    def __init__(self, settings: Settings, **app_kwargs: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = settings
        config = uvicorn.Config(
            create_app(settings, **app_kwargs), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"X-API-Key": key} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def new_project(self, name: str | None = None) -> str:
        with self.client() as c:
            r = c.post(
                "/v1/projects",
                json={"name": name or f"p-{uuid.uuid4().hex[:8]}"},
                headers={"X-Admin-Token": ADMIN_TOKEN},
            )
        assert r.status_code == 201, r.text
        return str(r.json()["api_key"])


def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test session, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as e:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is unreachable ({e}); the SQLite variant still runs")
    name = f"advisor_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store the service supports: a SQLite file in tmp_path, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from pg_database()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**kw: Any) -> Settings:
        kw.setdefault("data_dir", tmp_path / "data")
        kw.setdefault("admin_token", ADMIN_TOKEN)
        return Settings(**kw)

    return make


@pytest.fixture
def server(make_settings: Callable[..., Settings], tmp_path: Path) -> Iterator[LiveServer]:
    """A live server on a SQLite file."""
    with LiveServer(make_settings(database_url=f"sqlite:///{tmp_path / 'store.db'}")) as s:
        yield s


def wait_for_run(client: httpx.Client, run_id: str, timeout_s: float = 300) -> dict[str, Any]:
    """Poll a run until it is final; return its last state."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = client.get(f"/v1/runs/{run_id}")
        assert r.status_code == 200, r.text
        run: dict[str, Any] = r.json()
        if run["status"] in ("succeeded", "failed", "cancelled"):
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run['status']} after {timeout_s}s: {run['progress']}")
        time.sleep(0.2)
