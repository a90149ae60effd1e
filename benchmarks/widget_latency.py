"""End-to-end widget latency: a click in a real browser until the new overlay is drawn.

JupyterLab and headless Debian Chromium as in the browser tests (tests/browser/lab.py); the
golden small networks (or the built-in weights once they ship). The time is the page's own:
from the pointerdown event to the animation frame that drew the kernel's answer. Prints the
median, 90th percentile, the kernel's handling of the message (the widget's actions and its
answer, timed inside the kernel) and the model's forward pass within it, at each context size:
what the kernel does not account for is the transfer both ways and the drawing.
--precision sets the kernel's network precision; by default it is load_model's "auto" (bf16 on
CPUs with AVX512-BF16 or AMX, fp32 elsewhere), the one printed.
Usage: python benchmarks/widget_latency.py [--clicks 30] [--contexts 0 8] [--precision fp32]
  [--pause 0.3]   (seconds from one overlay drawn to the next click)
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.lab import (  # noqa: E402
    answer_times,
    canvas_point,
    chromium,
    jupyter_lab,
    kernel_client,
    kernel_json,
    open_widget,
    wait_for_index,
    wait_until_idle,
    write_widget_notebook,
)

BUILD_CONTEXT = """
import json
s = w.session
for i in range({k}):
    s.goto(i)
    s.click(128, 128)
    s.accept()
s.goto({k})
w.refresh()
print(json.dumps(len(s.context)))
"""

# times the widget's handling of each click in the kernel: its action, then its answer (refresh
# serialises and sends the synced state); other messages (the gallery's thumbnail requests) are
# not counted
INSTRUMENT = """
import json, time
from multiverseg_widget.widget.protocol import Interact
bench_times = {"apply": [], "refresh": []}
bench_click = [False]
def bench_apply(action, apply=w._apply):
    if not isinstance(action, Interact):
        return apply(action)
    start = time.perf_counter()
    try:
        return apply(action)
    finally:
        bench_times["apply"].append((time.perf_counter() - start) * 1000)
        bench_click[0] = True
def bench_refresh(*args, refresh=w.refresh, **kwargs):
    if not bench_click[0]:
        return refresh(*args, **kwargs)
    start = time.perf_counter()
    try:
        return refresh(*args, **kwargs)
    finally:
        bench_times["refresh"].append((time.perf_counter() - start) * 1000)
        bench_click[0] = False
w._apply, w.refresh = bench_apply, bench_refresh
print(json.dumps(0))
"""
READ_TIMES = """
print(json.dumps(bench_times))
bench_times["apply"].clear()
bench_times["refresh"].clear()
"""


def measure(
    page, clicks: int, rng: np.random.Generator, pause_s: float = 0.0
) -> tuple[list[float], list[float]]:
    """Latency of each click (ms, page clock) and the kernel's prediction time (ms); each click
    comes ``pause_s`` after the previous overlay was drawn, as a user's would."""
    latencies, predictions = [], []
    for fx, fy in rng.uniform(0.1, 0.9, (clicks, 2)):
        time.sleep(pause_s)
        answered = len(answer_times(page))
        page.mouse.click(*canvas_point(page, fx, fy))
        page.wait_for_function(
            "n => performance.getEntriesByName('mvw-answer').length > n", arg=answered
        )
        wait_until_idle(page)
        latencies.append(answer_times(page)[-1])  # the page's own measure of the last answer
        text = page.locator(".mvw-status-text").inner_text()
        predictions.append(float(text.rsplit("last prediction ", 1)[1].split(" ms")[0]))
    return latencies, predictions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--contexts", type=int, nargs="+", default=[0, 8])
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between clicks")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp, jupyter_lab(Path(tmp)) as lab, chromium() as b:
        name = write_widget_notebook(lab, "latency.ipynb", Path(tmp) / "work", count=12)
        page = b.new_page(viewport={"width": 1280, "height": 1300})
        open_widget(page, lab, name)
        kernel = kernel_client(lab, name)
        if args.precision != "auto":
            set_precision = f"w.session.model.precision = {args.precision!r}"
            kernel_json(kernel, set_precision + "; print(1)")
        precision = kernel_json(kernel, "import json; print(json.dumps(w.session.model.precision))")
        measure(page, 2, rng)  # warm-up: torch's first passes
        kernel_json(kernel, INSTRUMENT)
        rows = []
        for k in args.contexts:
            if k:
                assert kernel_json(kernel, BUILD_CONTEXT.format(k=k)) == k
                wait_for_index(page, k)
            kernel_json(kernel, READ_TIMES)  # from here on: the clicks' messages only
            latencies, predictions = measure(page, args.clicks, rng, args.pause)
            times = kernel_json(kernel, READ_TIMES)
            handled = [a + r for a, r in zip(times["apply"], times["refresh"], strict=True)]
            rows.append((k, latencies, predictions, handled))
        kernel.stop_channels()
    print(f"click -> overlay drawn, {args.clicks} clicks each (ms), {precision}")
    print(
        f"{'context':>8} {'median':>8} {'p90':>8} {'min':>8} {'kernel median':>14} "
        f"{'model median':>13} {'rest median':>12}"
    )
    for k, lat, pred, handled in rows:
        p90 = float(np.percentile(lat, 90))
        rest = statistics.median(np.subtract(lat, handled))  # transfer both ways and drawing
        print(
            f"{k:>8} {statistics.median(lat):>8.1f} {p90:>8.1f} {min(lat):>8.1f} "
            f"{statistics.median(handled):>14.1f} {statistics.median(pred):>13.1f} {rest:>12.1f}"
        )
    print(json.dumps({str(k): statistics.median(lat) for k, lat, *_ in rows}))


if __name__ == "__main__":
    main()
