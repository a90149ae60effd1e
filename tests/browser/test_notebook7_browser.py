"""The widget in Jupyter Notebook 7, not only JupyterLab: a Notebook 7 server of its own, its
notebook page in headless Chromium, the widget on a few demo images; a left click and a right
click (a negative click, no context menu) reach the kernel's session, with no page error."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .lab import (
    GOLDEN_FILE,
    ROOT,
    Lab,
    canvas_point,
    free_port,
    kernel_client,
    kernel_json,
    run_first_cell,
    wait_until_idle,
    write_widget_notebook,
)

NAME = "notebook7_widget.ipynb"

# Notebook 7.6.5's own start-up, before the widget's cell runs, sometimes throws this from its
# keyboard-shortcuts settings handler (notebook_core.js, SettingRegistry.pluginChanged reads
# plugins[id].schema of a plugin it has not got); nothing of the widget is loaded by then.
NOTEBOOK7_STARTUP_ERROR = "Cannot read properties of undefined (reading 'schema')"

# after the page's own handlers: did anyone prevent the browser's context menu?
WATCH_CONTEXT_MENU = """() => {
  window.__mvwContextMenus = [];
  window.addEventListener("contextmenu", (e) => {
    setTimeout(() => window.__mvwContextMenus.push(e.defaultPrevented), 0);
  }, true);
}"""


@contextlib.contextmanager
def jupyter_notebook7(base: Path, timeout: float = 120) -> Iterator[Lab]:
    """Start Notebook 7 (``python -m notebook``) on 127.0.0.1 with the same isolated Jupyter
    folders as ``lab.jupyter_lab``, until exit."""
    root, runtime, config = base / "root", base / "runtime", base / "config"
    for folder in (root, runtime, config):
        folder.mkdir(parents=True, exist_ok=True)
    news = config / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)  # no "official Jupyter news?" toast over the widget
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTERLAB_SETTINGS_DIR": str(config / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(config / "workspaces"),
        "MVW_GOLDEN": str(GOLDEN_FILE),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [
        sys.executable, "-m", "notebook", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--allow-root",
    ]  # fmt: skip
    log_path = base / "notebook.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Lab(f"http://127.0.0.1:{port}", token, root, runtime)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"jupyter notebook exited: {log_path.read_text()}")
            with contextlib.suppress(OSError):
                server.get("/api/status")
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"jupyter notebook did not answer in {timeout} s")
            time.sleep(0.5)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture()
def notebook7(tmp_path) -> Iterator[Lab]:
    with jupyter_notebook7(tmp_path / "server") as server:
        yield server


def test_widget_in_notebook7_answers_left_and_right_clicks(notebook7, browser, artifacts, tmp_path):
    server = notebook7
    name = write_widget_notebook(server, NAME, tmp_path / "work", count=3)
    page = browser.new_page(viewport={"width": 1280, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    kernel = None
    try:
        page.goto(f"{server.url}/notebooks/{name}?token={server.token}")
        page.wait_for_selector("#main-panel .jp-NotebookPanel .jp-Notebook", timeout=120_000)
        run_first_cell(page, timeout_ms=120_000)
        page.evaluate(WATCH_CONTEXT_MENU)

        page.mouse.click(*canvas_point(page, 0.5, 0.5))  # positive
        seen = wait_until_idle(page)
        page.mouse.click(*canvas_point(page, 0.3, 0.3), button="right")  # negative
        seen = wait_until_idle(page)
        page.wait_for_function("() => window.__mvwContextMenus.length > 0", timeout=10_000)
        context_menus = page.evaluate("() => window.__mvwContextMenus")
        lab_menus = page.locator(".lm-Menu").count()  # JupyterLab's own context menu
        page.screenshot(path=artifacts / "notebook7.png")

        kernel = kernel_client(server, name)
        state = kernel_json(
            kernel,
            "import json; s = w.session; print(json.dumps([len(s), "
            "[(e['kind'], e.get('positive')) for e in s.interactions], int(s.mask.sum())]))",
        )
    finally:
        if kernel is not None:
            kernel.stop_channels()
        for s in server.get("/api/sessions"):
            if s["path"].endswith(name):
                req = urllib.request.Request(
                    f"{server.url}/api/sessions/{s['id']}?token={server.token}", method="DELETE"
                )
                urllib.request.urlopen(req, timeout=30).close()
        page.close()
    count, interactions, mask_pixels = state
    assert count == 3
    assert [tuple(e) for e in interactions] == [("click", True), ("click", False)]
    assert int(seen["maskPixels"]) == mask_pixels
    assert context_menus == [True], "right click must not open the browser's context menu"
    assert lab_menus == 0, "right click must not open JupyterLab's context menu"
    assert not [e for e in errors if not e.startswith(NOTEBOOK7_STARTUP_ERROR)], errors
