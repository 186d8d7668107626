#!/usr/bin/env bash
# Set everything up and start the dashboard on http://localhost:8501 (sample data included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m ui.serve "$@"
