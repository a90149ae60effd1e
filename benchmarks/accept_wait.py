"""How long a widget user waits after Accept while the built-in network adapts to each new
context set: the time until the next image is shown (the first state the widget sends) and
until its adapted prediction is shown (the request's answer), on the bundled BBBC039 nuclei,
each image accepted with its ground-truth mask as the context set grows; beside the same
accepts with adaptation off (a Session of ``load_model()``), in the same run. The widget is
driven in the kernel, as the front end's messages reach it (no browser: the transfer and the
drawing are ``widget_latency.py``'s).
Usage: python benchmarks/accept_wait.py [--accepts 6] [--threads N]
"""

from __future__ import annotations

import argparse
import time

import torch

import multiverseg_widget as mvw
from multiverseg_widget.data import demo_dataset
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
    for name, model in (("adapting", None), ("as it is", mvw.load_model())):
        widget = mvw.annotate(list(demo.images), model=model)  # None: a Session's default
        runs[name] = accept_times(widget, masks)
    print(f"built-in weights, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'context':>8} {'shown (s)':>10} {'answered (s)':>13}   adaptation off: "
          f"{'shown (s)':>10} {'answered (s)':>13}")  # fmt: skip
    for (size, shown, answered), (_, off_shown, off_answered) in zip(*runs.values()):
        print(f"{size:>8} {shown:>10.2f} {answered:>13.2f}   {'':16}{off_shown:>10.2f} "
              f"{off_answered:>13.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
