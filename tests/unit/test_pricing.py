"""The dated catalogue: rows carry source and date; overrides; staleness; lifecycle notes."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from advisor.errors import MissingPriceError, SpecError
from advisor.pricing import (
    DEFAULT_PRICING_DIR,
    DatedFigure,
    apply_overrides,
    lifecycle_notes,
    load_catalog,
    price_ages,
    staleness_warnings,
)


@pytest.mark.parametrize("name", ["api_prices.csv", "instances.csv", "hardware.csv"])
def test_every_row_has_a_source_and_a_date(name: str) -> None:
    with (DEFAULT_PRICING_DIR / name).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    src = "source_commit" if name == "api_prices.csv" else "source"
    for i, r in enumerate(rows, start=2):
        assert r[src].strip(), f"{name} line {i}: no source"
        dt.date.fromisoformat(r["as_of"])  # raises on a missing or malformed date


def test_catalogue_rows_match_the_shared_copy() -> None:
    shared = DEFAULT_PRICING_DIR.parent.parent / "shared" / "pricing" / "api_prices.csv"
    if not shared.is_file():
        pytest.skip("../shared/pricing not present")
    with shared.open(newline="") as fh:
        theirs = {(r["provider"], r["model"]): r["input_usd_per_mtok"] for r in csv.DictReader(fh)}
    with (DEFAULT_PRICING_DIR / "api_prices.csv").open(newline="") as fh:
        ours = {(r["provider"], r["model"]): r["input_usd_per_mtok"] for r in csv.DictReader(fh)}
    assert ours == theirs


def test_lookups_with_cached_and_batch_prices() -> None:
    cat = load_catalog()
    row = cat.api_price("openai/gpt-4o")
    p = row.price
    assert (p.usd_per_mtok_input, p.usd_per_mtok_output) == (2.5, 10.0)
    assert (p.usd_per_mtok_cached_input, p.usd_per_mtok_batch_input, p.usd_per_mtok_batch_output) == (
        1.25,
        1.25,
        5.0,
    )
    assert row.as_of == dt.date(2026, 11, 22)
    inst = cat.instance("aws/g6.xlarge")
    assert inst.usd_per_hour == 0.8048 and inst.accelerator == "L4"
    hw = cat.hardware_of(inst)
    assert hw is not None and hw.half_tflops == 121.0 and hw.mem_bandwidth_gbps == 300.0
    assert cat.hardware_of(cat.instance("aws/m7i.large")) is None  # CPU-only
    with pytest.raises(MissingPriceError, match="close matches"):
        cat.api_price("azure/gpt-4o")
    with pytest.raises(MissingPriceError, match="cloud/instance_type"):
        cat.instance("aws/nope")


def test_overrides_replace_prices_keep_the_rest_and_add_models() -> None:
    cat = load_catalog()
    out = apply_overrides(
        cat,
        {
            "api": {
                "openai/gpt-4o": {"input_usd_per_mtok": 2.0, "as_of": "2026-10-01", "source": "contract"},
                "acme/private-llm": {
                    "input_usd_per_mtok": 1,
                    "output_usd_per_mtok": 3,
                    "as_of": dt.date(2026, 9, 1),
                },
            },
            "instances": {"aws/g6.xlarge": {"usd_per_hour": 0.55, "as_of": "2026-10-01"}},
        },
    )
    g = out.api_price("openai/gpt-4o")
    assert g.price.usd_per_mtok_input == 2.0 and g.price.usd_per_mtok_output == 10.0  # output kept
    assert g.as_of == dt.date(2026, 10, 1) and "override" in g.source and "contract" in g.source
    assert out.api_price("acme/private-llm").price.usd_per_mtok_output == 3.0
    inst = out.instance("aws/g6.xlarge")
    assert inst.usd_per_hour == 0.55 and inst.hardware_spec == "NVIDIA L4"
    assert cat.api_price("openai/gpt-4o").price.usd_per_mtok_input == 2.5  # the original is untouched


def test_overrides_need_a_date_and_prices() -> None:
    cat = load_catalog()
    with pytest.raises(SpecError, match=r"api\.openai/gpt-4o: 'as_of'"):
        apply_overrides(cat, {"api": {"openai/gpt-4o": {"input_usd_per_mtok": 2.0}}})
    with pytest.raises(SpecError, match="required for a new model"):
        apply_overrides(cat, {"api": {"x/y": {"input_usd_per_mtok": 2.0, "as_of": "2026-01-01"}}})
    with pytest.raises(SpecError, match="usd_per_hour"):
        apply_overrides(cat, {"instances": {"aws/x": {"as_of": "2026-01-01"}}})
    with pytest.raises(SpecError, match="unknown sections"):
        apply_overrides(cat, {"apis": {}})


def test_overrides_file_example_loads(tmp_path: Path) -> None:
    cat = load_catalog(overrides=DEFAULT_PRICING_DIR / "overrides.example.yaml")
    assert cat.api_price("openai/gpt-4o").price.usd_per_mtok_cached_input == 1.0
    with pytest.raises(SpecError, match="not found"):
        load_catalog(overrides=tmp_path / "missing.yaml")


def test_staleness_against_the_date_passed_in() -> None:
    figs = [
        DatedFigure("teacher price", "catalog", dt.date(2026, 11, 22)),
        DatedFigure("instance", "catalog", dt.date(2026, 1, 1)),
        DatedFigure("undated", "user", None),
    ]
    ages = price_ages(figs, dt.date(2027, 1, 1), max_age_days=90)
    # 2026-11-22 -> 2027-01-01 is 40 days; 2026-01-01 -> 2027-01-01 is 365
    assert [(a.age_days, a.stale) for a in ages] == [(40, False), (365, True), (None, True)]
    warnings = staleness_warnings(ages, 90)
    assert len(warnings) == 2 and "365 days old" in warnings[0] and "no date" in warnings[1]
    # the same figures are all fresh a day after they were read
    assert not staleness_warnings(price_ages(figs[:2], dt.date(2026, 1, 2), 90), 90)


def test_lifecycle_notes_past_and_within_horizon() -> None:
    cat = load_catalog()
    sonnet = cat.api_price("anthropic/claude-sonnet-4-5")  # deprecation_date 2026-11-30 in the catalogue
    assert sonnet.deprecation_date == dt.date(2026, 11, 30)
    within = lifecycle_notes([("teacher", sonnet)], dt.date(2026, 11, 1), 12, {})
    assert len(within) == 1 and "inside the 12-month horizon" in within[0]
    past = lifecycle_notes([("teacher", sonnet)], dt.date(2026, 12, 15), 12, {})
    assert "deprecated by the vendor on 2026-11-30" in past[0]
    far = lifecycle_notes([("teacher", sonnet)], dt.date(2025, 1, 1), 3, {})
    assert far == []
    gpt = cat.api_price("openai/gpt-4o")
    assert lifecycle_notes([("t", gpt)], dt.date(2026, 11, 1), 12, {"openai/gpt-4o": "contract ends"}) == [
        "t (openai/gpt-4o): contract ends"
    ]
