"""The widget in Jupyter Notebook 7, not only JupyterLab: a Notebook 7 server of its own, its
notebook page in headless Chromium, the widget on a few demo images; a left click and a right
click (a negative click, no context menu) reach the kernel's session, with no page error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .lab import (
    NOTEBOOK7_ARGS,
    Lab,
    canvas_point,
    close_sessions,
    jupyter_server,
    kernel_client,
    kernel_json,
    mask_shown,
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


@pytest.fixture()
def notebook7(tmp_path) -> Iterator[Lab]:
    with jupyter_server(tmp_path / "server", NOTEBOOK7_ARGS, timeout=120) as server:
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
        wait_until_idle(page)
        page.mouse.click(*canvas_point(page, 0.3, 0.3), button="right")  # negative
        wait_until_idle(page)
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
        shown_pixels = mask_shown(page, kernel)  # the canvas shows the kernel's mask
    finally:
        if kernel is not None:
            kernel.stop_channels()
        close_sessions(server, name)
        page.close()
    count, interactions, mask_pixels = state
    assert count == 3
    assert [tuple(e) for e in interactions] == [("click", True), ("click", False)]
    assert shown_pixels == mask_pixels
    assert context_menus == [True], "right click must not open the browser's context menu"
    assert lab_menus == 0, "right click must not open JupyterLab's context menu"
    assert not [e for e in errors if not e.startswith(NOTEBOOK7_STARTUP_ERROR)], errors
