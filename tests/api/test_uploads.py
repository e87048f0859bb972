"""Malformed uploads are refused with the right status; errors name the row and field."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from advisor.config import Settings
from tests.api.conftest import LiveServer


def test_bad_rows_are_422_naming_row_and_field(server: LiveServer) -> None:
    rows = [
        {"id": "a", "input": "fine", "reference": "Yes"},
        {"id": "b", "reference": "No"},  # no input
        {"id": "c", "input": "x", "outputs": {"m": {"output": "Yes", "cost_usd": "cheap"}}},
        {"id": "a", "input": "dup"},
    ]
    body = "".join(json.dumps(r) + "\n" for r in rows).encode()
    with server.client(server.new_project()) as c:
        r = c.post("/v1/datasets", files={"file": ("bad.jsonl", body)})
        assert r.status_code == 422
        issues = {(i["row"], i["field"]) for i in r.json()["issues"]}
        assert issues == {(2, "input"), (3, "outputs.m.cost_usd"), (4, "id")}
        assert r.json()["detail"].startswith("bad.jsonl: ")  # the upload's name, not a temp path
        # Nothing was half-loaded.
        assert c.get("/v1/datasets").json()["count"] == 0

        r = c.post("/v1/datasets", files={"file": ("broken.jsonl", b'{"id": "a", "input": "x"}\n{not json\n')})
        assert r.status_code == 422 and r.json()["issues"][0]["row"] == 2
        r = c.post("/v1/datasets", files={"file": ("gold.jsonl", b'{"id": 1, "prompt": "x", "gold": "Yes"}\n')})
        assert r.status_code == 422
        assert "mapping: {input: prompt}" in r.json()["issues"][0]["message"]
        r = c.post("/v1/datasets", files={"file": ("rows.txt", b'{"id": 1, "input": "x"}\n')})
        assert r.status_code == 422 and r.json()["issues"][0]["field"] == "<file>"
        r = c.post("/v1/datasets", files={"file": ("empty.jsonl", b"")})
        assert r.status_code == 422
        for bad_mapping in ["{not json", '["reference"]', '{"reference": 3}', '{"gold": "reference"}']:
            r = c.post("/v1/datasets", files={"file": ("x.jsonl", body)}, data={"mapping": bad_mapping})
            assert r.status_code == 422, bad_mapping
            assert r.json()["issues"][0]["field"].startswith("mapping")
        r = c.post("/v1/datasets/stream", params={"format": "csv"}, content=b"\xff\xfe\x00garbage")
        assert r.status_code == 422
        r = c.post("/v1/datasets/stream", params={"format": "parquet"}, content=b"not parquet")
        assert r.status_code == 422 and "parquet" in r.json()["issues"][0]["message"]
        r = c.post("/v1/datasets/stream", params={"format": "xml"}, content=body)
        assert r.status_code == 422
        r = c.post("/v1/datasets")  # no file part at all
        assert r.status_code == 422


def test_parquet_upload_with_mapping(server: LiveServer) -> None:
    frame = pd.DataFrame({"qid": ["a", "b", "c"], "question": ["x", "y", "z"], "gold": ["Yes", "No", "Yes"]})
    buf = io.BytesIO()
    frame.to_parquet(buf)
    mapping = json.dumps({"id": "qid", "input": "question", "reference": "gold"})
    with server.client(server.new_project()) as c:
        r = c.post("/v1/datasets", files={"file": ("q.parquet", buf.getvalue())}, data={"mapping": mapping})
        assert r.status_code == 201, r.text
        assert r.json()["n_samples"] == 3 and r.json()["has_reference"]


def test_uploads_over_the_limit_are_413(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 's.db'}", max_upload_bytes=1000)
    row = json.dumps({"id": "x", "input": "y" * 200}) + "\n"
    small = row.encode()
    big = "".join(row.replace('"x"', f'"x{i}"') for i in range(400)).encode()  # ~90 kB
    with LiveServer(settings) as srv, srv.client(srv.new_project()) as c:
        assert c.post("/v1/datasets", files={"file": ("s.jsonl", small)}).status_code == 201
        r = c.post("/v1/datasets", files={"file": ("b.jsonl", big)})
        assert r.status_code == 413 and "ADVISOR_MAX_UPLOAD_BYTES" in r.json()["detail"]
        assert c.post("/v1/datasets/stream", content=big).status_code == 413

        def chunked():  # no Content-Length: the limit is enforced while streaming
            for i in range(0, len(big), 4096):
                yield big[i : i + 4096]

        assert c.post("/v1/datasets/stream", content=chunked()).status_code == 413
        assert c.get("/v1/datasets").json()["count"] == 1
