"""The README's main journey in a real browser: the quickstart notebook, as shipped, opens the
widget on the demo data with the built-in weights, and a click reaches the kernel's session."""

from __future__ import annotations

import shutil

from multiverseg_widget.demo import QUICKSTART, bundled_notebooks

from .lab import canvas_point, kernel_client, kernel_json, open_widget, wait_until_idle


def test_quickstart_opens_and_answers_a_click(lab, browser, artifacts):
    (source,) = [p for p in bundled_notebooks() if p.name == QUICKSTART]
    shutil.copyfile(source, lab.root / QUICKSTART)
    page = browser.new_page(viewport={"width": 1280, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_widget(page, lab, QUICKSTART)
        page.mouse.click(*canvas_point(page, 0.5, 0.5))
        seen = wait_until_idle(page)
        page.screenshot(path=artifacts / "quickstart.png")
        kernel = kernel_client(lab, QUICKSTART)
        state = kernel_json(
            kernel,
            "import json; s = w.session; print(json.dumps([s.names[s.index], len(s), "
            "s.interactions, int(s.mask.sum()), s.model.metadata.get('steps')]))",
        )
        kernel.stop_channels()
    finally:
        page.close()
    name, count, interactions, mask_pixels, steps = state
    assert count == 25 and name.startswith("IXMtest")  # the demo dataset, with its names
    assert [e["kind"] for e in interactions] == ["click"]
    assert int(seen["maskPixels"]) == mask_pixels
    assert steps, "the quickstart should run the built-in trained weights"
    assert not errors, errors
