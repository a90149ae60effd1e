"""The network's forward pass in the kernel JupyterLab runs the widget in, against the same pass in
a kernel of its own, measured in turn at the same time (this machine's speed drifts by half
within an hour, so only side-by-side figures compare).

Both kernels show the widget on the demo images (built-in weights); JupyterLab's kernel has
Chromium attached and has answered three clicks. JupyterLab runs with the demo's defaults (comm
messages on the kernel's main thread), or with its own (--subshells: a subshell thread handles
them, and torch then runs on two threads of the kernel). Each round times 15 forwards at 8
context images (bf16 autocast where the CPU has it, as the default) in each kernel; printed: the
medians per round and over all rounds.
Usage: python benchmarks/kernel_forward.py [--rounds 3] [--subshells]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from jupyter_client.manager import start_new_kernel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.widget_latency import measure  # noqa: E402
from tests.browser.lab import (  # noqa: E402
    WIDGET_CELL,
    chromium,
    jupyter_lab,
    kernel_client,
    kernel_json,
    open_widget,
    write_widget_notebook,
)

FORWARDS = """
import json, statistics, time, torch
net, precision = w.session.model.multiverseg, w.session.model.precision
target, support = torch.rand(1, 5, 128, 128), torch.rand(1, 8, 2, 128, 128)
times = []
with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=precision == "bf16"):
    for _ in range(15):
        start = time.perf_counter()
        net.forward_support(target, support)
        times.append(1000 * (time.perf_counter() - start))
print(json.dumps(times))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--subshells", action="store_true", help="JupyterLab's default: comms on a subshell"
    )
    args = parser.parse_args()
    rows = {"JupyterLab's kernel": [], "a kernel of its own": []}
    with (
        tempfile.TemporaryDirectory() as tmp,
        jupyter_lab(Path(tmp), demo_defaults=not args.subshells) as lab,
        chromium() as b,
    ):
        name = write_widget_notebook(lab, "forward.ipynb", Path(tmp) / "work", count=12)
        page = b.new_page(viewport={"width": 1280, "height": 1300})
        open_widget(page, lab, name)
        measure(page, 3, np.random.default_rng(0))
        lab_kernel = kernel_client(lab, name)
        manager, own_kernel = start_new_kernel(kernel_name="python3", cwd=str(lab.root))
        try:
            cell = WIDGET_CELL.format(count=12, workdir=str(Path(tmp) / "work-own"))
            kernel_json(own_kernel, cell + "\nprint(1)")
            for r in range(args.rounds):
                for times, kernel in zip(rows.values(), (lab_kernel, own_kernel)):
                    times.append(kernel_json(kernel, FORWARDS))
                print(f"round {r + 1}: " + ", ".join(
                    f"{label} {statistics.median(t[-1]):.1f} ms" for label, t in rows.items()
                ), flush=True)  # fmt: skip
        finally:
            lab_kernel.stop_channels()
            manager.shutdown_kernel(now=True)
    print("forward at 8 context images, median over all rounds (ms)")
    for label, times in rows.items():
        print(f"{label:>22} {statistics.median(np.concatenate(times)):8.1f}")


if __name__ == "__main__":
    main()
