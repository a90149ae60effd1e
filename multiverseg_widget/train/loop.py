"""The training loop: resumable, time-limited, validating and checkpointing as it goes.

The run directory's files (``last.pt``, ``best.pt``, ``history.jsonl``) are written and read
by ``run_files.py``.
"""

from __future__ import annotations

import math
import signal
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..common.logs import package_logger
from ..model.device import resolve_precision
from ..model.multiverseg_net import MultiverSegNet
from ..model.segmentation_loss import segmentation_loss
from .batch import Batch, sample_batch
from .config import TrainConfig
from .forest_guess import forest_guesses
from .interactions import SimulatedAnnotation
from .real_tasks import load_tasks
from .run_files import TrainState, continue_from_checkpoint, save_last, validate_and_keep_best
from .weight_average import WeightAverage

log = package_logger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
TRAINING_PRECISIONS = ("auto", "bf16", "fp32")  # fp16 would need loss scaling
CLICK_RADIUS = 3  # pixels at the training resolution around each click that get extra weight


def train(
    config: TrainConfig,
    run_dir: str | Path,
    time_limit_minutes: float,
    device: str = "cpu",
    max_steps: int | None = None,
    init: str | Path | None = None,
) -> TrainState:
    """Train until the time limit (or ``max_steps`` more steps), resuming from
    ``run_dir/last.pt`` when it exists, else starting from the weights and progress of the
    checkpoint ``init`` (e.g. the shipped default.pt; the optimizer state starts afresh).

    Args:
        config: the training settings (``config.data_dir`` holds the real tasks).
        run_dir: the run's folder: ``last.pt``, ``best.pt`` and ``history.jsonl`` go there.
        time_limit_minutes: wall-clock budget of this call.
        device: where to train ("cpu", "cuda", ...).
        max_steps: also stop after this many more steps.
        init: a checkpoint of this pipeline to continue from when there is no ``last.pt``.

    Returns:
        The training state at the stop (steps, samples, seconds, best validation score).
    """
    in_bf16 = training_precision(config.precision, torch.device(device)) == "bf16"
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    net = MultiverSegNet(**config.network_config()).to(device)
    # Training wants big batched convolutions, not the inference path's bounded scratch memory.
    net.support_chunk = config.max_context
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    state: TrainState = {"step": 0, "samples": 0, "seconds": 0.0, "best_score": -1.0}
    gen = torch.Generator().manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    saved_average = None  # the weight average a resumed run kept
    last = run_dir / "last.pt"
    if last.is_file():
        saved = torch.load(last, map_location=device, weights_only=True)
        saved_config = TrainConfig.from_dict(saved["config"])
        if saved_config.network_config() != config.network_config():
            raise ValueError(
                f"{last} holds a network of another shape ({saved_config.encoder_blocks}); "
                "use a new run directory"
            )
        changed = {k: v for k, v in config.to_dict().items() if saved["config"].get(k) != v}
        if changed:
            log.info(f"resuming with changed settings: {changed}")
        net.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        saved_average = saved.get("weight_average")
        state = saved["state"]
        gen.set_state(saved["torch_rng"].cpu())  # map_location may have moved it
        rng = np.random.default_rng(int(saved["numpy_seed"]))
        log.info(
            f"resumed from {last} at step {state['step']} ({state['samples']} samples)"
        )
    elif init is not None:
        state = continue_from_checkpoint(net, Path(init))
        log.info(f"continuing from {init} at step {state['step']} ({state['samples']} samples)")
    average = WeightAverage(net, config.ema_decay) if config.ema_decay else None
    if average is not None and saved_average is not None:
        average.load_state_dict(saved_average)
    train_tasks, held_tasks = load_tasks(config.data_dir, config.holdout_fraction)
    deadline = time.monotonic() + 60 * time_limit_minutes
    last_step = state["step"] + max_steps if max_steps is not None else None

    stop = StopRequest()
    started = time.monotonic()
    seconds_at_start = state["seconds"]
    last_save = time.monotonic()
    running: list[float] = []
    try:
        while time.monotonic() < deadline and state["step"] != last_step and not stop.requested:
            size = 64 if state["samples"] < config.low_res_until else 128
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(config, state["step"])
            batch = sample_batch(config, train_tasks, size, gen, device)
            loss = train_step(net, optimizer, batch, config, rng, in_bf16)
            if average is not None:
                average.update(net)
            running.append(loss)
            state["step"] += 1
            state["samples"] += config.batch_size
            state["seconds"] = seconds_at_start + time.monotonic() - started
            if state["step"] % 50 == 0:
                rate = state["samples"] / max(state["seconds"], 1e-6)
                log.info(
                    f"step {state['step']} samples {state['samples']} res {size} "
                    f"loss {np.mean(running):.4f} ({rate:.1f} samples/s overall)"
                )
                running = []
            if state["step"] % config.validate_every == 0:
                validate_and_keep_best(net, average, held_tasks, config, state, run_dir, device)
            if time.monotonic() - last_save > 60 * config.checkpoint_every_minutes:
                save_last(net, optimizer, average, config, state, gen, rng, last)
                last_save = time.monotonic()
    finally:
        stop.restore()
    save_last(net, optimizer, average, config, state, gen, rng, last)
    log.info(f"stopped: step {state['step']}, {state['samples']} samples")
    return state


class StopRequest:
    """SIGINT / SIGTERM end the run after the current step, with last.pt written: a stop never
    loses more than one step of training."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = {sig: signal.signal(sig, self._request) for sig in STOP_SIGNALS}

    def _request(self, signum: int, frame: object) -> None:
        log.info(f"signal {signum}: stopping after this step")
        self.requested = True

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def learning_rate(config: TrainConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to 5% over ``total_steps``."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = min(
        1.0, (step - config.warmup_steps) / max(1, config.total_steps - config.warmup_steps)
    )
    return config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_step(
    net: MultiverSegNet,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    config: TrainConfig,
    rng: np.random.Generator,
    in_bf16: bool = False,
) -> float:
    """First interaction plus corrective rounds; the loss of every round is back-propagated.
    ``in_bf16``: the forward passes in bf16 autocast (``training_precision``, resolved once)."""
    net.train()
    gts = batch.masks[:, 0].cpu().numpy() > 0.5
    has_context = batch.support is not None
    sims = [
        SimulatedAnnotation(
            gt,
            rng,
            prompt_first=not has_context or rng.random() >= config.context_only_fraction,
            false_positive_clicks=config.false_positive_click_fraction,
            stray_scribbles=config.stray_scribble_fraction,
        )
        for gt in gts
    ]
    support = batch.support
    prev = None
    if support is not None and config.forest_guess_fraction:
        prev = forest_guesses(batch.images, support, config.forest_guess_fraction, rng)
    total = 0.0
    optimizer.zero_grad(set_to_none=True)
    for _ in range(1 + config.corrective_rounds):
        target = torch.stack(
            [
                s.encode(img.cpu(), None if prev is None else prev[i].cpu())
                for i, (s, img) in enumerate(zip(sims, batch.images))
            ]
        ).to(batch.images.device)
        with torch.autocast(batch.images.device.type, dtype=torch.bfloat16, enabled=in_bf16):
            logits = net.forward_support(target, support) if support is not None else net(target)
        logits = logits.float()
        loss = segmentation_loss(logits, batch.masks, click_weights(sims, batch.masks, config))
        loss.backward()
        total += float(loss.detach())
        prev = logits.detach()
        pred = (prev[:, 0] > 0).cpu().numpy()
        for s, p in zip(sims, pred):
            s.correct(p)
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    optimizer.step()
    return total / (1 + config.corrective_rounds)


def training_precision(precision: str, device: torch.device) -> str:
    """``precision`` with "auto" resolved: bf16 on a GPU that computes it, else fp32."""
    if precision not in TRAINING_PRECISIONS:
        raise ValueError(
            f"precision must be one of {', '.join(TRAINING_PRECISIONS)}, got {precision!r}"
        )
    if precision != "auto":
        return precision
    return resolve_precision("auto", device) if device.type == "cuda" else "fp32"


def click_weights(
    sims: list[SimulatedAnnotation], masks: torch.Tensor, config: TrainConfig
) -> torch.Tensor:
    """BCE weights: 1 everywhere, 1 + click_loss_weight in a small disk around each click, so
    that following a click is rewarded directly, plus false_positive_loss_weight on each
    false-positive component a negative click was aimed at: the whole of it should go."""
    weights = torch.zeros_like(masks)
    removed = torch.zeros_like(masks)
    for i, s in enumerate(sims):
        for x, y in s.clicked():
            weights[i, 0, y, x] = 1.0
        for component in s.removed:
            removed[i, 0] += torch.from_numpy(component).to(removed)
    size = 2 * CLICK_RADIUS + 1
    disks = F.max_pool2d(weights, size, stride=1, padding=CLICK_RADIUS)
    return 1.0 + config.click_loss_weight * disks + config.false_positive_loss_weight * removed
