"""What a session costs as the dataset grows (issue 16): opening, resuming after 50 accepts,
navigating to a random image, and propagating with and without a 2-worker dask LocalCluster,
on synthetic folders of 1,000 to 100,000 PNG files, beside the targets.

The folders (blurred blobs on noise, benchmarks/scale_data.py) are generated once into
--cache-dir and reused. Every measured operation runs in a fresh subprocess, so that its peak
RSS is its own; "beside the model" is that peak minus the same process's RSS after importing the
package, loading the built-in weights and one warm-up predict without context. The 50 accepts set
the blob mask by hand (``set_mask``) and accept it, so that each costs one prediction (of the
next image). Predictions use at most --max-context context items (the CPU network with 50 items
takes seconds per image, which would swamp everything else). Exits 0 when a target is missed.
Usage: python benchmarks/scale.py [--sizes 1000 10000 100000] [--side N] [--cache-dir PATH]
  [--propagate-images 64] [--skip-propagate] [--navigate 20] [--accepts 50] [--timeout 600]
  [--max-context 8]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scale_data import blob_mask, ensure_folder

LISTING_SLACK = 1.5  # open/resume may grow linearly with the images, this much over linear is ok
CONSTANT_SLACK = 1.5  # per-image costs should not grow; this much noise is ok (shared machine)
TARGETS = {
    "open": "<= 3 s, < 500 MB beside model",
    "resume": "<= 3 s, < 500 MB beside model",
    "goto": "<= 50 ms to predict entry",
    "cluster": "per core >= 0.8 x no executor",
}


def mb(kib: float) -> float:
    """ru_maxrss (KiB on Linux) in MB, the unit of the targets."""
    return kib * 1024 / 1e6


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# ---- the measured operations, each in its own subprocess --------------------------------------


def op_open(mvw: Any, model: Any, job: dict) -> dict:
    """Open the folder into a fresh work folder (lists, reads and fingerprints the images)."""
    start = time.perf_counter()
    session = mvw.Session(
        job["folder"], model=model, workdir=job["workdir"], max_context=job["max_context"]
    )
    return {"seconds": time.perf_counter() - start, "images": len(session)}


def op_accepts(mvw: Any, model: Any, job: dict) -> dict:
    """Open, then accept 50 images (hand-set blob mask): the work folder resume starts from."""
    start = time.perf_counter()
    session = mvw.Session(
        job["folder"], model=model, workdir=job["workdir"], max_context=job["max_context"]
    )
    opened = time.perf_counter() - start
    times = []
    for _ in range(job["accepts"]):
        begin = time.perf_counter()
        session.set_mask(blob_mask(session.image))
        session.accept()
        times.append(time.perf_counter() - begin)
    accept_ms = 1e3 * statistics.median(times)
    return {"seconds": time.perf_counter() - start, "open_s": opened, "accept_ms": accept_ms}


def op_resume(mvw: Any, model: Any, job: dict) -> dict:
    """Session.resume of the work folder with 50 accepted images."""
    start = time.perf_counter()
    session = mvw.Session.resume(job["workdir"], model=model)
    return {"seconds": time.perf_counter() - start, "accepted": len(session.accepted)}


def op_navigate(mvw: Any, model: Any, job: dict) -> dict:
    """goto(i) for random open images (each opened once): the time until the model's predict is
    entered (what the user waits for before any network work) and the whole goto; then one
    accepted image reopened (its context set, without itself, is prepared anew)."""
    session = mvw.Session.resume(job["workdir"], model=model)
    entries: list[float] = []
    exits: list[float] = []
    predict = model.predict

    def recording(*args: Any, **kwargs: Any) -> Any:
        entries.append(time.perf_counter())
        try:
            return predict(*args, **kwargs)
        finally:
            exits.append(time.perf_counter())

    model.predict = recording
    rng = np.random.default_rng(0)
    todo = np.array(
        [i for i in range(len(session)) if i not in session.accepted and i != session.index]
    )
    picks = rng.choice(todo, size=min(job["navigate"], len(todo)), replace=False)

    def timed_goto(i: int) -> tuple[float, float, float]:
        """(until predict entry, whole goto, whole goto less the time inside predict)."""
        entries.clear()
        exits.clear()
        start = time.perf_counter()
        session.goto(int(i))
        end = time.perf_counter()
        inside = sum(b - a for a, b in zip(entries, exits))
        return (entries[0] if entries else end) - start, end - start, end - start - inside

    timed = np.array([timed_goto(i) for i in picks]) * 1e3
    reopen = np.array(timed_goto(sorted(session.accepted)[len(session.accepted) // 2])) * 1e3
    return {
        "entry_ms": timed[:, 0].tolist(),
        "full_ms": timed[:, 1].tolist(),
        "beside_ms": timed[:, 2].tolist(),
        "reopen_ms": reopen.tolist(),
    }


def _worker_threads() -> int:
    """Run on each dask worker before timing: imports the package, says torch's threads."""
    import torch

    import multiverseg_widget.annotation.propagation  # noqa: F401

    return torch.get_num_threads()


def op_propagate(mvw: Any, model: Any, job: dict) -> dict:
    """propagate(indices=evenly spaced open images) with no executor, then over a 2-worker
    LocalCluster (started and warmed before timing; its start is reported apart), with dask's
    default worker environment and with MALLOC_TRIM_THRESHOLD_ unset (dask sets it, which turns
    off glibc's dynamic mmap threshold: PyTorch's large temporaries are then mapped and unmapped
    on every operation)."""
    import torch

    session = mvw.Session.resume(job["workdir"], model=model)
    todo = [i for i in range(len(session)) if i not in session.accepted]
    count = min(job["images"], len(todo))
    indices = [todo[k] for k in np.linspace(0, len(todo) - 1, count).round().astype(int)]
    start = time.perf_counter()
    session.propagate(indices=indices, progress=False)
    alone = time.perf_counter() - start
    cpus = os.cpu_count() or 1
    clusters = {
        name: _on_cluster(session, indices, Path(job["workdir"]), unset)
        # unset first: a nanny also sets dask's variables in its own process's environment,
        # which every later worker would inherit
        for name, unset in (("MALLOC_TRIM_THRESHOLD_ unset", True), ("dask defaults", False))
    }
    return {
        "images": count,
        "alone_s": alone,
        "alone_cores": min(torch.get_num_threads(), cpus),
        "clusters": clusters,
    }


def _on_cluster(session: Any, indices: list[int], workdir: Path, unset_trim: bool) -> dict:
    import dask
    from dask.distributed import Client, LocalCluster

    environ = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    start = time.perf_counter()
    with dask.config.set(environ if unset_trim else {}):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(cluster)
    threads = sum(client.run(_worker_threads).values())
    started = time.perf_counter() - start
    # the same images again from scratch: results already in the work folder would be kept
    shutil.rmtree(workdir / "propagation", ignore_errors=True)
    session.propagated = None
    try:
        start = time.perf_counter()
        session.propagate(indices=indices, executor=client.get_executor(), progress=False)
        clustered = time.perf_counter() - start
    finally:
        client.close()
        cluster.close()
    return {"seconds": clustered, "start_s": started, "cores": min(threads, os.cpu_count() or 1)}


OPS = {
    "open": op_open,
    "accepts": op_accepts,
    "resume": op_resume,
    "navigate": op_navigate,
    "propagate": op_propagate,
}


def child(job: dict) -> None:
    """Run one operation after the baseline (import, model, warm-up) and print its JSON."""
    import multiverseg_widget as mvw

    model = mvw.load_model()
    model.predict(np.zeros((64, 64), np.uint8), clicks=[(32, 32, True)])
    baseline = peak_rss_kib()
    result = OPS[job["op"]](mvw, model, job)
    peak = peak_rss_kib()
    result.update(peak_mb=mb(peak), beside_mb=mb(peak - baseline), baseline_mb=mb(baseline))
    print(json.dumps(result), flush=True)


def run_op(job: dict, timeout: float) -> dict:
    """One operation in a fresh subprocess (its own session: a timeout kills its dask workers
    too); {"error": why} when it fails or runs out of time."""
    command = [sys.executable, __file__, "--child", json.dumps(job)]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = out.strip().splitlines()
    if proc.returncode != 0 or not lines:
        why = (err.strip().splitlines() or ["no output"])[-1]
        return {"error": f"failed (exit {proc.returncode}): {why}"}
    return json.loads(lines[-1])


# ---- the report ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def row(name: str, seconds: str, r: dict, target: str = "", ok: bool | None = None) -> str:
    """One table row: what, time, peak RSS, RSS beside the model, target, verdict."""
    if "error" in r:
        return f"| {name} | {r['error']} | | | {target} | {'MISSED' if target else ''} |"
    rss = f"{r['peak_mb']:.0f} | {r['beside_mb']:.0f}"
    return f"| {name} | {seconds} | {rss} | {target} | {'' if ok is None else verdict(ok)} |"


def opening_row(op: str, what: str, r: dict, figures: dict[str, float]) -> None:
    """Print the row of an opening (open, resume) against its target (<= 3 s, < 500 MB beside
    the model), and keep its figures for the scaling summary."""
    ok = "error" not in r and r["seconds"] <= 3 and r["beside_mb"] < 500
    print(row(what, f"{r.get('seconds', 0):.2f} s", r, TARGETS[op], ok), flush=True)
    if "error" not in r:
        figures[f"{op}_s"], figures[f"{op}_mb"] = r["seconds"], r["beside_mb"]


def report_size(n: int, side: int, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """Measure and print one size's table; returns its figures for the scaling summary."""
    folder, generated, reused = ensure_folder(args.cache_dir, n, side)
    made = "reused" if reused else f"generated in {generated:.1f} s"
    print(f"\n## {n:,} images, {side} x {side} uint8 PNG ({folder}: {made})", flush=True)
    print("| operation | time | peak RSS MB | beside model MB | target | verdict |")
    print("|---|---|---|---|---|---|")
    common = {"folder": str(folder), "max_context": args.max_context, "accepts": args.accepts}
    figures: dict[str, float] = {}
    r = run_op({**common, "op": "open", "workdir": str(tmp / f"open{n}")}, args.timeout)
    opening_row("open", "open (Session(folder, workdir=new))", r, figures)
    work = tmp / f"work{n}"
    r = run_op({**common, "op": "accepts", "workdir": str(work)}, args.timeout)
    text = (
        ""
        if "error" in r
        else (
            f"{r['seconds']:.1f} s (open {r['open_s']:.2f} s, "
            f"median accept {r['accept_ms']:.0f} ms)"
        )
    )
    print(row(f"setup: open + {args.accepts} x (set_mask, accept)", text, r), flush=True)
    if "error" in r:
        print(f"| resume, goto, propagate | skipped: no work folder with {args.accepts} accepts |")
        return figures
    figures["accept_ms"] = r["accept_ms"]

    def copy() -> str:
        target = Path(tempfile.mkdtemp(dir=tmp)) / "work"
        shutil.copytree(work, target)
        return str(target)

    r = run_op({**common, "op": "resume", "workdir": copy()}, args.timeout)
    opening_row("resume", f"resume after {args.accepts} accepts (Session.resume)", r, figures)
    job = {**common, "op": "navigate", "workdir": copy(), "navigate": args.navigate}
    r = run_op(job, args.timeout)
    if "error" in r:
        print(row("goto(random open image)", "", r, TARGETS["goto"]))
    else:
        entry, full = r["entry_ms"], r["full_ms"]
        text = (
            f"median {statistics.median(entry):.1f} ms, max {max(entry):.1f} ms (of {len(entry)})"
        )
        print(
            row(
                "resume, then goto(random open image) until predict entry",
                text,
                r,
                TARGETS["goto"],
                max(entry) <= 50,
            )
        )
        beside, reopen = r["beside_ms"], r["reopen_ms"]
        print(
            f"| goto(random open image): whole / beside the prediction (median) | "
            f"{statistics.median(full):.0f} ms / {statistics.median(beside):.1f} ms | | | | |"
        )
        print(
            f"| goto(an accepted image): to predict entry / whole / beside the prediction | "
            f"{reopen[0]:.1f} ms / {reopen[1]:.0f} ms / {reopen[2]:.1f} ms | | | "
            f"{TARGETS['goto']} | {verdict(reopen[0] <= 50)} |",
            flush=True,
        )
        figures["goto_ms"] = statistics.median(entry)
        figures["goto_beside_ms"] = statistics.median(beside)
    if args.skip_propagate:
        return figures
    job = {**common, "op": "propagate", "workdir": copy(), "images": args.propagate_images}
    r = run_op(job, args.timeout)
    if "error" in r:
        print(row("propagate", "", r, TARGETS["cluster"]))
        return figures
    alone = r["images"] / r["alone_s"]
    per_alone = alone / r["alone_cores"]
    print(
        f"| propagate {r['images']} images, no executor ({r['alone_cores']} torch threads) | "
        f"{alone:.2f} images/s = {per_alone:.2f} per core | | | | |"
    )
    for name, c in r["clusters"].items():
        clustered = r["images"] / c["seconds"]
        per_cluster = clustered / c["cores"]
        ratio = per_cluster / per_alone
        print(
            row(
                f"propagate, LocalCluster 2 workers x 1 thread, {name} ({c['cores']} torch "
                f"threads; start {c['start_s']:.1f} s, not counted)",
                f"{clustered:.2f} images/s = {per_cluster:.2f} per core, x{ratio:.2f}",
                r,
                TARGETS["cluster"],
                ratio >= 0.8,
            ),
            flush=True,
        )
    figures["propagate_ms"] = 1e3 * r["alone_s"] / r["images"]
    return figures


def report_scaling(results: dict[int, dict[str, float]], sides: dict[int, int]) -> None:
    """Growth from the smallest to the largest size of each image side: listing (open, resume)
    may grow linearly with the images, everything else should stay constant per image."""
    print("\n## scaling: listing linear in the images, everything else constant per image")
    for side in sorted(set(sides.values())):
        sizes = sorted(n for n in results if sides[n] == side)
        if len(sizes) < 2:
            continue
        lo, hi = sizes[0], sizes[-1]
        factor = hi / lo
        print(f"{lo:,} -> {hi:,} images of {side} x {side} (x{factor:g}):")
        for key, what, linear in [
            ("open_s", "open time", True),
            ("open_mb", "open RSS beside model", True),
            ("resume_s", "resume time", True),
            ("resume_mb", "resume RSS beside model", True),
            ("accept_ms", "accept (median)", False),
            ("goto_ms", "goto to predict (median)", False),
            ("goto_beside_ms", "goto beside predict (median)", False),
            ("propagate_ms", "propagate per image, no executor", False),
        ]:
            if key not in results[lo] or key not in results[hi]:
                continue
            a, b = results[lo][key], results[hi][key]
            limit = factor * LISTING_SLACK if linear else CONSTANT_SLACK
            kind = "linear" if linear else "constant"
            if a < 1.0 and b < 1.0:  # RSS below 1 MB at both sizes: no growth to measure
                print(f"  {what:<34} {a:10.2f} -> {b:10.2f}  (both under 1) ok")
                continue
            growth = b / a if a > 0 else float("inf")
            print(
                f"  {what:<34} {a:10.2f} -> {b:10.2f}  x{growth:<7.2f} "
                f"({kind}: <= x{limit:g}) {verdict(growth <= limit)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--side", type=int, help="image side (default 256; 64 above 10,000)")
    default_cache = Path(tempfile.gettempdir()) / "mvw-scale-cache"
    parser.add_argument("--cache-dir", type=Path, default=default_cache)
    parser.add_argument("--propagate-images", type=int, default=64)
    parser.add_argument("--skip-propagate", action="store_true")
    parser.add_argument("--navigate", type=int, default=20, help="random images to goto")
    parser.add_argument("--accepts", type=int, default=50, help="accepted before resume")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per operation")
    parser.add_argument("--max-context", type=int, default=8, help="context items per predict")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    import torch

    import multiverseg_widget as mvw

    print(
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}; {os.cpu_count()} CPUs, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), built-in weights, "
        f"max_context {args.max_context}, timeout {args.timeout:.0f} s per operation; "
        f"package {Path(mvw.__file__).parent}"
    )
    print(
        "targets: open or resume 100,000 images <= 3 s with peak RSS < 500 MB beside the "
        "model; goto any image <= 50 ms before the first prediction starts; propagate on a "
        "LocalCluster within 20% of no executor per core; listing linear in the images, "
        "everything else constant per image"
    )
    sides = {n: args.side or (256 if n <= 10000 else 64) for n in args.sizes}
    results = {}
    tmp = Path(tempfile.mkdtemp(prefix="mvw-scale-"))
    try:
        for n in args.sizes:
            results[n] = report_size(n, sides[n], args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report_scaling(results, sides)


if __name__ == "__main__":
    main()
