"""Keys and projects: missing/unknown keys are 401, another project's objects are 404, keys are stored hashed."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from tests.api.conftest import ADMIN_TOKEN, LiveServer, wait_for_run

ROWS = "".join(
    f'{{"id": "r{i}", "input": "case {i}", "reference": "{"Yes" if i % 2 else "No"}", '
    f'"outputs": {{"t": {{"output": "{"Yes" if i % 2 else "No"}", "cost_usd": 0.01}}, '
    f'"s": {{"output": "{"Yes" if i % 3 else "No"}", "cost_usd": 0.001}}}}}}\n'
    for i in range(30)
).encode()


def upload(c, content: bytes = ROWS):  # type: ignore[no-untyped-def]
    return c.post("/v1/datasets", files={"file": ("rows.jsonl", content)})


def test_missing_and_unknown_keys_are_401(server: LiveServer) -> None:
    with server.client() as anon:
        for method, path in [("get", "/v1/datasets"), ("get", "/v1/runs"), ("get", "/v1/projects/me")]:
            r = anon.request(method, path)
            assert r.status_code == 401 and "missing API key" in r.json()["detail"]
        assert upload(anon).status_code == 401
    with server.client("adv_not-a-key") as bad:
        r = bad.get("/v1/datasets")
        assert r.status_code == 401 and "unknown" in r.json()["detail"]
    with server.client() as anon:  # bearer form works too
        key = server.new_project("bearer-team")
        r = anon.get("/v1/projects/me", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200 and r.json()["name"] == "bearer-team"


def test_project_creation_needs_the_admin_token(server: LiveServer) -> None:
    with server.client() as c:
        assert c.post("/v1/projects", json={"name": "x"}).status_code == 401
        r = c.post("/v1/projects", json={"name": "x"}, headers={"X-Admin-Token": "wrong"})
        assert r.status_code == 401
        r = c.post("/v1/projects", json={"name": "x"}, headers={"X-Admin-Token": ADMIN_TOKEN})
        assert r.status_code == 201
        r = c.post("/v1/projects", json={"name": "x"}, headers={"X-Admin-Token": ADMIN_TOKEN})
        assert r.status_code == 409


def test_another_projects_objects_are_not_found(server: LiveServer, tmp_path: Path) -> None:
    key_a, key_b = server.new_project("team-a"), server.new_project("team-b")
    with server.client(key_a) as a, server.client(key_b) as b:
        ds = upload(a).json()
        run = a.post(
            "/v1/runs",
            json={
                "dataset_id": ds["id"],
                "task": {"labels": ["Yes", "No"]},
                "teacher": {"name": "t"},
                "students": [{"name": "s"}],
                "n_bootstrap": 200,
            },
        ).json()
        assert wait_for_run(a, run["id"])["status"] == "succeeded"
        assert a.post("/v1/models", json={"name": "t-config", "backend": "recorded"}).status_code == 201
        for path in [
            f"/v1/datasets/{ds['id']}",
            f"/v1/runs/{run['id']}",
            f"/v1/runs/{run['id']}/reports",
            f"/v1/runs/{run['id']}/reports/json",
            "/v1/models/t-config",
        ]:
            assert a.get(path).status_code == 200, path
            assert b.get(path).status_code == 404, path
        assert b.post(f"/v1/runs/{run['id']}/cancel").status_code == 404
        assert b.get("/v1/datasets").json()["count"] == 0 and b.get("/v1/runs").json()["count"] == 0
        r = b.post(
            "/v1/runs",
            json={"dataset_id": ds["id"], "teacher": {"name": "t"}, "students": [{"name": "s"}]},
        )
        assert r.status_code == 404
        # The same file uploaded by team B is B's own dataset.
        ds_b = upload(b)
        assert ds_b.status_code == 201 and ds_b.json()["id"] != ds["id"]
    # Keys are stored as SHA-256 only.
    db = sqlite3.connect(tmp_path / "store.db")
    stored = {h for (h,) in db.execute("SELECT key_hash FROM api_keys")}
    db.close()
    assert key_a not in stored and hashlib.sha256(key_a.encode()).hexdigest() in stored


def test_model_configs_take_secret_references_only(server: LiveServer) -> None:
    with server.client(server.new_project()) as c:
        ok = {
            "name": "gpt",
            "backend": "openai",
            "url": "http://127.0.0.1:9/v1",
            "api_key_env": "OPENAI_API_KEY",
        }
        r = c.post("/v1/models", json=ok)
        assert r.status_code == 201 and r.json()["spec"]["api_key_env"] == "OPENAI_API_KEY"
        secret = "sk-live-1234567890"
        for bad in [
            {**ok, "name": "a", "api_key": secret},  # not a field: a key value is refused
            {**ok, "name": "b", "options": {"api_key": secret}},
            {**ok, "name": "c", "options": {"headers": {"Authorization": f"Bearer {secret}"}}},
            {**ok, "name": "d", "api_key_env": "DATABASE_PASSWORD"},
            {**ok, "name": "e", "api_key_env": None, "api_key_ref": "file:/etc/shadow"},
            {**ok, "name": "f", "path": "/srv/checkpoints"},
            {
                "name": "g",
                "backend": "ray",
                "options": {"inner": {"name": "x", "api_key_env": "DATABASE_PASSWORD"}},
            },
        ]:
            r = c.post("/v1/models", json=bad)
            assert r.status_code == 422, bad
            assert secret not in r.text
        listed = c.get("/v1/models").json()
        assert [m["name"] for m in listed["data"]] == ["gpt"]


@pytest.mark.parametrize("status", ["cancelled"])
def test_cancel_a_queued_run_and_conflict_on_finished(server: LiveServer, status: str) -> None:
    with server.client(server.new_project()) as c:
        ds = upload(c).json()
        body = {
            "dataset_id": ds["id"],
            "task": {"labels": ["Yes", "No"]},
            "teacher": {"name": "t"},
            "students": [{"name": "s"}],
            "n_bootstrap": 200,
        }
        run = c.post("/v1/runs", json=body).json()
        r = c.post(f"/v1/runs/{run['id']}/cancel")
        assert r.status_code in (202, 409)  # it may already have finished: 30 recorded rows are quick
        final = wait_for_run(c, run["id"])
        if r.status_code == 202:
            assert r.json()["cancel_requested"] and final["status"] in (status, "succeeded")
        again = c.post(f"/v1/runs/{run['id']}/cancel")
        assert again.status_code == 409 and "already finished" in again.json()["detail"]
