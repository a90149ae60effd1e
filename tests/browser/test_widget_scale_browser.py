"""The widget on 100,000 tiny in-memory images in a real JupyterLab: the progress strip becomes
bins drawn inside the viewport, hovering one names its images, clicking one opens its first open
image, the jump box opens images by name and number (and says so for an unknown name), and the
gallery of a long context set loads its thumbnails as they scroll into view, in the images'
aspect."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from .conftest import OpenWidget, opened_widget
from .lab import (
    MODEL_CODE,
    kernel_json,
    wait_until_idle,
    write_notebook,
)

COUNT = 100_000
CONTEXT = list(range(100, 4100, 100))  # 40 images in the context set: more than a row shows
SCALE_CELL = (
    MODEL_CODE
    + f"""import numpy as np
from multiverseg_widget.annotation.propagation import Propagation

images = np.random.default_rng(0).random(({COUNT}, 16, 32), dtype=np.float32)  # 2:1
s = mvw.Session(images, model=small_model(), max_context=4)  # a prediction costs the same
s.import_masks({{i: np.eye(16, 32, dtype=bool) for i in {CONTEXT}}}, structure=s.structure)
s.goto(30_000)
s.click(8, 8)
s.propagated = Propagation({{}}, {{i: (i % 100) / 100 for i in range(0, {COUNT}, 7)}})
s.goto(0)
w = mvw.annotate(s)
w
"""
)
# the strip as it shows itself: bins (a canvas) or cells, and the canvas's accessible name
# ("100000 images in 500 bins of 200; the image shown is in bin 1")
STRIP = """() => {
  const box = document.querySelector('.mvw-strip-box');
  const canvas = box.querySelector('canvas.mvw-bins');
  const r = canvas.getBoundingClientRect();
  const label = canvas.getAttribute('aria-label');
  const name = label.match(/ in (\\d+) bins of (\\d+); .* in bin (\\d+)$/);
  return {mode: box.querySelector('.mvw-cell') ? 'cells' : 'bins', bins: name[1], per: name[2],
          currentBin: String(name[3] - 1), rect: [r.left, r.top, r.right, r.bottom],
          width: innerWidth, height: innerHeight,
          overflow: document.querySelector('.mvw-root').scrollWidth
          - document.querySelector('.mvw-root').clientWidth};
}"""


@pytest.fixture()
def big(lab, browser, tmp_path) -> Iterator[OpenWidget]:
    name = write_notebook(lab, "scale.ipynb", SCALE_CELL)
    viewport = {"width": 1280, "height": 900}
    with opened_widget(lab, browser, name, tmp_path, viewport, timeout_ms=400_000) as opened:
        yield opened


def bin_point(strip: dict, k: int) -> tuple[float, float]:
    """Page coordinates of the middle of bin k."""
    left, top, right, bottom = strip["rect"]
    return left + (k + 0.5) * (right - left) / int(strip["bins"]), (top + bottom) / 2


def test_a_hundred_thousand_images(big, artifacts):
    page, root = big.page, big.root
    wait_until_idle(page)
    root.evaluate("el => el.scrollIntoView({block: 'start'})")
    strip = page.evaluate(STRIP)
    root.screenshot(path=str(artifacts / "scale-100000.png"))
    # bins, not 100,000 cells, inside the viewport, and nothing wider than the widget
    assert strip["mode"] == "bins" and page.locator(".mvw-cell").count() == 0
    left, top, right, bottom = strip["rect"]
    assert 0 <= left < right <= strip["width"] and 0 <= top < bottom <= strip["height"]
    assert right - left > 200 and strip["overflow"] <= 0
    per, bins = int(strip["per"]), int(strip["bins"])
    assert per * bins >= COUNT > per * (bins - 1) and bins * 2 <= right - left + 1
    assert strip["currentBin"] == "0"
    assert f"image 1 of {COUNT}" in page.locator(".mvw-status").inner_text()

    # hovering a bin names its images and their counts
    k = 30_000 // per
    page.mouse.move(*bin_point(strip, k))
    tip = page.locator(".mvw-strip-tip")
    tip.wait_for(state="visible")
    first, last = k * per + 1, min(COUNT, (k + 1) * per)
    assert tip.inner_text().startswith(f"images {first}–{last}: ")
    assert "1 in progress" in tip.inner_text() and "propagated, mean confidence" in tip.inner_text()

    # clicking a bin opens its first open image: the bin's first two images accepted first
    k = 60_000 // per
    start = k * per
    kernel_json(
        big.kernel,
        f"s.import_masks({{i: np.eye(16, 32, dtype=bool) for i in ({start}, {start + 1})}}, "
        "structure=s.structure); w.refresh(); print(1)",
    )
    page.wait_for_function(f"() => document.querySelector('.mvw-status').innerText.includes("
                           f"'accepted {len(CONTEXT) + 2}')")  # fmt: skip
    page.mouse.click(*bin_point(strip, k))
    seen = wait_until_idle(page)
    assert seen["index"] == start + 2
    assert page.evaluate(STRIP)["currentBin"] == str(k)

    # the jump box: a name, a number, an unknown name (an error; the image stays)
    name = kernel_json(big.kernel, "import json; print(json.dumps(s.names[54_321]))")
    jump = page.locator(".mvw-jump")
    jump.fill(name)
    jump.press("Enter")
    assert wait_until_idle(page)["index"] == 54321
    jump.fill("77777")
    jump.press("Enter")
    assert wait_until_idle(page)["index"] == 77776
    jump.fill("no such image")
    jump.press("Enter")
    assert wait_until_idle(page)["index"] == 77776
    error = page.locator(".mvw-error-line")
    error.wait_for(state="visible")
    assert re.search(r"no image is named 'no such image'", error.inner_text())

    # the gallery: thumbnails for the items in view, the others once scrolled to
    gallery = page.locator(".mvw-gallery")
    assert page.locator(".mvw-thumb").count() == len(CONTEXT) + 2
    page.wait_for_function("() => document.querySelectorAll('.mvw-thumb canvas').length > 0")
    wait_until_idle(page)
    assert gallery.locator(".mvw-picture.mvw-waiting").count() > 0  # far right: not loaded yet
    gallery.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    last = page.locator(".mvw-thumb").last
    last.locator("canvas").wait_for(state="visible")
    wait_until_idle(page)
    # thumbnails keep the images' aspect (they were stretched to squares once)
    width, height = last.locator("canvas").evaluate("c => [c.clientWidth, c.clientHeight]")
    assert width == pytest.approx(2 * height, abs=2)
    root.screenshot(path=str(artifacts / "scale-100000-gallery.png"))
