"""Screenshots of the real widget, one per tool, for the documentation:
``python scripts/docs_screenshots.py`` writes ``docs/images/tool-{click,box,scribble,eraser,
paint}.png``.

It drives the widget the way a user does: a JupyterLab server and Debian's headless Chromium
(the browser tests' helpers, ``tests/browser/lab.py``), the built-in weights on the demo nuclei,
one image per tool, aimed at real nuclei (the demo's ground truth says where they are). The
documentation shows screenshots rather than saved widget state because a saved widget has no
kernel behind it: it could not predict a single click.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from multiverseg_widget.data import demo_dataset  # noqa: E402
from tests.browser.lab import (  # noqa: E402
    canvas_point,
    chromium,
    jupyter_lab,
    open_widget,
    wait_until_idle,
    write_widget_notebook,
)

OUT = ROOT / "docs" / "images"
VIEWPORT = {"width": 1100, "height": 1100}


def nuclei(index: int) -> list[tuple[float, float, float, float, float, float]]:
    """The nuclei of demo image ``index``, largest first, as fractions of the image side:
    (centre x, centre y, x0, y0, x1, y1)."""
    mask = demo_dataset("bbbc039_nuclei").masks[index]
    labels, _ = ndimage.label(mask)
    side = mask.shape[1], mask.shape[0]
    found = []
    for rows, cols in ndimage.find_objects(labels):
        cy, cx = (rows.start + rows.stop) / 2, (cols.start + cols.stop) / 2
        box = (cols.start - 4, rows.start - 4, cols.stop + 4, rows.stop + 4)
        area = (rows.stop - rows.start) * (cols.stop - cols.start)
        found.append((area, cx / side[0], cy / side[1], *(b / s for b, s in zip(box, side * 2))))
    return [n[1:] for n in sorted(found, reverse=True)]


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="mvw-shots-") as base,
        jupyter_lab(Path(base)) as lab,
        chromium() as browser,
    ):
        name = write_widget_notebook(lab, "docs_screenshots.ipynb", Path(base) / "work")
        page = browser.new_page(viewport=VIEWPORT)
        root = open_widget(page, lab, name)
        canvas = page.locator(".mvw-canvas")

        def at(fx: float, fy: float) -> tuple[float, float]:
            return canvas_point(page, fx, fy)

        def stroke(points: list[tuple[float, float]], release: bool = True) -> None:
            page.mouse.move(*at(*points[0]))
            page.mouse.down()
            for p in points[1:]:
                page.mouse.move(*at(*p), steps=6)
            if release:
                page.mouse.up()

        def save(tool: str) -> None:
            wait_until_idle(page)
            page.mouse.move(0, 0)  # no hover outline of the pointer over the image
            root.screenshot(path=str(OUT / f"tool-{tool}.png"))
            print(f"wrote docs/images/tool-{tool}.png")

        a, b, c = nuclei(0)[:3]  # click: two nuclei in, a third one out
        canvas.press("1")
        page.mouse.click(*at(a[0], a[1]))
        wait_until_idle(page)
        page.mouse.click(*at(b[0], b[1]))
        wait_until_idle(page)
        page.mouse.click(*at(c[0], c[1]), button="right")
        save("click")

        canvas.press("n")
        a = nuclei(1)[0]  # box: around one nucleus
        canvas.press("2")
        stroke([(a[2], a[3]), (a[4], a[5])])
        save("box")

        canvas.press("n")
        a, b = nuclei(2)[:2]  # scribble: a stroke along each of two nuclei
        canvas.press("3")
        for n in (a, b):
            stroke(
                [
                    (n[2] + 0.3 * (n[4] - n[2]), n[1]),
                    (n[0], n[1]),
                    (n[4] - 0.3 * (n[4] - n[2]), n[1]),
                ]
            )
            wait_until_idle(page)
        save("scribble")

        canvas.press("n")
        a, b = nuclei(3)[:2]  # eraser: mid-drag across the second of two scribbles
        canvas.press("3")
        for n in (a, b):
            stroke([(n[2] + 0.2 * (n[4] - n[2]), n[1]), (n[4] - 0.2 * (n[4] - n[2]), n[1])])
            wait_until_idle(page)
        canvas.press("4")
        stroke([(b[0], b[3]), (b[0], b[1]), (b[0], b[5])], release=False)
        root.screenshot(path=str(OUT / "tool-eraser.png"))
        print("wrote docs/images/tool-eraser.png")
        page.mouse.up()
        wait_until_idle(page)

        canvas.press("n")
        a = nuclei(4)[0]  # paint: a click, then the mask widened by hand
        canvas.press("1")
        page.mouse.click(*at(a[0], a[1]))
        wait_until_idle(page)
        canvas.press("5")
        stroke([(a[4], a[3]), (a[4] + 0.05, a[1]), (a[4], a[5])])
        save("paint")
        page.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
