"""Where the networks run and in which precision: the device and autocast choices."""

from __future__ import annotations

import functools
from pathlib import Path

import torch


def resolve_device(device: str | torch.device | None) -> torch.device:
    """None means the CPU (the tested default); "auto" takes CUDA, then Apple MPS, else the CPU;
    asking for an accelerator that is not there is an error."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    dev = torch.device(device or "cpu")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but no CUDA GPU is available")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device='mps' was requested but Apple MPS is not available")
    return dev


def resolve_precision(precision: str, device: torch.device) -> str:
    """ "auto": bf16 autocast where the hardware computes in bf16 natively, a CUDA GPU that has
    it or a CPU with AVX512-BF16 or AMX (there the masks agree with fp32 at Dice >= 0.995 on
    every eval task, and a predict is 1.2-1.9x faster: ``benchmarks/precision.py``); fp32
    elsewhere (other CPUs emulate bf16, and MPS autocast is partial)."""
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if device.type == "cpu" and cpu_computes_bf16() else "fp32"


@functools.cache
def cpu_computes_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU has bf16 arithmetic instructions (Linux lists them in /proc/cpuinfo;
    elsewhere: assume not)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return False
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return bool({"avx512_bf16", "amx_bf16"} & set(flags.split()))
