"""Forward latency, peak memory and achieved GFLOP/s of MultiverSegNet per context size.

Each (config, S) runs in a fresh subprocess so that its peak RSS is its own. Prints a table.
Usage: python benchmarks/latency.py [--configs v1 default] [--sizes 0 1 4 8 16 32] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from multiverseg_widget.model import MultiverSegNet

CONFIGS = {
    "v1": {
        "in_channels": [5, 2],
        "encoder_blocks": [256] * 4,
        "block_kws": {"conv_kws": {"norm": "layer"}},
        "cross_relu": True,
    },
}


def default_config() -> dict:
    """The shipped checkpoint's config when it exists, else the training default."""
    from multiverseg_widget.model.load import DEFAULT_CHECKPOINT

    if DEFAULT_CHECKPOINT.is_file():
        return torch.load(DEFAULT_CHECKPOINT, weights_only=True)["multiverseg"]["config"]
    from multiverseg_widget.train.config import TrainConfig

    return TrainConfig().network_config()


def measure(config: dict, n_support: int, runs: int, threads: int, batched: bool) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = MultiverSegNet(**config).eval()
    if batched:  # the reference layout: every support item of a block in one batched call
        net.support_chunk = max(n_support, 1)
    target = torch.rand(1, 5, 128, 128)
    support = torch.rand(max(n_support, 1), 2, 128, 128)
    support[:, 1] = support[:, 1] > 0.5

    def forward():
        with torch.inference_mode():
            if n_support == 0:
                return net(target)
            return net.forward_flat(target, support, n_support)

    forward()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with FlopCounterMode(display=False) as counter:
        forward()
    flops = counter.get_total_flops()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        forward()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    median = statistics.median(times)
    return {
        "median_ms": 1e3 * median,
        "gflops": flops / median / 1e9,
        "peak_rss_mib": peak / 1024,
        "rss_after_warmup_mib": base_rss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configs", nargs="+", default=["v1", "default"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[0, 1, 4, 8, 16, 32])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--layouts",
        nargs="+",
        choices=["chunked", "batched"],
        default=["chunked"],
        help="batched: every support item of a block in one call (the reference); "
        "chunked: the shipped layout",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        job = json.loads(args.child)
        print(
            json.dumps(
                measure(job["config"], job["S"], job["runs"], job["threads"], job["batched"])
            )
        )
        return
    print(f"torch {torch.__version__}, {args.threads} threads, 128 x 128, median of {args.runs}")
    print(f"{'config':<30}{'layout':>9}{'S':>4}{'median ms':>11}{'GFLOP/s':>9}{'peak RSS MiB':>14}")
    for name in args.configs:
        config = CONFIGS[name] if name in CONFIGS else default_config()
        label = f"{name} {config['encoder_blocks']}"
        for layout in args.layouts:
            rows = {}
            for s in args.sizes:
                job = {
                    "config": config,
                    "S": s,
                    "runs": args.runs,
                    "threads": args.threads,
                    "batched": layout == "batched",
                }
                out = subprocess.run(
                    [sys.executable, __file__, "--child", json.dumps(job)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                r = rows[s] = json.loads(out.strip().splitlines()[-1])
                print(
                    f"{label:<30}{layout:>9}{s:>4}{r['median_ms']:>11.1f}{r['gflops']:>9.1f}"
                    f"{r['peak_rss_mib']:>14.0f}",
                    flush=True,
                )
            big = sorted(s for s in rows if s > 0)
            if len(big) >= 2:
                lo, hi = big[-2], big[-1]
                slope = (rows[hi]["peak_rss_mib"] - rows[lo]["peak_rss_mib"]) / (hi - lo)
                print(
                    f"{label:<30}{layout:>9}  peak memory per extra context image "
                    f"(S={lo}->{hi}): {slope:.0f} MiB",
                    flush=True,
                )


if __name__ == "__main__":
    main()
