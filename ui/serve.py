"""Start the dashboard: ``streamlit run app.py``, with Streamlit's pages-folder mode turned off.

Streamlit treats a ``pages/`` folder beside the main script as its older multipage mode: a
link to ``/overview`` would then run ``pages/overview.py`` on its own, without ``app.py``'s router,
page config and page titles, until some session happened to load ``/``. Our pages are routed
by ``st.navigation`` in ``app.py``, so the flag is set before the server starts.
Usage: ``python -m ui.serve [streamlit options]`` (what ``scripts/dashboard.sh`` runs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parents[1] / "app.py"


def main() -> int:
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
