"""The widget in a real JupyterLab and a real Chromium: clicks, box, scribble, eraser, shortcuts,
accept, gallery; painting the mask by hand; a second structure from the structure picker; then a
burst of 200 clicks. Every step is checked on both sides: what the page draws and what the
kernel's session holds (read through a second kernel client and the work folder)."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import numpy as np
from PIL import Image

from multiverseg_widget.annotation.prompt_logs import read_log

from .lab import (
    canvas_point,
    contour_pixels,
    drawn_frames,
    kernel_held,
    kernel_json,
    mask_shown,
    requests_sent,
    structure_color,
    wait_until_idle,
)

STATE = """
import json
s = w.session
print(json.dumps({
    "interactions": s.interactions, "index": s.index, "accepted": sorted(s.accepted),
    "context": s.context_indices, "mask_pixels": int(s.mask.sum()), "brush": w.brush,
    "accepted_pixels": {str(i): int(m.sum()) for i, m in s.accepted.items()},
}))
"""
STRUCTURES = """
import json
s = w.session
current, parts = s.structure, {}
for name in s.structures:  # each structure's accepted masks, and its prompts of the image shown
    s.structure = name
    parts[name] = {
        "accepted": {str(i): int(m.sum()) for i, m in s.accepted.items()},
        "interactions": s.interactions,
    }
s.structure = current
print(json.dumps({
    "structures": s.structures, "current": current, "index": s.index, "parts": parts,
    "colors": w.colors, "labels": sorted(set(s.label_map(0).ravel().tolist())),
}))
"""
RSS = """
import json
status = open("/proc/self/status").read().splitlines()
print(json.dumps(int(next(l for l in status if l.startswith("VmRSS")).split()[1])))
"""


def shot(widget, artifacts: Path, name: str) -> np.ndarray:
    """The canvas as RGB pixels, also saved as an artefact."""
    png = widget.page.locator(".mvw-canvas").screenshot()
    (artifacts / f"{name}.png").write_bytes(png)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def changed(a: np.ndarray, b: np.ndarray) -> int:
    return int((np.abs(a - b).sum(axis=-1) > 30).sum())


def click(widget, fx: float, fy: float, button: str = "left") -> None:
    widget.page.mouse.click(*canvas_point(widget.page, fx, fy), button=button)


def drag(widget, points: list[tuple[float, float]]) -> None:
    mouse = widget.page.mouse
    mouse.move(*canvas_point(widget.page, *points[0]))
    mouse.down()
    for p in points[1:]:
        mouse.move(*canvas_point(widget.page, *p), steps=4)
    mouse.up()


def press(widget, key: str) -> dict:
    widget.page.locator(".mvw-canvas").press(key)
    return wait_until_idle(widget.page)


def kernel_state(widget) -> dict:
    return kernel_json(widget.kernel, STATE)


def cells(widget) -> int:
    return widget.page.locator(".jp-Notebook .jp-Cell").count()


def test_annotate_with_mouse_and_shortcuts(widget, artifacts):
    page = widget.page
    opened = shot(widget, artifacts, "0_opened")
    n_cells = cells(widget)

    click(widget, 0.5, 0.5)  # positive
    wait_until_idle(page)
    mask_pixels = mask_shown(page, widget.kernel)
    with_overlay = shot(widget, artifacts, "1_click")
    assert mask_pixels > 0 and changed(opened, with_overlay) > 0
    page.locator(".mvw-canvas").press("o")
    without_overlay = shot(widget, artifacts, "2_overlay_off")
    assert changed(with_overlay, without_overlay) > mask_pixels  # the overlay's pixels
    page.locator(".mvw-canvas").press("o")

    click(widget, 0.3, 0.3, button="right")  # negative
    wait_until_idle(page)
    # the toolbar's tool buttons come from js/tools.js: each a picture named with its key, and a
    # tooltip that starts with that name
    tools = page.locator(".mvw-tool")
    names = [tools.nth(k).get_attribute("aria-label") for k in range(5)]
    assert names == ["Click (1)", "Box (2)", "Scribble (3)", "Eraser (4)", "Paint (5)"]
    assert all(tools.nth(k).get_attribute("title").startswith(names[k]) for k in range(5))
    assert tools.locator("svg").count() == 5
    page.locator(".mvw-canvas").press("2")
    assert tools.nth(1).get_attribute("aria-pressed") == "true"  # box
    drag(widget, [(0.2, 0.2), (0.7, 0.7)])
    wait_until_idle(page)
    page.get_by_role("button", name="Scribble (3)").click()  # the button picks it as 3 does
    assert tools.nth(2).get_attribute("aria-pressed") == "true"
    drag(widget, [(0.6, 0.2), (0.7, 0.25), (0.8, 0.3)])
    wait_until_idle(page)
    shot(widget, artifacts, "3_prompts")

    state = kernel_state(widget)
    kinds = [(e["kind"], e.get("positive")) for e in state["interactions"]]
    assert kinds == [("click", True), ("click", False), ("box", None), ("scribble", True)]
    assert np.allclose(state["interactions"][2]["box"], [51, 51, 180, 180], atol=2)
    assert len(state["interactions"][3]["points"]) >= 2
    assert mask_shown(page, widget.kernel) == state["mask_pixels"]
    record = json.loads((widget.workdir / "session.json").read_text())
    # the current structure's part (a record of version 1 has its parts at the top level)
    parts = [p for p in record.get("structures", []) if p["name"] == record["structure"]]
    part = parts[0] if parts else record
    assert read_log(widget.workdir, part["logs"]["0"]) == state["interactions"]  # stored too

    # the eraser (4) across the scribble: it goes, by its log position and the log's version;
    # undo (z) brings it back
    page.locator(".mvw-canvas").press("4")
    assert tools.nth(3).get_attribute("aria-pressed") == "true"  # eraser
    drag(widget, [(0.7, 0.18 + 0.005 * k) for k in range(29)])
    wait_until_idle(page)
    assert [e["kind"] for e in kernel_state(widget)["interactions"]] == ["click", "click", "box"]
    press(widget, "z")
    assert kernel_state(widget)["interactions"] == state["interactions"]

    press(widget, "z")
    assert len(kernel_state(widget)["interactions"]) == 3
    press(widget, "Shift+Z")
    assert len(kernel_state(widget)["interactions"]) == 4
    press(widget, "Control+z")
    state = kernel_state(widget)
    assert (
        len(state["interactions"]) == 3 and mask_shown(page, widget.kernel) == state["mask_pixels"]
    )
    before_accept = state["mask_pixels"]

    seen = press(widget, "Enter")  # accept & next
    state = kernel_state(widget)
    assert state["accepted"] == [0] and state["context"] == [0] and state["index"] == 1
    assert state["accepted_pixels"]["0"] == before_accept
    assert seen["index"] == 1 and page.locator(".mvw-thumb").count() == 1
    assert list((widget.workdir / "masks").glob("*.png"))
    # the in-context gain chart: one bar, the 3 prompts image 1 took
    assert page.locator(".mvw-chart rect").count() == 1
    assert page.locator(".mvw-chart").get_attribute("aria-label") == "3"
    # the export control: the format, a folder, the button; the status line says what it wrote
    out = widget.workdir.parent / f"{widget.workdir.name}-exported"  # beside the work folder
    page.get_by_label("export format").select_option("tiff")
    page.get_by_label("export folder").fill(str(out))
    page.get_by_role("button", name="Export", exact=True).click()
    wait_until_idle(page)
    assert sorted(f.suffix for f in out.iterdir()) == [".json", ".tif"]  # the mask, the manifest
    status = page.locator(".mvw-status-text").inner_text()
    assert "exported the masks of 1 image as tiff to" in status
    # the gallery's × takes the image out of the context set; the status line's Undo puts it back
    page.locator(".mvw-thumb .mvw-remove").click()
    wait_until_idle(page)
    assert kernel_state(widget)["context"] == [] and page.locator(".mvw-thumb").count() == 0
    assert "image 1 left the context set" in page.locator(".mvw-status-text").inner_text()
    page.locator(".mvw-undo-context").click()
    wait_until_idle(page)
    assert kernel_state(widget)["context"] == [0] and page.locator(".mvw-thumb").count() == 1
    assert page.locator(".mvw-undo-context").is_hidden()

    page.locator(".mvw-thumb canvas").click()  # the gallery opens the context image
    assert wait_until_idle(page)["index"] == 0
    widget.root.screenshot(path=str(artifacts / "widget.png"))
    assert press(widget, "n")["index"] == 1 and press(widget, "p")["index"] == 0
    page.locator(".mvw-canvas").press("]")
    page.locator(".mvw-canvas").press("x")
    page.locator(".mvw-canvas").press("Shift+?")
    assert page.locator(".mvw-help").is_visible()
    assert page.locator(".mvw-sign").get_attribute("aria-label") == "negative (x)"
    assert kernel_state(widget)["brush"] == 4

    # JupyterLab's own command-mode shortcuts (1 = markdown, x = cut, z = undo, a = insert
    # above, enter = edit) never fired: the same cells, still code, the widget still shown
    assert cells(widget) == n_cells
    for key in ("a", "1", "x", "o", "z", "Enter"):
        page.locator(".mvw-canvas").press(key)
    wait_until_idle(page)
    assert cells(widget) == n_cells and page.locator(".jp-CodeCell .mvw-root").is_visible()
    assert page.locator(".jp-Notebook.jp-mod-editMode").count() == 0
    # ... and it is the mark that stops them: without it, "a" inserts a cell above
    page.evaluate(
        "() => document.querySelectorAll('[data-lm-suppress-shortcuts]')"
        ".forEach(e => e.removeAttribute('data-lm-suppress-shortcuts'))"
    )
    page.locator(".mvw-canvas").press("a")
    page.wait_for_function(
        f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length > {n_cells}"
    )


def outline_band(widget, artifacts: Path, name: str) -> np.ndarray:
    """The pixels the contour overlay draws in the structure's colour (#ffaa00): the canvas
    with the overlay against the canvas without it."""
    page = widget.page
    with_contour = shot(widget, artifacts, name)
    page.locator(".mvw-canvas").press("o")
    without = shot(widget, artifacts, f"{name}_off")
    page.locator(".mvw-canvas").press("o")
    orange = np.abs(with_contour - [255, 170, 0]).max(axis=-1) < 60
    return orange & (np.abs(with_contour - without).sum(axis=-1) > 30)


def test_the_contour_is_two_screen_pixels_wide_at_any_zoom(widget, artifacts):
    """Once 1 image pixel at 50% opacity, faint at fit zoom; now 2 screen pixels on a halo."""
    from scipy import ndimage

    page = widget.page
    click(widget, 0.5, 0.5)
    wait_until_idle(page)
    page.locator('select[title^="overlay"]').select_option("contour")  # as a user picks it
    overlay = page.get_by_role("button", name="Overlay on / off (o)")
    assert overlay.get_attribute("aria-pressed") == "true"
    drawn_frames(page)
    widths = {}
    for zoom in ("fit", "zoomed"):
        if zoom == "zoomed":
            page.locator(".mvw-canvas").focus()
            page.mouse.move(*canvas_point(page, 0.5, 0.5))
            page.mouse.wheel(0, -480)  # a focused canvas zooms with the wheel
            drawn_frames(page)
        band = outline_band(widget, artifacts, f"contour_{zoom}")
        assert band.sum() > 50, zoom
        # a band at least 2 pixels wide keeps pixels under a 2 x 2 erosion; one of at most 3
        # loses nearly all of them under a 4 x 4 one, at either zoom: screen pixels
        two = ndimage.binary_erosion(band, np.ones((2, 2))).sum() / band.sum()
        four = ndimage.binary_erosion(band, np.ones((4, 4))).sum() / band.sum()
        widths[zoom] = (round(float(two), 2), round(float(four), 2))
        assert two > 0.25 and four < 0.1, widths


BUSY = "() => document.querySelector('.mvw-root').getAttribute('aria-busy')"


def test_the_spinner_exists_only_for_requests_that_last(widget):
    """An animation, even one whose start is delayed, has the browser draw every frame while a
    click is predicted: a request shorter than 0.3 s has none; a longer one shows the spinner.
    The kernel is held (a cell waits for the test) for as long as the request must last."""
    page = widget.page
    animations = "() => document.getAnimations().length"
    with kernel_held(widget.kernel):  # released once checked: well within 0.3 s
        click(widget, 0.5, 0.5)
        assert page.evaluate(BUSY) == "true"
        assert page.evaluate(animations) == 0
    wait_until_idle(page)
    assert page.locator(".mvw-busy.mvw-on").count() == 0
    with kernel_held(widget.kernel):  # until the spinner has shown
        click(widget, 0.3, 0.3)
        page.wait_for_selector(".mvw-busy.mvw-on", timeout=1200)
        assert page.evaluate(animations) >= 1
    wait_until_idle(page)
    assert page.locator(".mvw-busy.mvw-on").count() == 0 and page.evaluate(animations) == 0


def test_a_click_is_marked_before_the_kernel_answers(widget, artifacts):
    """The mark of a click is drawn on the frame shown at once (not with a whole new frame),
    while the kernel still predicts (here: is held until the mark is checked); the answer's
    frame keeps it."""
    page = widget.page
    x, y = canvas_point(page, 0.4, 0.6)
    left, top = page.locator(".mvw-canvas").evaluate(
        "el => { const r = el.getBoundingClientRect(); return [r.x, r.y]; }"
    )
    green = [40, 220, 90]  # the positive sign's colour (js/tools/tool.js SIGN_COLORS)
    at = (round(y - top), round(x - left))
    with kernel_held(widget.kernel):
        page.mouse.click(x, y)
        pending = shot(widget, artifacts, "mark_pending")
        assert page.evaluate(BUSY) == "true"
        assert np.abs(pending[at] - green).max() < 40, pending[at]
    wait_until_idle(page)
    answered = shot(widget, artifacts, "mark_answered")
    assert np.abs(answered[at] - green).max() < 40, answered[at]
    assert kernel_state(widget)["interactions"][0]["kind"] == "click"


def test_a_second_structure_from_the_picker(widget, artifacts):
    page, root = widget.page, widget.root
    model_line = page.locator(".mvw-model")
    assert model_line.is_visible()
    assert re.fullmatch(r"built-in · cpu · 0\.3 M parameters", model_line.inner_text())
    assert "next structure" in page.locator(".mvw-help").text_content()

    click(widget, 0.5, 0.5)  # the first structure ("object")
    wait_until_idle(page)
    first = mask_shown(page, widget.kernel)
    page.get_by_role("button", name="+ Add").click()
    field = page.locator(".mvw-name")
    field.fill("nucleus")
    field.press("Enter")  # the picker's own name field: added, and annotated from now on
    assert wait_until_idle(page)["structure"] == "nucleus" and not field.is_visible()
    assert page.locator(".mvw-structure").all_text_contents() == ["object", "nucleus"]
    click(widget, 0.3, 0.3)
    wait_until_idle(page)
    second = mask_shown(page, widget.kernel)
    shot(widget, artifacts, "5_second_structure")
    assert press(widget, "s")["structure"] == "object"  # back to the first, by its shortcut
    assert press(widget, "Enter")["index"] == 1

    assert press(widget, "p")["index"] == 0
    seen = press(widget, "s")
    first_color = structure_color(page, "object")
    assert seen["structure"] == "nucleus"
    assert contour_pixels(page, first_color) > 20  # the first's faint contour
    shot(widget, artifacts, "6_other_structure_contour")
    assert press(widget, "Enter")["index"] == 1
    seen = press(widget, "p")
    assert seen["index"] == 0 and seen["structure"] == "nucleus"
    assert contour_pixels(page, first_color) > 20
    assert page.locator(".mvw-thumb").count() == 1  # the gallery of the structure shown
    assert page.locator(".mvw-root > .mvw-label").inner_text() == "Context set of nucleus (1)"

    page.locator(".mvw-structure.mvw-active input[type=color]").fill("#00ff00")
    page.get_by_role("button", name="Rename").click()
    assert field.input_value() == "nucleus"
    field.fill("nuclei")
    field.press("Enter")
    assert wait_until_idle(page)["structure"] == "nuclei"
    deadline = time.monotonic() + 30
    while (state := kernel_json(widget.kernel, STRUCTURES))["colors"][1] != "#00ff00":
        assert time.monotonic() < deadline, state["colors"]
        time.sleep(0.2)
    widget.root.screenshot(path=str(artifacts / "structures.png"))

    assert state["structures"] == ["object", "nuclei"] and state["current"] == "nuclei"
    assert state["index"] == 0 and state["labels"][1:] == [1, 2]
    parts = state["parts"]
    assert parts["object"]["accepted"] == {"0": first}
    assert parts["nuclei"]["accepted"] == {"0": second}
    for part in parts.values():  # one positive click each, at its own point
        assert [(e["kind"], e["positive"]) for e in part["interactions"]] == [("click", True)]
    assert parts["object"]["interactions"] != parts["nuclei"]["interactions"]
    assert (
        root.get_by_role("button", name="nuclei", exact=True).get_attribute("aria-pressed")
        == "true"
    )


def test_paint_changes_the_kernels_mask_and_undo_restores_it(widget, artifacts):
    page = widget.page
    click(widget, 0.5, 0.5)
    wait_until_idle(page)
    before = mask_shown(page, widget.kernel)
    assert press(widget, "5")["tool"] == "Paint (5)"
    drag(widget, [(0.1, 0.1), (0.3, 0.1), (0.3, 0.3)])  # positive: adds pixels
    wait_until_idle(page)
    shot(widget, artifacts, "7_painted")
    state = kernel_state(widget)
    assert [e["kind"] for e in state["interactions"]] == ["click", "mask"]
    assert state["mask_pixels"] == mask_shown(page, widget.kernel) > before
    page.locator(".mvw-canvas").press("x")  # the toolbar's sign: negative
    drag(widget, [(0.1, 0.1), (0.3, 0.1)])  # negative: erases
    wait_until_idle(page)
    erased = kernel_state(widget)
    assert erased["mask_pixels"] < state["mask_pixels"]
    assert [e["kind"] for e in erased["interactions"]] == ["click", "mask", "mask"]
    press(widget, "z")
    assert kernel_state(widget)["mask_pixels"] == state["mask_pixels"]
    press(widget, "z")
    restored = kernel_state(widget)
    assert restored["mask_pixels"] == before
    assert [e["kind"] for e in restored["interactions"]] == ["click"]

    press(widget, "Enter")  # a context set: suggest next says why it chose the image it opens
    page.get_by_role("button", name="Suggest next").click()
    wait_until_idle(page)  # the request answered; the kernel suggests in the background
    page.wait_for_function(  # until it opens the image it suggests
        "() => document.querySelector('.mvw-status-text').textContent.includes('suggested: ')",
        timeout=120_000,
    )
    status = page.locator(".mvw-status-text").inner_text()
    assert "suggest next: predicting" not in status  # no suggestion on its way any more
    assert re.search(r"suggested: the least sure, confidence \d+%; \d+ of 5 open images", status)


def test_200_fast_clicks_leave_no_backlog(widget, artifacts):
    page, root = widget.page, widget.root
    click(widget, 0.5, 0.5)  # warm up: the first forward pass allocates torch's buffers
    wait_until_idle(page)
    rss_before = kernel_json(widget.kernel, RSS)
    sent_before = requests_sent(page)
    rng = np.random.default_rng(1)
    positive = rng.random(200) < 0.7
    points = [canvas_point(page, fx, fy) for fx, fy in rng.uniform(0.05, 0.95, (200, 2))]
    start = time.perf_counter()
    for (x, y), sign in zip(points, positive):
        page.mouse.click(x, y, button="left" if sign else "right")
    burst = time.perf_counter() - start
    sent_in_burst = requests_sent(page) - sent_before

    # the page answers at once while the kernel is still busy: the overlay toggles
    overlay = root.get_by_role("button", name="Overlay on / off (o)").element_handle()
    start = time.perf_counter()
    page.locator(".mvw-canvas").press("o")
    page.wait_for_function("b => b.getAttribute('aria-pressed') === 'false'", arg=overlay)
    toggle = time.perf_counter() - start
    page.locator(".mvw-canvas").press("o")

    wait_until_idle(page, timeout_ms=600_000)
    shot(widget, artifacts, "4_after_200_clicks")
    rss_growth_mb = (kernel_json(widget.kernel, RSS) - rss_before) / 1024
    state = kernel_state(widget)
    assert [e["positive"] for e in state["interactions"][1:]] == positive.tolist()
    assert mask_shown(page, widget.kernel) == state["mask_pixels"]
    requests = requests_sent(page) - sent_before
    replay = kernel_json(
        widget.kernel,
        """
import json
s = w.session
previous = s.undo()  # the step before the last batch: its logits were fed back
s.redo()
clicks = [(e["x"], e["y"], e["positive"]) for e in s.interactions]
final = s.model.predict(s.image, clicks=clicks, prev_logits=previous.logits, context=s.context)
print(json.dumps(bool((final.mask == s.mask).all())))
""",
    )
    print(
        f"200 clicks sent in {burst:.1f} s, {sent_in_burst} requests meanwhile; "
        f"{requests} requests; overlay toggle during the backlog {toggle * 1000:.0f} ms; "
        f"kernel RSS +{rss_growth_mb:.0f} MB"
    )
    assert replay, "the final prediction is not the one of the final interaction list"
    assert requests < 200, "every click was its own request: nothing was coalesced"
    assert toggle < 1.0
    assert rss_growth_mb < 200  # the undo history of 200 steps (~0.45 MB each) and no more


ADAPTING_MODEL = """
import json
from multiverseg_widget.model.load import as_predictor
w.session.model = as_predictor(None)  # as a Session loads the built-in ones: checked, adapted
w.refresh()
print(json.dumps(w.model_info))
"""
ADAPTED = """
import json
s = w.session
print(json.dumps({"adapted": s.prediction.adapted, "mask_pixels": int(s.mask.sum()),
                  "note": s.context_note}))
"""


def test_after_an_accept_prompts_are_answered_while_the_network_adapts(widget, artifacts):
    """With 2 context images, the accept that opens image 3 is answered at once: the image shows
    with the network's prediction as it is, the status line says that the context set is
    checked (and adapted to) and a bar shows the progress. A click meanwhile is answered at
    once; once the work is done, the check's estimate is on the status line and the next
    click gets the adapted network."""
    page = widget.page
    assert kernel_json(widget.kernel, ADAPTING_MODEL)["adapts"]
    page.wait_for_function(
        "() => document.querySelector('.mvw-root').textContent.includes("
        "'adapts to each context set')"
    )
    click(widget, 0.5, 0.5)
    wait_until_idle(page)
    press(widget, "Enter")  # accept & next: one context image, nothing to adapt to
    click(widget, 0.5, 0.5)
    wait_until_idle(page)
    page.locator(".mvw-canvas").press("Enter")  # the second accept: not waited for
    page.wait_for_function(
        "() => { const r = document.querySelector('.mvw-root');"
        " return r.querySelector('.mvw-status-text').textContent.startsWith('image 3 of ')"
        " && r.textContent.includes('checking the context set')"
        " && !r.querySelector('.mvw-work').hidden; }",
        timeout=60_000,
    )
    shot(widget, artifacts, "adapting")
    click(widget, 0.3, 0.3)  # a prompt while the kernel works: answered at once
    wait_until_idle(page)
    assert "checking" in page.locator(".mvw-status-text").inner_text()  # still at work
    page.wait_for_function(
        "() => { const r = document.querySelector('.mvw-root');"
        " return !r.textContent.includes('checking') && r.querySelector('.mvw-work').hidden; }",
        timeout=120_000,
    )
    click(widget, 0.6, 0.6)
    wait_until_idle(page)
    status = page.locator(".mvw-status-text").inner_text()
    state = kernel_json(widget.kernel, ADAPTED)
    assert state["adapted"] and mask_shown(page, widget.kernel) == state["mask_pixels"]
    assert "(leave-one-out over 2 images)" in state["note"] and state["note"] in status
