"""report.pdf: the HTML report printed by headless Chromium, offline.

Chromium comes from the system (Debian: ``apt-get install chromium``; ``scripts/install_system_deps.sh``
installs it). Set ``ADVISOR_CHROMIUM`` to use another Chromium-based browser binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import AdvisorError

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT_S = 120.0

# Offline and quiet: no sandbox (containers, root), no GPU, no network side-channels.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)


class BrowserNotFoundError(AdvisorError):
    """No headless Chromium to print the PDF with."""


def find_browser() -> str | None:
    """Path of a Chromium binary (``ADVISOR_CHROMIUM`` first), or None."""
    env = os.environ.get("ADVISOR_CHROMIUM")
    if env:
        return env if Path(env).is_file() else shutil.which(env)
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def run_browser(args: list[str], *, browser: str | None = None, timeout_s: float = PRINT_TIMEOUT_S) -> None:
    """Run headless Chromium with the offline flags, a throw-away profile and ``args``.

    Raises:
        BrowserNotFoundError: no browser is installed.
        AdvisorError: the browser failed or timed out.
    """
    exe = browser or find_browser()
    if exe is None:
        raise BrowserNotFoundError(
            "report.pdf needs headless Chromium: install it (Debian/Ubuntu: `apt-get install -y chromium`, "
            "or run scripts/install_system_deps.sh) or set ADVISOR_CHROMIUM to a Chromium binary"
        )
    with tempfile.TemporaryDirectory(prefix="advisor-chromium-") as profile:
        cmd = [exe, *_FLAGS, f"--user-data-dir={profile}", *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise AdvisorError(f"headless Chromium did not finish within {timeout_s:.0f} s: {exe}") from None
    if proc.returncode != 0:
        raise AdvisorError(f"headless Chromium exited with {proc.returncode}: {proc.stderr[-1500:]}")


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *, browser: str | None = None) -> Path:
    """Print the HTML file at ``html_path`` to ``pdf_path`` (A4, no header or footer).

    The PDF is written to a temporary file beside ``pdf_path`` and renamed into place, so a
    reader never sees a half-written PDF.
    """
    src = Path(html_path).resolve()
    dst = Path(pdf_path)
    fd, tmp_name = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        run_browser(
            [
                "--no-pdf-header-footer",
                "--run-all-compositor-stages-before-draw",
                f"--print-to-pdf={tmp}",
                src.as_uri(),
            ],
            browser=browser,
        )
        if tmp.stat().st_size == 0 or not tmp.read_bytes()[:5] == b"%PDF-":
            raise AdvisorError(f"headless Chromium wrote no PDF for {src}")
        tmp.chmod(0o644)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return dst


def screenshot(
    html_path: str | Path,
    png_path: str | Path,
    *,
    width: int = 1200,
    height: int = 4000,
    browser: str | None = None,
) -> Path:
    """Screenshot the HTML file at ``html_path`` into ``png_path`` (``width`` x ``height`` pixels)."""
    out = Path(png_path).resolve()
    run_browser(
        [f"--window-size={width},{height}", f"--screenshot={out}", Path(html_path).resolve().as_uri()],
        browser=browser,
    )
    if not out.is_file():
        raise AdvisorError(f"headless Chromium wrote no screenshot for {html_path}")
    return out
