"""How long a widget user waits after Accept while the Session's default model checks each new
context set and adapts to it: the time until the next image is shown (the first state the
widget sends) and until its final prediction is shown (the request's answer), on the bundled
BBBC039 nuclei, each image accepted with its ground-truth mask as the context set grows;
beside the same accepts with the check alone and with neither (a Session of ``load_model()``),
in the same run. The
widget is driven in the kernel, as the front end's messages reach it (no browser: the transfer
and the drawing are ``widget_latency.py``'s).
Usage: python benchmarks/accept_wait.py [--accepts 6] [--threads N]
"""

from __future__ import annotations

import argparse
import time

import torch

import multiverseg_widget as mvw
from multiverseg_widget.data import demo_dataset
from multiverseg_widget.model.context_check import ContextPolicy
from multiverseg_widget.widget.widget import SegmentWidget


def accept_times(widget: SegmentWidget, masks: list) -> list[tuple[int, float, float]]:
    """(context images after the accept, seconds until the next image is shown, seconds until
    the request is answered) for each accept."""
    shown: list[float] = []
    widget.observe(lambda _: shown.append(time.perf_counter()), names="index")
    rows = []
    for request, mask in enumerate(masks, start=1):
        widget.session.set_mask(mask > 0)
        shown.clear()
        start = time.perf_counter()
        message = {"type": "actions", "request": request, "actions": [{"kind": "accept"}]}
        widget._handle_msg(
            {"content": {"data": {"method": "custom", "content": message}}, "buffers": []}
        )
        answered = time.perf_counter() - start
        rows.append((len(widget.session.context_indices), shown[0] - start, answered))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accepts", type=int, default=6)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    demo = demo_dataset("bbbc039_nuclei")
    if not 1 <= args.accepts < len(demo):
        parser.error(f"--accepts must be from 1 to {len(demo) - 1} (the demo images)")
    masks = list(demo.masks[: args.accepts])
    runs = {}
    models = {
        "default": None,  # a Session's default: checked, and adapted to
        "check only": mvw.load_model(context_policy=ContextPolicy()),
        "neither": mvw.load_model(),
    }
    for name, model in models.items():
        widget = mvw.annotate(list(demo.images), model=model)
        runs[name] = accept_times(widget, masks)
    print(f"built-in weights, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'context':>8}" + "".join(f" {name + ': shown, answered (s)':>36}" for name in runs))
    for rows in zip(*runs.values()):
        cells = "".join(f" {shown:>26.2f} {answered:>9.2f}" for _, shown, answered in rows)
        print(f"{rows[0][0]:>8}{cells}")


if __name__ == "__main__":
    main()
