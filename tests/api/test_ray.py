"""The Ray executor on a local Ray cluster: runs placed by accelerator, teacher calls under one global limit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from advisor.config import Settings
from tests.api.conftest import LiveServer, wait_for_run
from tests.api.teacher_stub import TeacherStub
from tests.conftest import shared_data_file

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'distillation-advisor[ray]'")

N = 30
RPM = 600.0  # 10 calls per second, for all runs together


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A local Ray cluster whose one node offers a T4 (the accelerator of aws/g4dn.xlarge)."""
    ray.init(
        num_cpus=2,
        resources={"accelerator_type:T4": 1},
        include_dashboard=False,
        log_to_driver=False,
        namespace="distillation-advisor",
    )
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_ray_executor_places_runs_and_rate_limits_teacher_calls(
    local_ray: None, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    from advisor.executors import LIMITER_ACTOR, RAY_NAMESPACE

    data = shared_data_file("frugalgpt_overruling")
    raw = [json.loads(line) for line in data.read_text().splitlines()][:N]
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path / 'store.db'}", executor="ray", teacher_requests_per_minute=RPM
    )
    body = "".join(json.dumps(r) + "\n" for r in raw).encode()
    with TeacherStub({r["input"]: r["models"]["gpt-4"]["output"] for r in raw}) as teacher:
        with LiveServer(settings) as srv, srv.client(srv.new_project()) as c:
            ds = c.post(
                "/v1/datasets",
                files={"file": ("o.jsonl", body)},
                data={"mapping": json.dumps({"reference": "gold", "outputs": "models"})},
            ).json()
            spec = {
                "dataset_id": ds["id"],
                "task": {"labels": ["Yes", "No"]},
                "teacher": {
                    "name": "gpt-4",
                    "backend": "openai",
                    "url": teacher.url,
                    "max_concurrency": 4,
                    "price": {"usd_per_call": 0.009},
                },
                "students": [{"name": "gpt-3.5-turbo", "backend": "recorded", "hardware": "aws/g4dn.xlarge"}],
                "n_bootstrap": 200,
            }
            run = wait_for_run(c, c.post("/v1/runs", json=spec).json()["id"], timeout_s=240)
            assert run["status"] == "succeeded", run["error"]
            # Every teacher call ran on a Ray worker after taking a slot from the one global limiter.
            assert teacher.total == N
            limiter = ray.get_actor(LIMITER_ACTOR, namespace=RAY_NAMESPACE)
            assert ray.get(limiter.count.remote()) == N
            stamps = sorted(teacher.timestamps)
            assert stamps[-1] - stamps[0] >= (N - 1) * 60 / RPM * 0.8  # paced, not a burst
            report = c.get(f"/v1/runs/{run['id']}/reports/json").json()
            assert report["models"]["gpt-4"]["quality"] == pytest.approx(
                sum(r["models"]["gpt-4"]["correct"] for r in raw) / N, abs=1e-12
            )

            # A student on hardware no node has (aws/g5.xlarge: A10G) is refused with the resource named.
            spec["students"] = [{"name": "gpt-3.5-turbo", "backend": "recorded", "hardware": "aws/g5.xlarge"}]
            failed = wait_for_run(c, c.post("/v1/runs", json=spec).json()["id"])
            assert failed["status"] == "failed" and "accelerator_type:A10G" in failed["error"]
