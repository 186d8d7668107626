#!/usr/bin/env bash
# Set everything up and run the whole test suite (browser tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser tests and the PDF report drive Debian's Chromium with Playwright (Playwright's own
# browser download does not work offline); the report tests read PDFs with poppler's pdftotext.
# Install them once if they are missing.
if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium poppler-utils >/dev/null
fi
exec .venv/bin/python -m pytest "$@"
