"""Real-browser tests: the app started as the README starts it, Debian's Chromium driven by Playwright.

The server runs `bash scripts/dashboard.sh` on a free port with a new workspace (created with the
sample data, as on a first start). Screenshots go to artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]

if not Path(CHROMIUM).exists():  # scripts/test.sh installs it; say so plainly if it is missing
    pytest.skip(f"Chromium not found at {CHROMIUM}: run bash scripts/test.sh, which installs it", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The dashboard on a free localhost port, with a new workspace; yields its URL."""
    port = _free_port()
    env = dict(os.environ, JOURNEY_LEDGER_WORKSPACE=str(tmp_path_factory.mktemp("browser") / "workspace.duckdb"),
               JOURNEY_LEDGER_SAMPLE="1")
    log = open(tmp_path_factory.mktemp("log") / "server.log", "w")
    proc = subprocess.Popen(["bash", "scripts/dashboard.sh", "--server.port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://localhost:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"the dashboard did not start; see {log.name}")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2600})  # tall: the whole page in one shot
    pg = context.new_page()
    yield pg
    context.close()


NOT_RUNNING = (
    "() => { const app = document.querySelector('[data-testid=stApp]');"
    " return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'; }"
)


def settle(page, timeout: float = 90_000) -> None:
    """Wait until Streamlit has finished running the script (twice: a run may trigger another)."""
    for _ in range(2):
        page.wait_for_function(NOT_RUNNING, timeout=timeout)
        page.wait_for_timeout(400)
    page.wait_for_function(NOT_RUNNING, timeout=timeout)


def shoot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_error(page) -> None:
    for testid in ("stException", "stAlertContentError"):
        boxes = page.locator(f'[data-testid="{testid}"]')
        assert boxes.count() == 0, f"{testid}: {boxes.first.inner_text()}"
    assert "Traceback" not in page.content()
