"""Propagation: every open image predicted from the context set alone, over any executor, and
the suggestion of which image to annotate next (the one the model is least sure about)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from ..model.predictor import Predictor
from .checks import frozen


@dataclass(frozen=True)
class Propagation:
    """Masks predicted from the context set alone, with a confidence in [0, 1] per image."""

    masks: dict[int, np.ndarray]
    confidence: dict[int, float]  # mean |prob - 0.5|, times 2: 0 = undecided, 1 = certain
    context_version: int = -1  # the context set they were predicted from


def propagate(
    model: Predictor,
    image_of: Callable[[int], np.ndarray],
    targets: Sequence[int],
    context: Sequence[tuple[np.ndarray, np.ndarray]],
    max_context: int | None,
    context_version: int,
    executor: concurrent.futures.Executor | None = None,
    batch_size: int = 8,
    progress: bool = True,
) -> Propagation:
    """Predict ``targets`` (image indices) from ``context`` in batches of ``batch_size``; each
    executor task gets its batch's images and the model (shared by threads, pickled without its
    context cache for processes)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    batches = [list(targets[k : k + batch_size]) for k in range(0, len(targets), batch_size)]
    masks: dict[int, np.ndarray] = {}
    confidence: dict[int, float] = {}
    with tqdm(total=len(targets), desc="propagate", unit="image", disable=not progress) as bar:

        def collect(batch: list[int], results: list[tuple[np.ndarray, float]]) -> None:
            for i, (mask, score) in zip(batch, results):
                masks[i], confidence[i] = frozen(mask), score
            bar.update(len(batch))

        if executor is None:
            for batch in batches:
                images = [image_of(i) for i in batch]
                collect(batch, predict_images(model, images, context, max_context))
        else:
            futures = {
                executor.submit(
                    predict_images, model, [image_of(i) for i in batch], context, max_context
                ): batch
                for batch in batches
            }
            for future in concurrent.futures.as_completed(futures):
                collect(futures[future], future.result())
    return Propagation(
        dict(sorted(masks.items())), dict(sorted(confidence.items())), context_version
    )


def predict_images(
    model: Predictor,
    images: Sequence[np.ndarray],
    context: Sequence[tuple[np.ndarray, np.ndarray]],
    max_context: int | None,
) -> list[tuple[np.ndarray, float]]:
    """Masks and confidences from the context alone (runs in executors: module level). The
    context set is prepared once per batch, where the task runs, not once per image."""
    prepared = model.prepare_context(context)
    out = []
    for image in images:
        prediction = model.predict(image, context=prepared, max_context=max_context)
        score = float(np.mean(np.abs(prediction.prob - 0.5)) * 2.0)
        out.append((prediction.mask, score))
    return out


def least_confident(result: Propagation, todo: Sequence[int]) -> int:
    """The open image the model is least sure about (ties: the first)."""
    return min(todo, key=lambda i: (result.confidence[i], i))
