"""Figures: inline SVG, one per supported section, absent when the report has nothing to draw."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from advisor.report.plots import all_plots, break_even_month, cost_lines, frontier_svg
from tests.report.conftest import make_report


def test_every_figure_is_parseable_svg_with_its_labels() -> None:
    plots = all_plots(make_report("route"))
    assert set(plots) == {"frontier", "forest", "cost", "latency"}
    expected = {
        "frontier": ["Cost–quality frontier", "route: minilm-distilled → teacher (recommended)"],
        "forest": ["Quality gap per slice", "voice_transcript (n=30)", "−margin"],
        "cost": ["Monthly cost", "Cumulative cost over 12 months", "break-even"],
        "latency": ["Latency distribution (percentiles)", "p95 SLO", "p99"],
    }
    for name, svg in plots.items():
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg") and root.get("data-plot") == name
        for text in expected[name]:
            assert text in svg, (name, text)
        assert "http://" not in re.sub(r'xmlns(:\w+)?="[^"]+"', "", svg)


def test_element_ids_are_unique_across_the_figures_of_a_page() -> None:
    r = make_report("route")
    svgs = [*all_plots(r).values(), frontier_svg(r, prefix="summary-frontier") or ""]
    ids = [i for svg in svgs for i in re.findall(r'\bid="([^"]+)"', svg)]
    assert ids and len(ids) == len(set(ids))
    # Every internal reference points at an id of the same figure.
    for svg in svgs:
        own = set(re.findall(r'\bid="([^"]+)"', svg))
        for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', svg):
            assert ref in own


def test_break_even_by_hand() -> None:
    lines = {c.label: c for c in cost_lines(make_report("route"))}
    teacher = lines["demo-teacher"]
    route = lines["route: minilm-distilled"]
    assert route.one_time_usd == 2500.0 and lines["demo-teacher"].one_time_usd == 0.0
    # 2500 / (2010 - (2.1 + 0.22 * 2010)) months
    assert break_even_month(teacher.monthly_usd, route) == 2500 / (2010 - 2.1 - 0.22 * 2010)
    assert break_even_month(route.monthly_usd, teacher) is None


def test_sections_without_data_give_no_figure() -> None:
    r = make_report("keep_teacher")
    bare = r.model_copy(update={"routes": {}, "costs": {}})
    bare = bare.model_copy(
        update={"models": {n: m.model_copy(update={"latency_ms": None}) for n, m in bare.models.items()}}
    )
    plots = all_plots(bare)
    assert "cost" not in plots and "latency" not in plots
    assert "frontier" in plots and "forest" in plots
    no_gaps = bare.model_copy(update={"gaps": {}})
    assert "forest" not in all_plots(no_gaps)
