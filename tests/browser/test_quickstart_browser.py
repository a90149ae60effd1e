"""The README's main journey in a real browser: ``multiverseg-widget demo``, run as the README
runs it, prints a URL that opens the quickstart notebook itself (no news pop-up over it); the
notebook, as shipped, opens the widget on the demo data with the built-in weights, and a click
reaches the kernel's session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from multiverseg_widget.demo import QUICKSTART

from ..test_demo import start_demo
from .lab import (
    Lab,
    canvas_point,
    kernel_client,
    kernel_json,
    mask_shown,
    run_first_cell,
    wait_until_idle,
)


@pytest.fixture()
def demo(tmp_path, monkeypatch) -> Iterator[tuple[Lab, str]]:
    """The demo command from an empty folder; Jupyter's per-user folders are the test's own, so
    nothing of this machine's Jupyter setup changes what the test sees."""
    for variable, folder in [
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
    ]:
        monkeypatch.setenv(variable, str(tmp_path / folder))
    home = tmp_path / "home"
    home.mkdir()
    process, printed = start_demo([], home)  # as the README runs it: no arguments
    url = printed[-1].strip()
    base, token = url.split("/lab/tree/")[0], url.split("token=")[1]
    try:
        yield Lab(base, token, home / "multiverseg-demo", tmp_path / "runtime"), url
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_demo_url_opens_the_quickstart_and_answers_a_click(demo, browser, artifacts):
    lab, url = demo
    page = browser.new_page(viewport={"width": 1280, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url)
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=180_000)
        active_tab = page.locator(".jp-mod-current .lm-TabBar-tabLabel").first.inner_text()
        run_first_cell(page)
        page.mouse.click(*canvas_point(page, 0.5, 0.5))
        wait_until_idle(page)
        toasts = page.locator(".Toastify__toast").all_inner_texts()
        page.screenshot(path=artifacts / "quickstart.png")
        kernel = kernel_client(lab, QUICKSTART)
        state = kernel_json(
            kernel,
            "import json; s = w.session; print(json.dumps([s.names[s.index], len(s), "
            "s.interactions, int(s.mask.sum()), s.model.metadata.get('steps')]))",
        )
        shown_pixels = mask_shown(page, kernel)  # the canvas shows the kernel's mask
        # the click was handled on the kernel's main thread: no subshell thread was made for it
        names = "import json, threading; print(json.dumps([t.name for t in threading.enumerate()]))"
        threads = kernel_json(kernel, names)
        kernel.stop_channels()
    finally:
        page.close()
    assert active_tab == QUICKSTART
    assert not any("news" in toast.lower() for toast in toasts), toasts
    name, count, interactions, mask_pixels, steps = state
    assert count == 25 and name.startswith("IXMtest")  # the demo dataset, with its names
    assert [e["kind"] for e in interactions] == ["click"]
    assert shown_pixels == mask_pixels
    assert steps, "the quickstart should run the built-in trained weights"
    assert not [t for t in threads if t.startswith("subshell")], threads
    assert not errors, errors
