"""The dated price catalogue in ``pricing/`` (API prices, instances, hardware) and user overrides.

Every row carries its source and an ``as_of`` date (see ``pricing/README.md``). Loading reads
files; everything else here takes values and returns values: staleness and lifecycle notes
are computed against a ``now`` the caller passes in.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .costs import TokenPrice
from .errors import MissingPriceError, SpecError

DEFAULT_PRICING_DIR = Path(__file__).resolve().parent.parent / "pricing"
DEFAULT_MAX_PRICE_AGE_DAYS = 90
"""Catalogue figures older than this many days raise a staleness warning."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(text: str | None) -> dt.date | None:
    m = _DATE.search(text or "")
    return dt.date.fromisoformat(m.group(0)) if m else None


def _num(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None


@dataclass(frozen=True)
class ApiPrice:
    """One API model's catalogue row."""

    key: str
    """``provider/model`` as looked up."""
    price: TokenPrice
    as_of: dt.date | None
    """When the figure was read from its source."""
    source: str
    deprecation_date: dt.date | None = None
    """The vendor's announced retirement date, when the catalogue knows one."""


@dataclass(frozen=True)
class InstancePrice:
    """A cloud instance's list price."""

    cloud: str
    instance_type: str
    accelerator: str | None
    vcpus: int
    usd_per_hour: float
    source: str
    source_date: str
    as_of: dt.date | None = None
    accelerator_count: int = 0
    hardware_spec: str | None = None
    """Row of ``hardware.csv`` describing the accelerator (None: CPU-only or not catalogued)."""
    usd_per_hour_spot: float | None = None

    @property
    def key(self) -> str:
        """``cloud/instance_type``."""
        return f"{self.cloud}/{self.instance_type}"


@dataclass(frozen=True)
class HardwareSpec:
    """An accelerator's published peak figures (dense, no sparsity)."""

    name: str
    memory_gb: float | None
    mem_bandwidth_gbps: float | None
    bf16_tflops: float | None
    fp16_tflops: float | None
    int8_tops: float | None
    source: str
    as_of: dt.date | None = None

    @property
    def half_tflops(self) -> float | None:
        """Peak 16-bit tensor TFLOPS (bf16, else fp16)."""
        return self.bf16_tflops if self.bf16_tflops is not None else self.fp16_tflops


@dataclass(frozen=True)
class Catalog:
    """The loaded catalogue (overrides applied); lookups are pure."""

    api: Mapping[str, ApiPrice]
    instances: Mapping[str, InstancePrice]
    hardware: Mapping[str, HardwareSpec]
    lifecycle_extra: Mapping[str, str] = field(default_factory=dict)
    """Lifecycle notes from overrides, by ``provider/model``."""
    where: str = ""
    """Folder (and overrides file) the catalogue came from, for error messages."""

    def api_price(self, key: str) -> ApiPrice:
        """The row of ``provider/model``.

        Raises:
            MissingPriceError: with close matches to choose from.

        """
        row = self.api.get(key)
        if row is None:
            model = key.rpartition("/")[2]
            close = sorted(k for k in self.api if model and model in k)[:8]
            hint = f"; close matches: {', '.join(close)}" if close else ""
            raise MissingPriceError(
                f"no catalogue price for '{key}' in {self.where}{hint}. "
                "Use 'provider/model' as listed in api_prices.csv, or set price.usd_per_mtok_input/_output."
            )
        return row

    def instance(self, key: str) -> InstancePrice:
        """On-demand price of ``cloud/instance_type``.

        Raises:
            MissingPriceError: naming the expected form.

        """
        row = self.instances.get(key)
        if row is None:
            raise MissingPriceError(
                f"no on-demand price for instance '{key}' in {self.where}; "
                "use 'cloud/instance_type' as listed in instances.csv (e.g. aws/m7i.large), "
                "or add it to a price overrides file"
            )
        return row

    def hardware_of(self, instance: InstancePrice) -> HardwareSpec | None:
        """The accelerator spec of ``instance`` (None: CPU-only or not catalogued)."""
        return self.hardware.get(instance.hardware_spec) if instance.hardware_spec else None


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _api_rows(path: Path) -> dict[str, ApiPrice]:
    out: dict[str, ApiPrice] = {}
    for r in _csv(path):
        as_of = _date(r.get("as_of")) or _date(r.get("source_date"))
        price = TokenPrice(
            float(r["input_usd_per_mtok"]),
            float(r["output_usd_per_mtok"]),
            source="",
            usd_per_mtok_cached_input=_num(r.get("cached_input_usd_per_mtok")),
            usd_per_mtok_batch_input=_num(r.get("batch_input_usd_per_mtok")),
            usd_per_mtok_batch_output=_num(r.get("batch_output_usd_per_mtok")),
        )
        for key in (f"{r['provider']}/{r['model']}", f"{r['litellm_provider']}/{r['model']}"):
            if key in out:
                continue
            src = f"catalog:{key} ({r['source_date']}; {r['provider_pricing_url']})"
            out[key] = ApiPrice(key, replace(price, source=src), as_of, src, _date(r.get("deprecation_date")))
    return out


def _instance_rows(path: Path) -> dict[str, InstancePrice]:
    out: dict[str, InstancePrice] = {}
    for r in _csv(path):
        key = f"{r['cloud']}/{r['instance_type']}"
        if key in out or not r["usd_per_hour_on_demand"]:
            continue
        out[key] = InstancePrice(
            r["cloud"],
            r["instance_type"],
            r["accelerator"] or None,
            int(r["vcpus"] or 0),
            float(r["usd_per_hour_on_demand"]),
            r["source"],
            r["source_date"],
            _date(r.get("as_of")) or _date(r["source_date"]),
            int(r["accelerator_count"] or 0),
            r.get("hardware_spec") or None,
            _num(r.get("usd_per_hour_spot")),
        )
    return out


def _hardware_rows(path: Path) -> dict[str, HardwareSpec]:
    return {
        r["hardware"]: HardwareSpec(
            r["hardware"],
            _num(r["memory_gb"]),
            _num(r["mem_bandwidth_gbps"]),
            _num(r["bf16_tflops_dense"]),
            _num(r["fp16_tflops_dense"]),
            _num(r["int8_tops_dense"]),
            r["source"],
            _date(r.get("as_of")),
        )
        for r in _csv(path)
    }


def _required_date(entry: Mapping[str, Any], where: str) -> dt.date:
    raw = entry.get("as_of")
    if isinstance(raw, dt.date):
        return raw
    d = _date(str(raw)) if raw is not None else None
    if d is None:
        raise SpecError(f"{where}: 'as_of' (YYYY-MM-DD, when the price was agreed or read) is required")
    return d


def apply_overrides(catalog: Catalog, overrides: Mapping[str, Any], where: str = "overrides") -> Catalog:
    """A catalogue with negotiated prices laid over the list prices (pure).

    ``overrides`` has the form of ``pricing/overrides.example.yaml``: ``api`` maps
    ``provider/model`` to ``{input_usd_per_mtok, output_usd_per_mtok, [cached_input_usd_per_mtok,
    batch_input_usd_per_mtok, batch_output_usd_per_mtok, deprecation_date, lifecycle_note],
    as_of, source}``; ``instances`` maps ``cloud/instance_type`` to ``{usd_per_hour, as_of,
    source, [vcpus, accelerator, accelerator_count, hardware_spec]}``. Unknown models and
    instances are added; known ones keep the fields the override leaves out.

    Raises:
        SpecError: naming the entry and field that is missing or malformed.

    """
    api = dict(catalog.api)
    instances = dict(catalog.instances)
    notes = dict(catalog.lifecycle_extra)
    unknown = set(overrides) - {"api", "instances"}
    if unknown:
        raise SpecError(f"{where}: unknown sections {sorted(unknown)}; use 'api' and 'instances'")
    for key, e in (overrides.get("api") or {}).items():
        at = f"{where}: api.{key}"
        if not isinstance(e, Mapping):
            raise SpecError(f"{at}: expected a mapping of prices")
        as_of = _required_date(e, at)
        base = api.get(key)
        source = f"override:{key} ({e.get('source', 'negotiated price')}; as of {as_of})"

        def pick(field_: str, attr: str, e: Mapping[str, Any] = e, base: ApiPrice | None = base) -> Any:
            if field_ in e:
                return float(e[field_])
            return getattr(base.price, attr) if base is not None else None

        p_in = pick("input_usd_per_mtok", "usd_per_mtok_input")
        p_out = pick("output_usd_per_mtok", "usd_per_mtok_output")
        if p_in is None or p_out is None:
            raise SpecError(f"{at}: input_usd_per_mtok and output_usd_per_mtok are required for a new model")
        price = TokenPrice(
            p_in,
            p_out,
            source,
            pick("cached_input_usd_per_mtok", "usd_per_mtok_cached_input"),
            pick("batch_input_usd_per_mtok", "usd_per_mtok_batch_input"),
            pick("batch_output_usd_per_mtok", "usd_per_mtok_batch_output"),
        )
        dep = _date(str(e["deprecation_date"])) if "deprecation_date" in e else None
        api[key] = ApiPrice(key, price, as_of, source, dep or (base.deprecation_date if base else None))
        if "lifecycle_note" in e:
            notes[key] = str(e["lifecycle_note"])
    for key, e in (overrides.get("instances") or {}).items():
        at = f"{where}: instances.{key}"
        if not isinstance(e, Mapping) or "usd_per_hour" not in e:
            raise SpecError(f"{at}: usd_per_hour is required")
        as_of = _required_date(e, at)
        cloud, _, itype = key.partition("/")
        base_i = instances.get(key)
        source = f"override ({e.get('source', 'negotiated price')})"
        instances[key] = InstancePrice(
            cloud,
            itype,
            e.get("accelerator", base_i.accelerator if base_i else None),
            int(e.get("vcpus", base_i.vcpus if base_i else 0)),
            float(e["usd_per_hour"]),
            source,
            str(as_of),
            as_of,
            int(e.get("accelerator_count", base_i.accelerator_count if base_i else 0)),
            e.get("hardware_spec", base_i.hardware_spec if base_i else None),
            base_i.usd_per_hour_spot if base_i else None,
        )
    return replace(catalog, api=api, instances=instances, lifecycle_extra=notes, where=f"{catalog.where} + {where}")


@lru_cache(maxsize=8)
def _load_dir(pricing_dir: Path) -> Catalog:
    return Catalog(
        _api_rows(pricing_dir / "api_prices.csv"),
        _instance_rows(pricing_dir / "instances.csv"),
        _hardware_rows(pricing_dir / "hardware.csv"),
        where=str(pricing_dir),
    )


def load_catalog(pricing_dir: Path = DEFAULT_PRICING_DIR, overrides: str | Path | None = None) -> Catalog:
    """Read the catalogue in ``pricing_dir`` and lay the overrides file (YAML) over it.

    Raises:
        SpecError: when the overrides file is missing or malformed.

    """
    catalog = _load_dir(Path(pricing_dir))
    if overrides is None:
        return catalog
    path = Path(overrides)
    if not path.is_file():
        raise SpecError(f"price overrides file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise SpecError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping with 'api' and/or 'instances'")
    return apply_overrides(catalog, data, str(path))


def api_price(key: str, pricing_dir: Path = DEFAULT_PRICING_DIR) -> TokenPrice:
    """Token prices of ``provider/model`` from ``api_prices.csv``.

    Raises:
        MissingPriceError: with close matches to choose from.

    """
    return load_catalog(pricing_dir).api_price(key).price


def instance_price(key: str, pricing_dir: Path = DEFAULT_PRICING_DIR) -> InstancePrice:
    """On-demand price of ``cloud/instance_type`` from ``instances.csv``."""
    return load_catalog(pricing_dir).instance(key)


@dataclass(frozen=True)
class DatedFigure:
    """A figure the report relies on, with its date."""

    what: str
    """E.g. ``teacher gpt-4o price`` or ``instance aws/m7i.large``."""
    source: str
    as_of: dt.date | None


@dataclass(frozen=True)
class PriceAge:
    """How old a figure is on the run's date."""

    figure: DatedFigure
    age_days: int | None
    stale: bool


def price_ages(
    figures: Iterable[DatedFigure], now: dt.date, max_age_days: int = DEFAULT_MAX_PRICE_AGE_DAYS
) -> list[PriceAge]:
    """Age of each figure on ``now``; stale past ``max_age_days`` (an undated figure is stale)."""
    out = []
    for f in figures:
        age = (now - f.as_of).days if f.as_of is not None else None
        out.append(PriceAge(f, age, age is None or age > max_age_days))
    return out


def staleness_warnings(ages: Iterable[PriceAge], max_age_days: int) -> list[str]:
    """One warning per stale figure, saying what to do."""
    return [
        (
            f"{a.figure.what}: price dated {a.figure.as_of} is {a.age_days} days old "
            f"(limit {max_age_days}); re-pull pricing/ or set an override with a current as_of"
            if a.age_days is not None
            else f"{a.figure.what}: price has no date; add as_of to its catalogue row or override"
        )
        for a in ages
        if a.stale
    ]


def lifecycle_notes(
    entries: Iterable[tuple[str, ApiPrice]], now: dt.date, horizon_months: int, extra: Mapping[str, str]
) -> list[str]:
    """Vendor deprecations of the models used: past, or falling inside the horizon.

    Args:
        entries: (model name in the run, its catalogue row).
        now: the run's date.
        horizon_months: months the decision covers.
        extra: lifecycle notes from overrides, by ``provider/model``.
    """
    notes: list[str] = []
    end = now + dt.timedelta(days=round(horizon_months * 30.44))
    for name, row in entries:
        d = row.deprecation_date
        if d is not None:
            if d <= now:
                notes.append(f"{name} ({row.key}): deprecated by the vendor on {d}")
            elif d <= end:
                notes.append(
                    f"{name} ({row.key}): vendor deprecation on {d}, inside the {horizon_months}-month "
                    "horizon; plan a migration and re-run the advisor on the replacement"
                )
        if row.key in extra:
            notes.append(f"{name} ({row.key}): {extra[row.key]}")
    return notes
