"""The explorer in a real browser: headless Chromium drives JupyterLab and the Voila page.

Needs the Debian `chromium` package (`make setup` installs it where it can) and the `playwright`
Python package, which drives that browser; `playwright install` is never needed. Without either,
both tests are skipped, with a loud line in pytest's summary (tests/conftest.py); under CI=true
they fail instead.
"""

import contextlib
import importlib.util
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "05_explore.ipynb"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
BIN = Path(sys.executable).parent
# The start of a skip reason that tests/conftest.py repeats at the end of the run.
SKIP_BANNER = "BROWSER TESTS SKIPPED"


def missing() -> str | None:
    """What the browser tests lack, with the command that installs it; None when nothing."""
    if not Path(CHROMIUM).is_file():
        return (f"Chromium not found at {CHROMIUM}; install it with: sudo apt-get install -y "
                "chromium (or set CHROMIUM to a Chromium binary; never `playwright install`)")
    if importlib.util.find_spec("playwright") is None:
        return ("the playwright Python package is missing; install it with: make setup "
                "(pip install -e '.[dev]')")
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    problem = missing()
    if problem and os.environ.get("CI") == "true":
        pytest.fail(problem)  # CI must run them
    if problem:
        pytest.skip(f"{SKIP_BANNER}: {problem}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def served_copy(tmp_path):
    """A copy of the explorer notebook in a temporary folder, so autosave never touches ours."""
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    return tmp_path


def start(command: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "GAN_TUTORIAL_MODE": "quick"}
    return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def wait_for(check, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def answers(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


def move_slider_and_check(page, shot: Path) -> None:
    """Once every cell has run, press ArrowRight on the first style slider; the digit must change."""
    page.wait_for_selector(".noUi-handle", timeout=180_000)
    page.get_by_text("median_ms").first.wait_for(timeout=240_000)  # the notebook's last output
    page.wait_for_timeout(1000)
    image = page.locator("img.widget-image").first  # the explorer's digit
    before, drawn = image.get_attribute("src"), pixels(image.screenshot())
    handle = page.locator(".noUi-handle").first
    for _ in range(3):  # JupyterLab can take the focus back as Run All ends: press again
        handle.focus()
        for _ in range(5):
            handle.press("ArrowRight")
        with contextlib.suppress(TimeoutError):
            wait_for(lambda: image.get_attribute("src") != before, "the digit to be redrawn", 30)
            break
    else:
        raise TimeoutError("the digit was not redrawn after three rounds of five key presses")
    page.wait_for_timeout(500)  # the new picture painted
    redrawn = pixels(image.screenshot())
    page.screenshot(path=str(shot), full_page=True)
    assert drawn.shape == redrawn.shape and drawn.std() > 20  # a digit, not a blank square
    changed = np.abs(drawn.astype(float) - redrawn.astype(float)) > 40
    assert changed.mean() > 0.01, "the slider moved, but the digit on screen looks the same"


def pixels(png: bytes) -> np.ndarray:
    """A screenshot as grey levels 0..255."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


def run_all_cells(page) -> None:
    """Run > Run All Cells; retried, since a click while the page settles can be lost."""
    def started() -> bool:
        prompts = page.locator(".jp-InputPrompt").all_inner_texts()
        return any("*" in p or any(ch.isdigit() for ch in p) for p in prompts)

    for _ in range(3):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        item = page.locator(".lm-Menu-item[data-command='runmenu:run-all']")
        item.wait_for(state="visible")
        page.wait_for_timeout(500)
        item.click()
        try:
            wait_for(started, "the cells to start running", 20)
            return
        except TimeoutError:
            page.keyboard.press("Escape")
    raise AssertionError("Run All Cells did not start the notebook in JupyterLab")


@pytest.mark.slow
def test_explorer_in_jupyterlab(browser, served_copy, tmp_path):
    port = free_port()
    lab = start([str(BIN / "jupyter"), "lab", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
                 "--port", str(port), "--IdentityProvider.token=", "--ServerApp.password=",
                 f"--ServerApp.root_dir={served_copy}", "--LabApp.news_url=None",
                 "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                tmp_path / "lab.log")
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/api/status"), "JupyterLab", 60)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}")
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                               timeout=120_000)
        run_all_cells(page)
        move_slider_and_check(page, tmp_path / "jupyterlab.png")
    finally:
        stop(lab)


@pytest.mark.slow
def test_explorer_as_voila_app(browser, served_copy, tmp_path):
    port = free_port()
    log = tmp_path / "voila.log"
    voila = start([str(BIN / "voila"), str(served_copy / NOTEBOOK.name), "--no-browser",
                   "--port", str(port), "--Voila.ip=127.0.0.1"], log)
    try:
        wait_for(lambda: "running at" in log.read_text(), "Voila to start", 60)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/", timeout=180_000)
        move_slider_and_check(page, tmp_path / "voila.png")
        assert "set_random_seed(seed)" not in page.inner_text("body")  # a code line: hidden
    finally:
        stop(voila)
