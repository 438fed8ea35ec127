"""The dashboard in a real browser (Debian's headless Chromium driven by Playwright)."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from tests.sweep.conftest import start_cli

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, seconds: float = 60) -> bytes:
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def test_dashboard_shows_metric_names_and_pareto_front(made_study: tuple[str, str, Path], tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium chromium-driver (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    url, name, _ = made_study
    port = _free_port()
    server = start_cli("sweep.dashboard", ["--storage", url, "--study-name", name, "--port", str(port)])
    try:
        studies = json.loads(_wait_http(f"http://127.0.0.1:{port}/api/studies"))["study_summaries"]
        study_id = next(s["study_id"] for s in studies if s["study_name"] == name)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS,
                                         headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.goto(f"http://127.0.0.1:{port}/dashboard/studies/{study_id}", wait_until="networkidle")
            page.get_by_text("Pareto Front").first.wait_for(timeout=30_000)
            page.wait_for_selector(".js-plotly-plot .scatterlayer", timeout=30_000)
            text = page.inner_text("body")
            assert "same_lang_p@1" in text and "xling_map" in text
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
        assert shot.stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(timeout=10)
