#!/bin/sh
# System packages the reports need: headless Chromium (report.pdf, screenshot tests) and
# poppler-utils (pdftoppm/pdfinfo/pdftotext in the PDF tests). Installs only what is missing,
# only as root with apt-get; otherwise says what to install and exits 0 (the tests then skip).
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
  || command -v google-chrome >/dev/null 2>&1 || [ -n "${ADVISOR_CHROMIUM:-}" ] || missing="$missing chromium"
command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler-utils"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "install_system_deps: apt-get install$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
else
  echo "install_system_deps: missing$missing; install them (Debian/Ubuntu: sudo apt-get install$missing)." >&2
  echo "install_system_deps: without them report.pdf is skipped and the browser/PDF tests skip." >&2
fi
