"""Write every report format atomically: a reader never sees a half-written file."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import AdvisorError
from .html import render_html
from .markdown import render_markdown
from .pdf import find_browser, html_to_pdf
from .schema import Report

log = logging.getLogger(__name__)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # reports are for sharing; mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl_atomic(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` as JSON Lines, atomically."""
    _atomic_write(path, "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows))


def write_reports(report: Report, out_dir: str | Path, *, pdf: bool | None = None) -> dict[str, Path]:
    """Write ``report.json``, ``report.md``, ``report.html`` and ``report.pdf`` into ``out_dir``.

    Every file is written to a temporary name and renamed into place.

    Args:
        report: the report.
        out_dir: the report folder (created if missing).
        pdf: True: the PDF is required (raises without a browser); False: no PDF; None (default):
            the PDF is written when headless Chromium is installed and works, else skipped with a
            log warning (a run never fails for want of a PDF).

    Returns:
        The paths written, by format (``json``, ``md``, ``html``, and ``pdf`` when printed).

    Raises:
        AdvisorError: ``pdf=True`` and the PDF could not be printed (``BrowserNotFoundError``: no
            Chromium is installed).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    _atomic_write(paths["json"], report.model_dump_json(indent=2) + "\n")
    _atomic_write(paths["md"], render_markdown(report))
    _atomic_write(paths["html"], render_html(report))
    if pdf is False:
        return paths
    if pdf is None and find_browser() is None:
        log.warning(
            "report.pdf not written: no headless Chromium found (install it with "
            "scripts/install_system_deps.sh or apt-get install chromium, or set ADVISOR_CHROMIUM)"
        )
        return paths
    try:
        paths["pdf"] = html_to_pdf(paths["html"], out / "report.pdf")
    except AdvisorError as e:
        if pdf:
            raise
        log.warning("report.pdf not written: %s", e)
    return paths
