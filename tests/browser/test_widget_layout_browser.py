"""The widget on real screens: at 1024 x 720 and 1920 x 1080, in JupyterLab's light and dark
themes, once the widget is scrolled into view, the image is in view with the toolbar, the status
line and the strip; at 1920 x 1080 the gallery and the export bar too (screenshots in the
artifacts folder). Then what the widget says: the image's state, errors in a line of their own,
the question before an empty mask is accepted, the strip's in-context cells; and the wheel,
which scrolls the page until the image is clicked."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .lab import (
    canvas_point,
    drawn_frames,
    kernel_json,
    mask_shown,
    requests_sent,
    shown,
    view_rect,
    wait_until_idle,
)
from .test_widget_browser import changed, click, kernel_state, press

THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
# what must be in view together at each size, and the image's least height there
ESSENTIAL = ["mvw-toolbar", "mvw-canvas", "mvw-status", "mvw-progress"]
SIZES = {
    (1024, 720): (ESSENTIAL, 360),
    (1920, 1080): ([*ESSENTIAL, "mvw-gallery", "mvw-export"], 500),
}
# the rectangles of those parts
RECTS = """names => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const root = document.querySelector('.mvw-root');
  return Object.fromEntries(names.map((n) => [n, box(root.querySelector('.' + n))]));
}"""


def set_theme(page, theme: str) -> None:
    page.evaluate(
        "t => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme
    )
    page.wait_for_function("t => document.body.dataset.jpThemeName === t", arg=theme)
    page.locator("#jupyterlab-splash").wait_for(state="detached")  # shown while it loads


def settle(page) -> None:
    """The layout after a resize, then the canvas drawn at its size."""
    drawn_frames(page)


def test_the_widget_fits_1024_and_1920_screens_in_light_and_dark(widget, artifacts):
    page, root = widget.page, widget.root
    click(widget, 0.5, 0.5)
    wait_until_idle(page)
    assert press(widget, "Enter")["index"] == 1  # a thumbnail in the gallery
    assert page.locator(".mvw-thumb").count() == 1
    for theme_name, theme in THEMES.items():
        set_theme(page, theme)
        for (width, height), (in_view, least) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            root.evaluate("el => el.scrollIntoView({block: 'start'})")
            settle(page)
            rects, view = page.evaluate(RECTS, in_view), view_rect(page)
            where = f"{width} x {height}, {theme_name}"
            root.screenshot(path=str(artifacts / f"widget-{width}-{theme_name}.png"))
            page.screenshot(path=str(artifacts / f"page-{width}-{theme_name}.png"))
            for name, (left, top, right, bottom) in rects.items():
                assert right > left and bottom > top, (where, name)
                inside = left >= view[0] - 1 and top >= view[1] - 1
                inside &= right <= view[2] + 1 and bottom <= view[3] + 1
                assert inside, (where, name, rects, view)
            canvas = rects["mvw-canvas"]
            assert canvas[3] - canvas[1] >= least, (where, canvas)  # the room there is
            # the toolbar: one row on a wide screen, two beside JupyterLab's file browser at 1024
            rows = page.evaluate(
                "() => [...document.querySelectorAll('.mvw-root > .mvw-toolbar')[1].children]"
                ".map(g => g.getBoundingClientRect().top).sort((a, b) => a - b)"
                ".filter((top, k, tops) => k === 0 || top - tops[k - 1] > 12).length"
            )
            assert rows <= (1 if width > 1024 else 2), (where, rows)
        background = root.evaluate(
            "el => getComputedStyle(el.querySelector('button')).backgroundColor"
        )
        dark = sum(map(int, background[background.index("(") + 1 : -1].split(",")[:3])) < 3 * 128
        assert dark == (theme_name == "dark"), (theme_name, background)  # the theme's colours


def test_the_widget_says_what_it_is_doing(widget, artifacts):
    page, root = widget.page, widget.root
    canvas = page.locator(".mvw-canvas")
    assert shown(page)["state"] == "new"

    # enter with an empty mask asks first; escape leaves it; the button accepts it empty
    requests = requests_sent(page)
    canvas.press("Enter")
    confirm = page.locator(".mvw-confirm")
    assert confirm.is_visible() and "mask is empty" in confirm.inner_text()
    root.screenshot(path=str(artifacts / "empty_accept_question.png"))
    page.keyboard.press("Escape")
    assert not confirm.is_visible() and requests_sent(page) == requests
    canvas.press("Enter")
    page.get_by_role("button", name="Accept empty (enter)").click()
    assert wait_until_idle(page)["index"] == 1 and not confirm.is_visible()
    assert kernel_state(widget)["accepted_pixels"] == {"0": 0}

    # an error in a line of its own, that can be dismissed
    kernel_json(widget.kernel, "w.refresh(error='something went wrong'); print(1)")
    error = page.locator(".mvw-error-line")
    error.wait_for(state="visible")
    assert error.inner_text().startswith("something went wrong")
    assert "something" not in page.locator(".mvw-status").inner_text()
    error.get_by_role("button", name="dismiss the error").click()
    assert not error.is_visible()

    click(widget, 0.5, 0.5)
    seen = wait_until_idle(page)
    assert seen["state"] == "in progress" and mask_shown(page, widget.kernel) > 0
    assert press(widget, "Enter")["index"] == 2
    assert press(widget, "p")["state"] == "in context"
    cells = page.locator(".mvw-cell")
    assert cells.nth(1).get_attribute("class").split()[1] == "mvw-in-context"
    # the session's propagation: each image's confidence in the status line
    kernel_json(widget.kernel, "w.session.propagate(progress=False); print(1)")
    assert "propagated, confidence" in press(widget, "n")["state"]
    page.locator(".mvw-thumb .mvw-remove").nth(1).click()  # image 2 leaves the context set
    wait_until_idle(page)
    assert cells.nth(1).get_attribute("class").split()[1] == "mvw-accepted"
    assert cells.nth(0).get_attribute("class").split()[1] == "mvw-in-context"
    assert press(widget, "p")["state"] == "accepted"

    # the wheel scrolls the notebook until the image is clicked; ctrl + wheel zooms
    page.set_viewport_size({"width": 1024, "height": 720})
    root.evaluate("el => el.scrollIntoView({block: 'center'})")
    page.evaluate("() => document.activeElement?.blur()")
    scroll = (
        "() => document.querySelector('.mvw-root').closest('.jp-WindowedPanel-outer').scrollTop"
    )
    top = page.evaluate(scroll)
    page.mouse.move(*canvas_point(page, 0.5, 0.5))
    page.mouse.wheel(0, -120)
    page.wait_for_function(f"() => ({scroll})() < {top}")
    page.mouse.move(*canvas_point(page, 0.5, 0.5))
    before, top = shot(canvas), page.evaluate(scroll)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -240)
    page.keyboard.up("Control")
    settle(page)
    zoomed = shot(canvas)
    assert page.evaluate(scroll) == top and changed(before, zoomed) > 1000
    canvas.focus()  # as a click on it does
    page.mouse.wheel(0, 240)
    settle(page)
    assert page.evaluate(scroll) == top and changed(zoomed, shot(canvas)) > 1000
    assert "wheel" in page.locator(".mvw-help").text_content()


def shot(canvas) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
