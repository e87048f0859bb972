"""An HTTP-only session: upload the OVERRULING logs, start a run, poll, download the reports.

Against both stores (a SQLite file and a fresh PostgreSQL database), through a real server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from advisor.config import Settings
from tests.api.conftest import LiveServer, wait_for_run
from tests.conftest import shared_data_file

MAPPING = json.dumps({"reference": "gold", "outputs": "models"})


def run_body(dataset_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "dataset_id": dataset_id,
        "task": {"type": "classification", "labels": ["Yes", "No"]},
        "teacher": {"name": "gpt-4", "backend": "recorded"},
        "students": [{"name": "gpt-3.5-turbo", "backend": "recorded"}],
        "constraints": {"max_gap": 0.05, "confidence": 0.95},
        "n_bootstrap": 400,
        **extra,
    }


def test_upload_run_poll_and_download_reports(database_url: str, make_settings: Callable[..., Settings]) -> None:
    data = shared_data_file("frugalgpt_overruling")
    raw = [json.loads(line) for line in data.read_text().splitlines()]
    with LiveServer(make_settings(database_url=database_url)) as srv, srv.client(srv.new_project()) as c:
        with data.open("rb") as fh:
            r = c.post("/v1/datasets", files={"file": ("visible.jsonl", fh)}, data={"mapping": MAPPING})
        assert r.status_code == 201, r.text
        ds = r.json()
        assert ds["n_samples"] == len(raw) == 1512 and ds["has_reference"]
        assert {"gpt-4", "gpt-3.5-turbo"} <= set(ds["models"])
        # The same content again is the same dataset (200, not a second copy).
        with data.open("rb") as fh:
            again = c.post("/v1/datasets", files={"file": ("copy.jsonl", fh)}, data={"mapping": MAPPING})
        assert again.status_code == 200 and again.json()["id"] == ds["id"]
        assert c.get("/v1/datasets").json()["count"] == 1

        r = c.post("/v1/runs", json=run_body(ds["id"]))
        assert r.status_code == 201, r.text
        run = wait_for_run(c, r.json()["id"])
        assert run["status"] == "succeeded", run["error"]
        assert run["verdict"]["decision"] in ("keep_teacher", "distill", "route")

        listed = c.get(f"/v1/runs/{run['id']}/reports").json()
        formats = {f["format"]: f for f in listed["data"]}
        assert {"json", "md", "predictions"} <= set(formats)
        for fmt, meta in formats.items():  # every format the writers produced is served as written
            got = c.get(meta["url"])
            assert got.status_code == 200, fmt
            assert len(got.content) == meta["size_bytes"] > 0
            assert got.headers["content-type"].split(";")[0] == meta["media_type"].split(";")[0]
        report = c.get(f"/v1/runs/{run['id']}/reports/json").json()
        assert report["verdict"] == run["verdict"]
        # Independent: the source's own `correct` column.
        t_ok = np.mean([r_["models"]["gpt-4"]["correct"] for r_ in raw])
        s_ok = np.mean([r_["models"]["gpt-3.5-turbo"]["correct"] for r_ in raw])
        assert report["models"]["gpt-4"]["quality"] == pytest.approx(t_ok, abs=1e-12)
        assert report["models"]["gpt-3.5-turbo"]["quality"] == pytest.approx(s_ok, abs=1e-12)
        assert report["gaps"]["gpt-3.5-turbo"]["overall"]["gap"] == pytest.approx(s_ok - t_ok, abs=1e-12)
        assert report["dataset"]["fingerprint"] == ds["fingerprint"]
        md = c.get(f"/v1/runs/{run['id']}/reports/md")
        assert md.text.startswith("# Distillation Advisor report")
        if "html" in formats:
            html = c.get(formats["html"]["url"])
            assert html.headers["content-type"].startswith("text/html")
            assert "<html" in html.text.lower()
        assert c.get(f"/v1/runs/{run['id']}/reports/nope").status_code == 404


def test_streamed_csv_upload_with_mapping_and_registered_models(server: LiveServer) -> None:
    rows = "\n".join(
        f"q{i},question {i},{'Yes' if i % 3 else 'No'},{'Yes' if i % 3 else 'No'},{'Yes' if i % 4 else 'No'}"
        for i in range(40)
    )
    body = "qid,question,gold,outputs.big,outputs.small\n" + rows + "\n"
    mapping = json.dumps({"id": "qid", "input": "question", "reference": "gold"})
    with server.client(server.new_project()) as c:
        r = c.post(
            "/v1/datasets/stream",
            params={"format": "csv", "mapping": mapping, "name": "tickets.csv"},
            content=body.encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert r.status_code == 201, r.text
        ds = r.json()
        assert ds["n_samples"] == 40 and ds["models"] == ["big", "small"] and ds["name"] == "tickets.csv"
        big = {"name": "big", "backend": "recorded", "price": {"usd_per_call": 0.01}}
        r = c.post("/v1/models", json=big)
        assert r.status_code == 201, r.text
        assert c.post("/v1/models", json=big).status_code == 409
        r = c.post(
            "/v1/runs",
            json=run_body(
                ds["id"],
                teacher={"config": "big"},
                students=[{"name": "small", "backend": "recorded", "price": {"usd_per_call": 0.001}}],
            ),
        )
        assert r.status_code == 201, r.text
        run = wait_for_run(c, r.json()["id"])
        assert run["status"] == "succeeded", run["error"]
        report = c.get(f"/v1/runs/{run['id']}/reports/json").json()
        # By hand: gold = big everywhere; small is wrong where i % 4 == 0 but i % 3 != 0 or vice versa.
        wrong = sum((i % 3 != 0) != (i % 4 != 0) for i in range(40))
        assert report["models"]["big"]["quality"] == 1.0
        assert report["models"]["small"]["quality"] == pytest.approx(1 - wrong / 40)


def test_run_refuses_unknown_recorded_model_and_bad_spec(server: LiveServer) -> None:
    data = shared_data_file("frugalgpt_overruling")
    with server.client(server.new_project()) as c:
        r = c.post(
            "/v1/datasets/stream",
            params={"mapping": MAPPING},
            content=data.read_bytes(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert r.status_code == 201, r.text
        ds_id = r.json()["id"]
        r = c.post("/v1/runs", json=run_body(ds_id, students=[{"name": "nope", "backend": "recorded"}]))
        assert r.status_code == 422 and "no outputs for 'nope'" in r.json()["detail"]
        r = c.post("/v1/runs", json=run_body(ds_id, students=[{"name": "x", "backend": "warp-drive"}]))
        assert r.status_code == 422 and "unknown backend" in r.json()["detail"]
        assert c.post("/v1/runs", json=run_body("missing")).status_code == 404
        assert c.post("/v1/runs", json={**run_body(ds_id), "surprise": 1}).status_code == 422
