"""report.html: self-contained, every section present when its data is, rendered in real Chromium."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from advisor.errors import AdvisorError
from advisor.report.html import render_html
from advisor.report.pdf import run_browser, screenshot
from advisor.report.plots import CHOSEN
from advisor.report.schema import Report
from tests.report.conftest import make_report


def assert_self_contained(html: str) -> None:
    body = re.sub(r'xmlns(:\w+)?="[^"]+"', "", html)  # SVG namespace URIs are names, not fetches
    assert "<script" not in body and "<link" not in body and "@import" not in body
    assert not re.search(r'(src|href)\s*=\s*"(?!#|data:)', body)
    assert not re.search(r"url\((?!#)", body)  # CSS/SVG url() only to ids in the same page


def test_html_is_self_contained_and_has_every_section() -> None:
    html = render_html(make_report("route"))
    assert_self_contained(html)
    for heading in (
        "Executive summary",
        "Top risks",
        "Models: cost against quality",
        "Quality gaps (student minus teacher)",
        "Routes",
        "Costs at 1,000,000 calls per month",
        "Latency",
        "Warnings",
        "Provenance",
        "Price sources (stale after 90 days)",
        "Vendor lifecycle",
    ):
        assert heading in html, heading
    assert html.count('<svg class="plot"') == 5  # summary frontier + four figures
    assert "$1,565.70 (78%)" in html  # (0.00201 - 0.0000021 - 0.22 * 0.00201) * 1e6


def test_optional_sections_are_skipped_and_unknown_ones_rendered() -> None:
    r = make_report("keep_teacher")
    bare = r.model_copy(update={"routes": {}, "provenance": None, "warnings": [], "costs": {}})
    html = render_html(bare)
    assert "<h2>Routes</h2>" not in html and "Price sources" not in html and "<h2>Warnings</h2>" not in html
    assert "<h2>Provenance</h2>" in html and "ab" * 32 in html  # the dataset fingerprint is always there

    class Extended(Report):
        """A later schema with a section this renderer does not know."""

        monitoring: dict[str, object] = {}

    ext = Extended(
        **r.model_dump(), monitoring={"drift_check": "weekly", "alerts": [{"metric": "agreement", "below": 0.9}]}
    )
    html = render_html(ext)
    assert 'data-section="monitoring"' in html and "drift_check" in html and "agreement" in html


def non_white_fraction(img: Image.Image) -> float:
    a = np.asarray(img.convert("L"), dtype=np.int16)
    return float((a < 245).mean())


def colour_pixels(img: Image.Image, hex_colour: str, tol: int = 12) -> int:
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    a = np.asarray(img.convert("RGB"), dtype=np.int16)
    return int((np.abs(a - target).max(axis=2) <= tol).sum())


def test_screenshot_in_headless_chromium_is_not_blank_and_shows_the_plots(tmp_path: Path, browser: str) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(make_report("route")))
    png = screenshot(page, tmp_path / "shot.png", width=1100, height=5200, browser=browser)
    img = Image.open(png)
    assert img.size == (1100, 5200)
    assert 0.03 < non_white_fraction(img) < 0.9
    # The recommended option is drawn in CHOSEN on the summary frontier, the frontier, the forest and
    # the cost and latency figures: far more pixels than the verdict box border alone.
    assert colour_pixels(img, CHOSEN) > 3000
    top = img.crop((0, 0, 1100, 1100))  # the executive summary with its frontier figure
    assert non_white_fraction(top) > 0.03 and colour_pixels(top, CHOSEN) > 300
    # The browser's DOM holds every figure as rendered SVG.
    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'p'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert len(re.findall(r'<svg class="plot" data-plot="', dom)) == 5


def test_run_browser_reports_a_failure() -> None:
    with pytest.raises(AdvisorError):
        run_browser(["--screenshot=/nonexistent-dir/x.png", "file:///nonexistent.html"], browser="/bin/false")
