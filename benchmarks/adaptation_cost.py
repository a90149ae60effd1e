"""What adaptation to the context set costs (``load_model(adapt_to_context=True)``), on the
bundled BBBC039 nuclei demo images: the median time to adapt the built-in network to a context
set of each size (once per set), and the median time of a context-only ``Predictor.predict``
afterwards with the adapted network beside the network as it is (same inputs, alternating).
Usage: python benchmarks/adaptation_cost.py [--context 2 4 8] [--repeats 3] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import multiverseg_widget as mvw
from multiverseg_widget.data import demo_dataset
from multiverseg_widget.model.context_adaptation import ADAPTATION_SETTINGS, adapt_to_context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--repeats", type=int, default=3, help="adaptations per context size")
    parser.add_argument("--predicts", type=int, default=10, help="predictions per network")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    demo = demo_dataset("bbbc039_nuclei")
    if max(args.context) >= len(demo):
        parser.error(f"--context must be below {len(demo)} (the demo images)")
    plain = mvw.load_model()
    adapted = mvw.load_model(adapt_to_context=True)
    print(f"built-in weights on {plain.device}, {plain.precision}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; settings {ADAPTATION_SETTINGS}")  # fmt: skip
    query = demo.images[-1]
    print(f"{'context':>8} {'adapt (s)':>10} {'predict, adapted (ms)':>22} {'as it is (ms)':>14}")
    for size in args.context:
        context = [(demo.images[i], demo.masks[i]) for i in range(size)]
        prepared = {
            "adapted": adapted.prepare_context(context),
            "plain": plain.prepare_context(context),
        }
        adapt = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            adapt_to_context(plain.multiverseg, prepared["plain"].support)
            adapt.append(time.perf_counter() - start)
        adapted.predict(query, context=prepared["adapted"])  # adapts once, outside the timing
        times: dict[str, list[float]] = {"adapted": [], "plain": []}
        for _ in range(args.predicts):
            for name, model in (("adapted", adapted), ("plain", plain)):
                start = time.perf_counter()
                model.predict(query, context=prepared[name])
                times[name].append(time.perf_counter() - start)
        ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
        print(f"{size:>8} {statistics.median(adapt):>10.2f} {ms['adapted']:>22.1f} "
              f"{ms['plain']:>14.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
