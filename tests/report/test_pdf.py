"""report.pdf: printed by headless Chromium, checked page by page; the summary fits one page."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from advisor.report.html import _CSS, render_summary
from advisor.report.pdf import html_to_pdf
from advisor.report.plots import frontier_svg
from advisor.report.summary import summarize
from advisor.report.write import write_reports
from tests.report.conftest import make_report, pdf_pages


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def rasterise(pdf: Path, out: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(out / "page")], check=True)
    return sorted(out.glob("page-*.png"))


def ink(png: Path) -> float:
    return float((np.asarray(Image.open(png).convert("L")) < 240).mean())


def test_pdf_pages_all_carry_content_and_page_one_is_the_summary(tmp_path: Path, browser: str, poppler: None) -> None:
    paths = write_reports(make_report("route"), tmp_path, pdf=True)
    pdf = paths["pdf"]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    n = pdf_pages(pdf)
    assert 3 <= n <= 12
    pngs = rasterise(pdf, tmp_path)
    assert len(pngs) == n
    for png in pngs:
        assert ink(png) > 0.005, f"{png.name} is blank"
    # A4 portrait at 40 dpi: 331 x 468 pixels.
    w, h = Image.open(pngs[0]).size
    assert abs(w - 331) <= 2 and abs(h - 468) <= 2
    first = page_text(pdf, 1)
    assert "Route: minilm-distilled first" in first and "Top risks" in first
    assert "generated 2026-11-23T07:00:00" in first  # the summary's footer: it ended on page 1
    assert "Verdict and constraints" not in first
    assert "Verdict and constraints" in page_text(pdf, 2)
    everything = "".join(page_text(pdf, i) for i in range(1, n + 1))
    for heading in ("Quality gaps", "Routes", "Latency", "Provenance", "Price sources"):
        assert heading in everything


def test_the_executive_summary_fits_one_page_even_with_long_text(tmp_path: Path, browser: str, poppler: None) -> None:
    long_reason = "Routing keeps the loss within the margin on held-out examples. " * 12
    risks = [f"risk {i}: " + "a slice is not shown non-inferior and needs more samples. " * 4 for i in range(12)]
    report = make_report("route", risks=risks, reason=long_reason)
    summary = summarize(report)
    page = tmp_path / "summary.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{_CSS}</style></head><body><main>"
        + render_summary(summary, frontier_svg(report, prefix="summary-frontier", size=(7.2, 3.1)))
        + "</main></body></html>"
    )
    pdf = html_to_pdf(page, tmp_path / "summary.pdf", browser=browser)
    assert pdf_pages(pdf) == 1
    text = page_text(pdf, 1)
    assert "Top risks" in text and f"and {summary.more_risks} more" in text
