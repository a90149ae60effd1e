"""A real JupyterLab server, a headless Debian Chromium, and a notebook that opens the widget.

Shared by the browser tests (conftest.py) and benchmarks/widget_latency.py. Nothing here talks to
the network beyond 127.0.0.1; Chromium comes from Debian (/usr/bin/chromium), never a download.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from jupyter_client import BlockingKernelClient
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from multiverseg_widget.demo import write_lab_overrides

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]
GOLDEN = ROOT / "tests" / "data" / "compat"  # committed with the tests (tests/conftest.py COMPAT)
GOLDEN_FILE = GOLDEN / "multiverseg_pipeline_small_golden.pt.xz"  # xz-compressed torch.save

# small_model(): the built-in weights once they ship, else the golden small networks.
MODEL_CODE = """\
import io
import lzma
import os
import torch
import multiverseg_widget as mvw
from multiverseg_widget import data as mvw_data
from multiverseg_widget.model import MultiverSegNet, Predictor, ScribblePromptUNet
from multiverseg_widget.model.load import DEFAULT_CHECKPOINT


def small_model():
    if DEFAULT_CHECKPOINT.is_file():
        return mvw.load_model()
    with open(os.environ["MVW_GOLDEN"], "rb") as f:
        g = torch.load(io.BytesIO(lzma.decompress(f.read())), weights_only=True)
    mvs = MultiverSegNet(**g["mvs_config"])
    mvs.load_state_dict(g["mvs_state_dict"])
    sp = ScribblePromptUNet(**g["sp_config"])
    sp.load_state_dict(g["sp_state_dict"])
    return Predictor(mvs, sp)


"""
# The notebook's one cell: the widget on the first demo images.
WIDGET_CELL = (
    MODEL_CODE
    + """images = mvw_data.demo_dataset("bbbc039_nuclei").images[:{count}]
w = mvw.annotate(images, model=small_model(), workdir={workdir!r})
w
"""
)


@dataclass
class Lab:
    """A running JupyterLab: its address, token, notebook folder and runtime folder."""

    url: str
    token: str
    root: Path
    runtime: Path

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}?token={self.token}", timeout=10) as r:
            return json.load(r)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LAB_ARGS = [
    "-m", "jupyter", "lab", "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the theme
    "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
]  # fmt: skip
NOTEBOOK7_ARGS = ["-m", "notebook"]


@contextlib.contextmanager
def jupyter_lab(base: Path, timeout: float = 180, demo_defaults: bool = True) -> Iterator[Lab]:
    """Start ``jupyter lab`` on 127.0.0.1 (free port, token, notebooks in base/root) until exit,
    with the demo's default overrides (comm messages on the kernel's main thread), or, with
    ``demo_defaults`` False, JupyterLab's own defaults."""
    args = list(LAB_ARGS)
    if demo_defaults:
        args.append(f"--LabApp.app_settings_dir={write_lab_overrides(base / 'lab-settings')}")
    with jupyter_server(base, args, timeout) as lab:
        yield lab


@contextlib.contextmanager
def jupyter_server(base: Path, app: list[str], timeout: float = 180) -> Iterator[Lab]:
    """Start a Jupyter front end (``python`` + ``app``: JupyterLab or Notebook 7) on 127.0.0.1
    (free port, token, notebooks in base/root) until exit.

    User config, workspaces and runtime files go to base as well, so nothing of the machine's
    own Jupyter setup changes what the test sees.
    """
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
        sys.executable, *app, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--allow-root",
    ]  # fmt: skip
    log_path = base / "jupyter.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, runtime)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{' '.join(app)} exited: {log_path.read_text()}")
            with contextlib.suppress(OSError):
                lab.get("/api/status")
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{' '.join(app)} did not answer in {timeout} s")
            time.sleep(0.5)
        yield lab
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def close_sessions(lab: Lab, name: str) -> None:
    """Shut down the kernel sessions of notebook ``name`` (the next test gets a fresh one)."""
    for s in lab.get("/api/sessions"):
        if s["path"].endswith(name):
            req = urllib.request.Request(
                f"{lab.url}/api/sessions/{s['id']}?token={lab.token}", method="DELETE"
            )
            urllib.request.urlopen(req, timeout=30).close()


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, software-rendered (Canvas 2D needs no GPU)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def write_widget_notebook(lab: Lab, name: str, workdir: Path, count: int = 6) -> str:
    """A notebook whose one cell shows ``mvw.annotate`` on ``count`` demo images."""
    return write_notebook(lab, name, WIDGET_CELL.format(count=count, workdir=str(workdir)))


def write_notebook(lab: Lab, name: str, code: str) -> str:
    """A notebook with one code cell, ``code`` (which shows a widget last)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, lab.root / name)
    return name


def open_widget(page: Page, lab: Lab, name: str, timeout_ms: float = 180_000) -> Locator:
    """Open the notebook, run its first code cell, wait for the widget to draw; returns the
    widget's root."""
    workspace = Path(name).stem  # one per notebook: no tab of an earlier test comes back
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={lab.token}")
    return run_first_cell(page, timeout_ms)


def run_first_cell(page: Page, timeout_ms: float = 180_000) -> Locator:
    """In the notebook open in ``page``, run its first code cell and wait for the widget to
    draw; returns the widget's root."""
    page.wait_for_selector(".jp-Notebook .jp-CodeCell .cm-content", timeout=timeout_ms)
    prompt = page.locator(".jp-CodeCell .jp-InputPrompt").first
    deadline = time.monotonic() + timeout_ms / 1000
    while prompt.inner_text().strip() in ("[ ]:", ""):  # the kernel may not listen yet: retry
        if time.monotonic() > deadline:
            raise TimeoutError("the notebook's cell never ran")
        accept_dialog(page)
        page.locator(".jp-CodeCell .cm-content").first.click()
        page.keyboard.press("Control+Enter")
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                "() => !['[ ]:', ''].includes("
                "document.querySelector('.jp-CodeCell .jp-InputPrompt').innerText.trim())",
                timeout=10_000,
            )
    root = page.locator(".mvw-root")
    root.wait_for(timeout=timeout_ms)
    page.locator(".mvw-canvas").scroll_into_view_if_needed()
    page.wait_for_function(  # set at the end of the widget's first rendering
        "() => document.querySelector('.mvw-root')?.hasAttribute('aria-busy')",
        timeout=timeout_ms,
    )
    return root


def accept_dialog(page: Page) -> None:
    """JupyterLab sometimes opens a dialog (kernel selection) over a notebook that is still
    starting, under load; take its default answer, which is the notebook's own kernel."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        print(f"JupyterLab dialog: {dialog.first.inner_text()!r}; taking its default answer")
        dialog.locator(".jp-mod-accept").first.click()
        dialog.first.wait_for(state="detached", timeout=30_000)


def kernel_client(lab: Lab, name: str) -> BlockingKernelClient:
    """A second client of the notebook's kernel, to read the session's state from Python."""
    sessions = [s for s in lab.get("/api/sessions") if s["path"].endswith(name)]
    if len(sessions) != 1:
        raise RuntimeError(f"expected one kernel session for {name}, found {sessions}")
    client = BlockingKernelClient()
    client.load_connection_file(lab.runtime / f"kernel-{sessions[0]['kernel']['id']}.json")
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return client


def kernel_json(client: BlockingKernelClient, code: str, timeout: float = 300) -> Any:
    """Run code in the kernel; its last printed line, parsed as JSON."""
    out: list[str] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = client.execute_interactive(code, output_hook=hook, timeout=timeout)
    if reply["content"]["status"] != "ok":
        raise RuntimeError("".join(out))
    return json.loads("".join(out).strip().splitlines()[-1])


# What the widget shows, as a user (or assistive technology) reads it: the image's number and
# state from the status line's first part ("image 2 of 6 · name · in progress"; the state itself
# may have parts: "new · propagated, confidence 96%"), the structure picked and the tool chosen
# from the buttons pressed (aria-pressed).
SHOWN = """() => {
  const root = document.querySelector('.mvw-root');
  const parts = root.querySelector('.mvw-status-image').textContent.split(' · ');
  const image = parts[0].match(/^image (\\d+) of \\d+$/);
  const pressed = (within) => root.querySelector(within + '[aria-pressed="true"]');
  return {
    index: image ? +image[1] - 1 : null,
    state: parts.length > 2 ? parts.slice(2).join(' · ') : null,
    structure: pressed('.mvw-structure button')?.textContent ?? null,
    tool: pressed('.mvw-tool')?.getAttribute('aria-label') ?? null,
  };
}"""
# the number of the image the status line names (0-based), or null
SHOWN_INDEX = f"() => ({SHOWN})().index"


def shown(page: Page) -> dict[str, Any]:
    """What the widget shows: ``index`` (the image's, 0-based) and ``state`` from the status
    line, ``structure`` (the picker's button pressed), ``tool`` (the tool button pressed, by its
    name, e.g. "Box (2)")."""
    return page.evaluate(SHOWN)


def wait_for_index(page: Page, index: int, timeout_ms: float = 180_000) -> None:
    """Wait until the status line names image ``index`` (0-based)."""
    page.wait_for_function(f"i => ({SHOWN_INDEX})() === i", arg=index, timeout=timeout_ms)


def wait_until_idle(page: Page, timeout_ms: float = 180_000) -> dict[str, Any]:
    """Wait until the widget is no longer busy (aria-busy: no request in flight or waiting, its
    answer drawn); returns what it shows then (``shown``)."""
    page.wait_for_function(
        "() => document.querySelector('.mvw-root').getAttribute('aria-busy') === 'false'",
        timeout=timeout_ms,
    )
    return shown(page)


def requests_sent(page: Page) -> int:
    """How many requests the widget has sent the kernel (its User Timing marks "mvw-request")."""
    return page.evaluate("() => performance.getEntriesByName('mvw-request').length")


def answer_times(page: Page) -> list[float]:
    """Each answered request's time (ms, in order): from its first action's event (a click's
    pointerdown) to the frame that drew the answer (the widget's User Timing measures
    "mvw-answer", as DevTools shows them)."""
    return page.evaluate("() => performance.getEntriesByName('mvw-answer').map(e => e.duration)")


@contextlib.contextmanager
def kernel_held(client: BlockingKernelClient, timeout: float = 120) -> Iterator[None]:
    """Hold the kernel's main thread until the block ends, without changing the widget: a cell
    waits at ``input()`` for this client's answer. Meanwhile the widget's messages wait in the
    kernel's queue (the demo's settings handle them on the main thread), so what the browser
    sends stays in flight; on leaving, the answer ends the cell and the kernel handles them."""
    msg_id = client.execute("input()", allow_stdin=True, store_history=False)
    request = client.get_stdin_msg(timeout=timeout)  # sent from inside input(): the kernel waits
    if request["parent_header"].get("msg_id") != msg_id:
        raise RuntimeError(f"an input request of another cell: {request}")
    try:
        yield
    finally:
        client.input("")
        while (reply := client.get_shell_msg(timeout=timeout))["parent_header"].get(
            "msg_id"
        ) != msg_id:
            pass  # a reply to an earlier request of this client
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the held cell failed: {reply['content']}")


# the canvas's pixels as drawn (toDataURL: exact, no compositing), its CSS size, the pixel ratio
CANVAS = """() => {
  const c = document.querySelector('.mvw-canvas');
  return [c.toDataURL('image/png'), c.clientWidth, c.clientHeight, devicePixelRatio];
}"""
KERNEL_MASK = """
import base64, json
import numpy as np
print(json.dumps((lambda m: [m.shape, base64.b64encode(np.packbits(m)).decode()])(
    np.asarray(w.session.mask, dtype=bool))))
"""


def kernel_mask(client: BlockingKernelClient) -> np.ndarray:
    """The mask of the image shown, as the kernel's session holds it (H x W bool)."""
    shape, packed = kernel_json(client, KERNEL_MASK)
    bits = np.unpackbits(np.frombuffer(base64.b64decode(packed), np.uint8))
    return bits[: shape[0] * shape[1]].reshape(shape).astype(bool)


def canvas_pixels(page: Page) -> tuple[np.ndarray, float, float, float]:
    """The canvas as drawn once the frames already asked for are: its pixels (H x W x 3,
    float), its CSS width and height, and the device pixel ratio."""
    drawn_frames(page)
    url, width, height, ratio = page.evaluate(CANVAS)
    png = base64.b64decode(url.split(",", 1)[1])
    return (
        np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float),
        width,
        height,
        ratio,
    )


def image_pixel_samples(page: Page, shape: tuple[int, int]) -> np.ndarray:
    """The canvas over each pixel of an image of ``shape``: the canvas pixels at the corners of
    the image pixel's area that lie wholly inside it (H x W x 4 x 3); the image fitted and
    centred in the canvas, as the widget shows it until the user zooms (js/view.js fitView)."""
    pixels, width, height, ratio = canvas_pixels(page)
    h, w = shape
    scale = min(width / w, height / h) * ratio  # canvas pixels per image pixel
    assert scale >= 2, f"an image pixel is {scale:.1f} canvas pixels wide: too few to read"

    def inner(size: int, origin: float) -> tuple[np.ndarray, np.ndarray]:
        edges = origin + np.arange(size + 1) * scale
        return np.ceil(edges[:-1] - 1e-6).astype(int), np.floor(edges[1:] + 1e-6).astype(int) - 1

    (top, bottom), (left, right) = (
        inner(h, (height * ratio - h * scale) / 2),
        inner(w, (width * ratio - w * scale) / 2),
    )
    return np.stack(
        [pixels[np.ix_(ys, xs)] for ys in (top, bottom) for xs in (left, right)], axis=2
    )


def tint(pixels: np.ndarray, color: np.ndarray, tol: float = 6) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel (..., 3): t such that it is ``color`` at opacity t over a grey (the demo
    images are grey), and whether it is one."""
    hi, lo = int(np.argmax(color)), int(np.argmin(color))
    t = (pixels[..., hi] - pixels[..., lo]) / (color[hi] - color[lo])
    rest = pixels - t[..., None] * color  # the grey under it, times 1 - t
    ok = (np.ptp(rest, axis=-1) <= tol) & (t >= -0.02) & (t <= 1.02) & (rest.min(-1) >= -tol)
    return t, ok


def grown(mask: np.ndarray, r: int) -> np.ndarray:
    """``mask`` with every pixel within ``r`` (chessboard distance) of it."""
    padded, out = np.pad(mask, r), np.zeros_like(mask)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            out |= padded[dy : dy + mask.shape[0], dx : dx + mask.shape[1]]
    return out


def mask_shown(page: Page, client: BlockingKernelClient) -> int:
    """Check that the canvas shows the kernel's mask of the image shown, pixel by pixel: an
    image pixel of the mask shows the overlay's fill over all its area (the structure's colour
    at the opacity slider's value over the grey image), any other shows the image's grey or
    the outline just outside the mask (the structure's colour, at any opacity). Where a
    prompt's mark or another structure's contour covers a pixel, and 2 pixels around it, the
    mask cannot be read and is not compared. Returns the mask's pixel count."""
    truth = kernel_mask(client)
    samples = image_pixel_samples(page, truth.shape)
    alpha = float(page.locator(".mvw-root input[title='overlay opacity']").input_value())
    color = structure_color(page)
    assert 0.1 < alpha < 0.9 and np.ptp(color) > 64, (alpha, color)  # a fill tells apart
    t, ok = tint(samples, color)
    fill = (ok & (np.abs(t - alpha) <= 0.025)).all(axis=-1)
    hidden = grown((~ok).any(axis=-1), 2)
    wrong = (fill != truth) & ~hidden
    assert not wrong.any(), (
        f"the canvas shows {int((fill & ~hidden).sum())} mask pixels where it can be read, the "
        f"kernel {int((truth & ~hidden).sum())}; they differ at {int(wrong.sum())} pixels"
    )
    assert hidden.mean() < 0.25, f"prompts cover {hidden.mean():.0%} of the image"
    assert not truth.any() or (truth & ~hidden).any(), "every mask pixel is under a prompt"
    return int(truth.sum())


def structure_color(page: Page, name: str | None = None) -> np.ndarray:
    """Structure ``name``'s colour as its colour input shows it (None: the structure picked)."""
    chips = page.locator(".mvw-structure")
    if name is None:
        chip = chips.filter(has=page.locator("button[aria-pressed='true']"))
    else:
        chip = chips.filter(has=page.get_by_role("button", name=name, exact=True))
    value = chip.locator("input[type=color]").input_value()
    return np.array([int(value[k : k + 2], 16) for k in (1, 3, 5)], float)


def js_number(module: str, name: str) -> float:
    """The number a front-end module defines as ``const NAME = value;`` (read, not copied)."""
    found = re.search(rf"const {name} = ([0-9.]+);", (ROOT / "js" / module).read_text())
    assert found, f"js/{module} defines no number {name}"
    return float(found[1])


def contour_pixels(page: Page, color: np.ndarray) -> int:
    """How many of the canvas's pixels show ``color`` at the opacity of another structure's
    faint contour (js/drawing.js OTHERS_ALPHA) over the grey image."""
    alpha = js_number("drawing.js", "OTHERS_ALPHA")
    t, ok = tint(canvas_pixels(page)[0], color)
    return int((ok & (np.abs(t - alpha) <= 0.025)).sum())


def drawn_frames(page: Page) -> None:
    """Wait until the browser has drawn what a change just scheduled: a resize is observed after
    a frame's layout, the widget's relayout it causes is observed a frame later, and the redraw
    asked for then comes the frame after; so five animation frames, a margin included (a
    condition on the rendering, however slow the machine, not a time)."""
    page.evaluate(
        "() => new Promise(done => { let n = 5;"
        " const next = () => (--n ? requestAnimationFrame(next) : done());"
        " requestAnimationFrame(next); })"
    )


# the notebook's visible area: its scrolling panel (JupyterLab's or Notebook 7's) in the window
VIEW = """() => {
  const panel = document.querySelector('.mvw-root').closest('.jp-WindowedPanel-outer');
  const r = panel?.getBoundingClientRect()
    ?? {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
  return [Math.max(r.left, 0), Math.max(r.top, 0),
          Math.min(r.right, innerWidth), Math.min(r.bottom, innerHeight)];
}"""


def view_rect(page: Page) -> list[float]:
    """Where the page shows the notebook: its scrolling panel within the window (left, top,
    right, bottom, CSS pixels); what lies outside is scrolled or cut out of view."""
    return page.evaluate(VIEW)


def canvas_point(page: Page, fx: float, fy: float) -> tuple[float, float]:
    """Page coordinates of the point at fractions (fx, fy) of the fitted (square) image."""
    x, y, width, height = page.locator(".mvw-canvas").evaluate(
        "el => { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }"
    )
    side = min(width, height)  # the image is fitted and centred
    return x + (width - side) / 2 + fx * side, y + (height - side) / 2 + fy * side
