"""The wait after an Accept in the widget, as a user has it: JupyterLab and headless Chromium
(tests/browser/lab.py), the Session's default model (the built-in weights, which check each
context set and adapt to it), on an idle machine and with one core held busy by another process.

At each starting context size (``--at``), the kernel first accepts that many images with their
ground truth; then, ``--accepts`` times: three clicks on the current image once the kernel has
no background work (a click's time: from the click to its overlay drawn and the widget idle),
then Enter (accept & next) and a click on the next image, at once or ``--react`` seconds after it
shows (a user looks first); the wait is from Enter to that click's overlay drawn, the pause left
out. Also printed: the time from Enter until the background work (the check
and the adaptation to the new context set) is done. Clicks land on the ground truth's
foreground, so that each accepted mask is a mask.
Usage: python benchmarks/widget_accept.py TASK.npz [--at 2 62] [--accepts 4] [--modes idle,busy]
  [--react 0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from busy_core import busy_core

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.lab import (  # noqa: E402
    answer_times,
    canvas_point,
    chromium,
    jupyter_lab,
    kernel_client,
    kernel_json,
    open_widget,
    shown,
    wait_for_index,
    wait_until_idle,
    write_notebook,
)

CELL = """
import json
import numpy as np
import multiverseg_widget as mvw
with np.load({task!r}) as f:
    images, masks = list(f["images"][:{count}]), f["masks"][:{count}]
w = mvw.annotate(images, workdir={workdir!r})
w
"""
BUILD_CONTEXT = """
s = w.session
with s.adaptation_deferred():
    for i in range(len(s.context_indices), {k}):
        s.goto(i)
        s.set_mask(masks[i] > 0)
        s.accept(allow_empty=True)
s.goto({k})
s.adapt()
w.refresh()
print(json.dumps(len(s.context_indices)))
"""
IDLE = "() => document.querySelector('.mvw-root .mvw-work').hidden"  # no background work


def foreground_point(mask: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """A random foreground pixel of ``mask`` (H x W) as fractions (x, y) of the image."""
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return tuple(rng.uniform(0.1, 0.9, 2))  # type: ignore[return-value]
    k = rng.integers(len(ys))
    return (xs[k] + 0.5) / mask.shape[1], (ys[k] + 0.5) / mask.shape[0]


def timed_click(page, point: tuple[float, float]) -> float:
    """Seconds from a click at ``point`` to its answer drawn with the widget idle."""
    answered = len(answer_times(page))
    start = time.perf_counter()
    page.mouse.click(*canvas_point(page, *point))
    page.wait_for_function(  # an answer drawn (the widget's User Timing measure of it)
        "n => performance.getEntriesByName('mvw-answer').length > n", arg=answered
    )
    wait_until_idle(page)
    return time.perf_counter() - start


def accept_cycle(
    page, masks: np.ndarray, rng: np.random.Generator, react_s: float
) -> dict[str, float]:
    """Three clicks on the current image, then Enter and, ``react_s`` after the next image shows,
    a click on it: the wait is the time to show it plus that click's (the pause left out)."""
    page.wait_for_function(IDLE, timeout=600_000)
    index = shown(page)["index"]
    clicks = [timed_click(page, foreground_point(masks[index] > 0, rng)) for _ in range(3)]
    start = time.perf_counter()
    page.locator(".mvw-canvas").press("Enter")
    wait_for_index(page, index + 1)
    to_show = time.perf_counter() - start
    time.sleep(react_s)  # the user looks at the new image first
    wait = to_show + timed_click(page, foreground_point(masks[index + 1] > 0, rng))
    page.wait_for_function(IDLE, timeout=600_000)
    return {"click": statistics.median(clicks), "wait": wait, "work": time.perf_counter() - start}


def run(
    task: Path, starts: list[int], accepts: int, busy: bool, react_s: float
) -> list[dict[str, float]]:
    """Every accept cycle's figures, at each starting context size."""
    masks = np.load(task)["masks"]
    count = max(starts) + accepts + 2
    rng = np.random.default_rng(0)
    rows = []
    hog = busy_core() if busy else None
    try:
        with tempfile.TemporaryDirectory() as tmp, jupyter_lab(Path(tmp)) as lab, chromium() as b:
            cell = CELL.format(task=str(task.resolve()), count=count, workdir=f"{tmp}/work")
            name = write_notebook(lab, "accept.ipynb", cell)
            page = b.new_page(viewport={"width": 1280, "height": 1300})
            open_widget(page, lab, name)
            kernel = kernel_client(lab, name)
            for k in starts:
                assert kernel_json(kernel, BUILD_CONTEXT.format(k=k), timeout=1800) == k
                wait_for_index(page, k)
                for j in range(accepts):
                    row = {"context": k + j, **accept_cycle(page, masks, rng, react_s)}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
            kernel.stop_channels()
    finally:
        if hog is not None:
            hog.kill()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", type=Path, help="an npz with images and masks")
    parser.add_argument("--at", type=int, nargs="+", default=[2, 62])
    parser.add_argument("--accepts", type=int, default=4)
    parser.add_argument("--modes", default="idle,busy")
    parser.add_argument(
        "--react", type=float, default=0.0, help="seconds from the next image shown to its click"
    )
    args = parser.parse_args()
    summary = {}
    for mode in args.modes.split(","):
        rows = run(args.task, args.at, args.accepts, mode == "busy", args.react)
        for k in args.at:
            mine = [r for r in rows if k <= r["context"] < k + args.accepts]
            click = statistics.median(r["click"] for r in mine)
            wait = statistics.median(r["wait"] for r in mine)
            work = statistics.median(r["work"] for r in mine)
            summary[f"{mode} {k}"] = {"click": click, "wait": wait, "work": work}
    print(f"{'mode, context from':>20} {'click (s)':>10} {'wait (s)':>9} {'wait/click':>11} "
          f"{'work done (s)':>14}")  # fmt: skip
    for key, row in summary.items():
        print(
            f"{key:>20} {row['click']:>10.3f} {row['wait']:>9.3f} "
            f"{row['wait'] / row['click']:>11.1f} {row['work']:>14.1f}"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
