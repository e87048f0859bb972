"""The store on real databases: migrations match the models, leases are exclusive, runs cancel mid-flight."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import update

from advisor.config import Settings
from advisor.samples import parse_rows
from advisor.store import Base, Run, Store
from tests.api.conftest import LiveServer, wait_for_run
from tests.api.teacher_stub import TeacherStub


def test_migrations_build_exactly_the_models_schema(database_url: str) -> None:
    store = Store(database_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        Store(database_url).close()  # migrating again is a no-op
    finally:
        store.close()


def test_a_stale_run_is_claimed_by_exactly_one_worker(database_url: str) -> None:
    store = Store(database_url)
    try:
        project, _ = store.create_project("p")
        samples = parse_rows([(1, {"id": "a", "input": "x"})])
        ds, created = store.add_dataset(project.id, "d", samples)
        again, created_again = store.add_dataset(project.id, "again", samples)
        assert created and not created_again and again.id == ds.id  # same content, same dataset
        run = store.create_run(project.id, ds.id, {"k": 1}, "worker-a")
        assert store.claim_stale_runs("worker-b", lease_s=60) == []  # worker-a's lease is fresh
        with store.session() as sess:  # worker-a stops sending heartbeats
            sess.execute(update(Run).where(Run.id == run.id).values(heartbeat_at=time.time() - 120))
        claims = [store.claim_stale_runs(w, lease_s=60) for w in ("worker-b", "worker-c")]
        assert claims == [[run.id], []]
        got = store.get_run(project.id, run.id)
        assert got.worker_id == "worker-b" and got.attempts == 2
        # The old worker's progress no longer lands, and it learns it lost the run.
        assert store.update_progress(run.id, "worker-a", "x", 1, 2) is True
        assert store.get_run(None, run.id).stage == ""
    finally:
        store.close()


def test_cancel_stops_a_running_run(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    rows = [{"id": f"r{i}", "input": f"case {i}", "reference": "Yes", "outputs": {"s": "Yes"}} for i in range(200)]
    with TeacherStub({}, delay_s=0.05) as teacher:
        settings = make_settings(database_url=f"sqlite:///{tmp_path / 'store.db'}")
        with LiveServer(settings) as srv, srv.client(srv.new_project()) as c:
            body = "".join(json.dumps(r) + "\n" for r in rows).encode()
            ds = c.post("/v1/datasets", files={"file": ("r.jsonl", body)}).json()
            run = c.post(
                "/v1/runs",
                json={
                    "dataset_id": ds["id"],
                    "task": {"labels": ["Yes", "No"]},
                    "teacher": {"name": "t", "backend": "openai", "url": teacher.url, "max_concurrency": 1},
                    "students": [{"name": "s", "backend": "recorded"}],
                },
            ).json()
            while teacher.total < 5:
                time.sleep(0.02)
            r = c.post(f"/v1/runs/{run['id']}/cancel")
            assert r.status_code == 202 and r.json()["cancel_requested"]
            final = wait_for_run(c, run["id"], timeout_s=60)
            assert final["status"] == "cancelled"
            assert teacher.total < len(rows)  # it stopped calling the teacher
            assert c.get(f"/v1/runs/{run['id']}/reports/json").status_code == 409
