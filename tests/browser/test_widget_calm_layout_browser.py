"""The widget as a new user first sees it (issue 34): the quickstart's demo dataset (25 images
with long names) at 1024 x 720 in JupyterLab with the file browser open. The image takes the
room there is (at least 360 px tall) with the toolbar, Accept and the status line in view; the
canvas keeps its size through prompts, a new image, accepts, a suggestion, an error and a long
notice, and the status stays one line (long names elided in the middle, all of it on hover);
the help lies over the canvas and all of it can be read; the in-context gain chart has axes and
numbers. Screenshots go to the artifacts folder."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from multiverseg_widget.data import demo_dataset

from .conftest import OpenWidget, opened_widget
from .lab import (
    MODEL_CODE,
    canvas_point,
    drawn_frames,
    kernel_json,
    view_rect,
    wait_until_idle,
    write_notebook,
)
from .test_widget_layout_browser import THEMES, set_theme

VIEWPORT = {"width": 1024, "height": 720}
MIN_CANVAS = 360  # px: the image's least height at 1024 x 720 beside the file browser
FIRST_HOUR_CELL = (
    MODEL_CODE
    + """w = mvw.annotate(mvw_data.demo_dataset("bbbc039_nuclei"), model=small_model(),
                 workdir={workdir!r})
w
"""
)
# every size the canvas takes and every status line shown, with the status's and its parts'
# heights (one line: no taller than their line height), recorded from now on
RECORD = """() => {
  const root = document.querySelector('.mvw-root');
  const canvas = root.querySelector('.mvw-canvas');
  const text = root.querySelector('.mvw-status-text');
  const seen = window.mvwSeen = {sizes: [], lines: []};
  const line = () => {
    const parts = [...text.children].map((part) => part.getBoundingClientRect().height
      / parseFloat(getComputedStyle(part).lineHeight));
    seen.lines.push({text: text.textContent, lines: Math.max(...parts),
                     status: root.querySelector('.mvw-status').getBoundingClientRect().height});
  };
  new ResizeObserver(() => {
    const r = canvas.getBoundingClientRect();
    seen.sizes.push([r.width, r.height]);
  }).observe(canvas);
  new MutationObserver(line).observe(text, {subtree: true, childList: true, characterData: true});
  line();
}"""
# the rectangles (left, top, right, bottom) of what must be in view at once
PARTS = """() => {
  const root = document.querySelector('.mvw-root');
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const button = (text) => [...root.querySelectorAll('button')].find((b) => b.textContent === text);
  return {
    toolbar: box(root.querySelectorAll(':scope > .mvw-toolbar')[1]),
    accept: box(button('Accept')),
    canvas: box(root.querySelector('.mvw-canvas')),
    status: box(root.querySelector('.mvw-status')),
    suggest: box(button('Suggest next')),
    root: box(root),
  };
}"""


@pytest.fixture()
def first_hour(lab, browser, request, tmp_path) -> Iterator[OpenWidget]:
    """The quickstart's widget at 1024 x 720, in a notebook (and kernel) of its own."""
    workdir = tmp_path / "work"
    name = re.sub(r"\W", "_", request.node.name) + ".ipynb"
    write_notebook(lab, name, FIRST_HOUR_CELL.format(workdir=str(workdir)))
    with opened_widget(lab, browser, name, workdir, VIEWPORT) as opened:
        yield opened


def in_view(page) -> dict[str, list[float]]:
    """With the widget scrolled to the top of the notebook: the parts that must be in view,
    each checked inside the notebook's visible area."""
    page.locator(".mvw-root").evaluate("el => el.scrollIntoView({block: 'start'})")
    drawn_frames(page)
    view = view_rect(page)
    parts = page.evaluate(PARTS)
    for name in ("toolbar", "accept", "canvas", "status", "suggest"):
        left, top, right, bottom = parts[name]
        assert right > left and bottom > top, (name, parts[name])
        assert left >= view[0] - 1 and top >= view[1] - 1, (name, parts[name], view)
        assert right <= view[2] + 1 and bottom <= view[3] + 1, (name, parts[name], view)
    return parts


def test_the_canvas_keeps_its_size_and_the_status_one_line(first_hour, artifacts):
    page, kernel = first_hour.page, first_hour.kernel
    wait_until_idle(page)
    assert page.locator("#filebrowser").is_visible()  # beside JupyterLab's file browser
    parts = in_view(page)
    canvas = parts["canvas"]
    assert canvas[3] - canvas[1] >= MIN_CANVAS, canvas
    status_box, root = parts["status"], parts["root"]
    assert status_box[2] - status_box[0] >= 0.95 * (root[2] - root[0])  # the widget's width
    page.evaluate(RECORD)

    # a long name: elided in the middle on the line, in full on hover
    names = demo_dataset("bbbc039_nuclei").names
    image = page.locator(".mvw-status-image").text_content()
    assert image.startswith(f"image 1 of {len(names)} · {names[0][:10]}") and "…" in image
    assert names[0] not in image and names[0] in page.locator(".mvw-status-text").get_attribute(
        "title"
    )

    canvas_el = page.locator(".mvw-canvas")
    page.mouse.click(*canvas_point(page, 0.5, 0.5))  # a prompt
    wait_until_idle(page)
    canvas_el.press("n")  # a new image
    wait_until_idle(page)
    page.mouse.click(*canvas_point(page, 0.4, 0.4))
    wait_until_idle(page)
    canvas_el.press("Enter")  # an accept: the chart and the gallery show it
    wait_until_idle(page)
    page.mouse.click(*canvas_point(page, 0.6, 0.6))
    wait_until_idle(page)
    canvas_el.press("Enter")
    wait_until_idle(page)
    page.get_by_role("button", name="Suggest next").click()  # a suggestion, in the background
    wait_until_idle(page)
    page.wait_for_function("() => document.querySelector('.mvw-status-text')"
                           ".textContent.includes('suggested: ')", timeout=120_000)  # fmt: skip
    wait_until_idle(page)
    in_view(page)
    page.screenshot(path=str(artifacts / "first-hour-1024-suggested.png"))

    kernel_json(kernel, "w.refresh(error='something went wrong: ' + 'details ' * 40); print(1)")
    error = page.locator(".mvw-error-line")
    error.wait_for(state="visible")
    box, now = error.bounding_box(), page.evaluate(PARTS)
    assert box and now["canvas"][1] <= box["y"]  # over the canvas's foot: in view
    assert box["y"] + box["height"] <= now["canvas"][3]
    page.screenshot(path=str(artifacts / "first-hour-1024-error.png"))
    error.get_by_role("button", name="dismiss the error").click()

    out = first_hour.workdir.parent / ("exported_masks_with_a_long_folder_name_" * 3)
    page.get_by_label("export folder").fill(str(out))  # a long notice: the folder it wrote
    page.get_by_role("button", name="Export", exact=True).click()
    page.wait_for_function(
        "out => document.querySelector('.mvw-status-text').textContent.includes(out)",
        arg=str(out),
    )
    wait_until_idle(page)
    in_view(page)
    page.screenshot(path=str(artifacts / "first-hour-1024-exported.png"))

    seen = page.evaluate("() => window.mvwSeen")
    texts = [s["text"] for s in seen["lines"]]
    for expected in ("image 2 of", "suggest next: predicting", "suggested: ", "exported "):
        assert any(expected in t for t in texts), (expected, texts)  # the states were shown
    assert {tuple(s) for s in seen["sizes"]} == {(canvas[2] - canvas[0], canvas[3] - canvas[1])}
    for line in seen["lines"]:
        assert line["lines"] < 1.5 and line["status"] == seen["lines"][0]["status"], line


def test_the_help_lies_over_the_canvas_and_can_be_read(first_hour, artifacts):
    page = first_hour.page
    wait_until_idle(page)
    in_view(page)
    page.locator(".mvw-canvas").press("Shift+?")
    help_box = page.locator(".mvw-help")
    help_box.wait_for(state="visible")
    page.screenshot(path=str(artifacts / "first-hour-1024-help.png"))
    seen = help_box.evaluate(HELP)
    assert seen["onTop"], seen  # what is at its centre is the help's, not the canvas's
    assert seen["scrollHeight"] <= seen["clientHeight"], seen  # it all fits: nothing to scroll
    assert seen["rowsInside"], seen
    assert seen["box"][3] <= view_rect(page)[3], seen  # in view
    more = help_box.locator(".mvw-help-more")
    assert not more.is_visible()
    set_theme(page, THEMES["dark"])  # in the dark theme too: opaque, on top
    drawn_frames(page)
    assert help_box.evaluate(HELP)["onTop"]
    page.screenshot(path=str(artifacts / "first-hour-1024-help-dark.png"))
    set_theme(page, THEMES["light"])

    # a short window: the canvas is smaller than the help, which scrolls and says so until its
    # last row shows
    page.set_viewport_size({"width": 1024, "height": 480})
    drawn_frames(page)
    canvas = page.evaluate(PARTS)["canvas"]
    assert canvas[3] - canvas[1] < seen["scrollHeight"]
    short = help_box.evaluate(HELP)
    assert short["onTop"] and short["scrollHeight"] > short["clientHeight"], short
    assert not short["lastRowInside"] and more.is_visible()
    page.screenshot(path=str(artifacts / "first-hour-480-help.png"))
    help_box.hover()
    page.mouse.wheel(0, 1000)
    page.wait_for_function("el => el.scrollTop + el.clientHeight >= el.scrollHeight - 1",
                           arg=help_box.element_handle())  # fmt: skip
    more.wait_for(state="hidden")
    assert help_box.evaluate(HELP)["lastRowInside"]
    page.screenshot(path=str(artifacts / "first-hour-480-help-end.png"))


# the help box: its box, its content's height and its own, whether the element at its centre is
# its own, whether every row (the last one) lies inside its box
HELP = """el => {
  const r = el.getBoundingClientRect();
  const inside = (row) => {
    const b = row.getBoundingClientRect();
    return b.top >= r.top - 1 && b.bottom <= r.bottom + 1
      && b.left >= r.left - 1 && b.right <= r.right + 1;
  };
  const rows = [...el.querySelectorAll('tr')];
  return {
    box: [r.left, r.top, r.right, r.bottom],
    scrollHeight: el.scrollHeight, clientHeight: el.clientHeight,
    onTop: el.contains(document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2)),
    rowsInside: rows.every(inside), lastRowInside: inside(rows.at(-1)),
  };
}"""


def test_the_chart_has_axes_and_numbers(first_hour, artifacts):
    page, kernel = first_hour.page, first_hour.kernel
    wait_until_idle(page)
    chart = page.locator(".mvw-chart")
    assert chart.locator("rect").count() == 0 and "no image accepted yet" in chart.text_content()
    for clicks in (3, 1):  # two accepted images: 3 prompts, then 1
        for k in range(clicks):
            page.mouse.click(*canvas_point(page, 0.3 + 0.2 * k, 0.5))
            wait_until_idle(page)
        page.locator(".mvw-canvas").press("Enter")
        wait_until_idle(page)
    counts = kernel_json(kernel, "import json; print(json.dumps(w.prompts_per_accept))")
    assert counts == [3, 1]
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(artifacts / "first-hour-chart.png"))
    drawn = chart.evaluate(CHART)
    assert drawn["axes"] == 2
    assert [b["count"] for b in drawn["bars"]] == ["3", "1"]  # each bar's number above it
    assert [b["label"] for b in drawn["bars"]] == ["1", "2"]  # the images' order under them
    ticks = [float(t) for t in drawn["ticks"]]
    assert ticks[0] == 0 and ticks[-1] >= 3 and ticks == sorted(ticks)
    tall, short = drawn["bars"]
    assert tall["height"] == pytest.approx(3 * short["height"], rel=0.05)  # to scale


# the chart as drawn: its axis lines, the numbers left of the prompts axis (bottom to top), and
# per bar (left to right) its height, the number just above it and the one just under the axis
CHART = """svg => {
  const texts = [...svg.querySelectorAll('text')].map((t) => ({t, r: t.getBoundingClientRect()}));
  const axis = [...svg.querySelectorAll('line.mvw-axis')].map((l) => l.getBoundingClientRect());
  const left = Math.min(...axis.map((a) => a.left));
  const bottom = Math.max(...axis.map((a) => a.bottom));
  const near = (x, y0, y1) => texts.find(({r}) => r.left <= x && x <= r.right
    && r.top >= y0 && r.bottom <= y1)?.t.textContent;
  return {
    axes: axis.length,
    ticks: texts.filter(({r}) => r.right <= left && r.height < 20)
      .sort((a, b) => b.r.top - a.r.top).map(({t}) => t.textContent),
    bars: [...svg.querySelectorAll('rect')].map((b) => b.getBoundingClientRect())
      .sort((a, b) => a.left - b.left)
      .map((b) => ({height: b.height, count: near((b.left + b.right) / 2, b.top - 16, b.top),
                    label: near((b.left + b.right) / 2, bottom, bottom + 16)})),
  };
}"""
