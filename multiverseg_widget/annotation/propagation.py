"""Propagation: every open image predicted from the context set alone, over any executor, and
the suggestion of which image to annotate next (the one the model is least sure about).

Tasks carry references, not pixels: an image file is read by the worker that predicts it, and so
is a context mask stored in the work folder (shared storage, as on any cluster); only images and
masks that live in memory travel as arrays. A process prepares a context set once, on its first
task of it, not once per task. Results are handed to a results store as they
arrive (``propagation_results.py``), with a bounded number of tasks in flight, so memory does not
grow with the dataset and an interrupted propagate keeps what it finished.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm.auto import tqdm

from ..data.lazy import ImageSource, read_source
from ..data.readers import UnreadableFileError
from ..data.writers import png_mask
from ..model.context import PreparedContext
from ..model.predictor import Predictor

IN_FLIGHT = 16  # executor tasks submitted ahead of the results collected


@dataclass(frozen=True)
class MaskFile:
    """An accepted mask in the work folder, read by the task that needs it."""

    path: str
    sha256: str

    def read(self) -> np.ndarray:
        """The mask, checked against its checksum (ValueError if the file is damaged).

        Returns:
            H x W bool, of its image's shape.
        """
        data = Path(self.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ValueError(f"mask file {self.path} is damaged (its checksum does not match)")
        return png_mask(data)


MaskSource = MaskFile | np.ndarray


@dataclass(frozen=True)
class PropagationContext:
    """The context set as tasks carry it: its key (``Propagation.key``), its images and masks
    (references where they are stored) and the cap on context items per prediction."""

    key: str
    items: tuple[tuple[ImageSource, MaskSource], ...]
    max_context: int | None


# the context set this process prepared last, by key and device: what its next tasks reuse
_prepared: dict[tuple[str, str], PreparedContext] = {}


@dataclass(frozen=True)
class Propagation:
    """Masks predicted from the context set alone, with a confidence in [0, 1] per image."""

    masks: Mapping[int, np.ndarray]
    confidence: Mapping[int, float]  # mean |prob - 0.5|, times 2: 0 = undecided, 1 = certain
    key: str = ""  # the context set, model and settings they were predicted from
    # images that could not be read (a damaged file, a slice with NaN pixels): index -> why;
    # the last run's, not stored: a new run tries them again
    skipped: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unreadable:
    """What a task returns for an image it could not read, instead of its prediction."""

    why: str


Predicted = tuple[np.ndarray, float] | Unreadable  # a mask and its confidence, or why not


class Results(Protocol):
    """Where results go as they arrive: memory or the work folder (``propagation_results.py``)."""

    @property
    def masks(self) -> Mapping[int, np.ndarray]:
        """Image index -> its mask so far, H x W bool."""

    @property
    def confidence(self) -> Mapping[int, float]:
        """Image index -> its confidence so far; an image in it is not predicted again."""

    def add(self, i: int, mask: np.ndarray, confidence: float) -> None:
        """Keep image i's result, so that no later run predicts it again.

        Args:
            i: the image's index in the dataset.
            mask: H x W bool of image i's shape.
            confidence: mean |prob - 0.5|, times 2, in [0, 1].
        """

    def flush(self) -> None:
        """Make the results so far durable (after each batch)."""


def propagate(
    model: Predictor,
    source_of: Callable[[int], ImageSource],
    targets: Sequence[int],
    context: PropagationContext,
    results: Results,
    executor: concurrent.futures.Executor | None = None,
    batch_size: int = 8,
    progress: bool = True,
) -> dict[int, str]:
    """Predict the ``targets`` that ``results`` lacks from ``context`` in batches, and add each
    to ``results`` as it arrives (flushed per batch), so that memory does not grow with the
    dataset and an interrupted run keeps what it finished.

    Args:
        model: the Predictor, shared by threads, pickled without its context cache for
            processes.
        source_of: image index -> its ``ImageSource`` (a file or a mapped volume slice, read
            by the task, or an array).
        targets: the image indices to predict.
        context: the context set as tasks carry it.
        results: where each mask (H x W bool) and confidence (in [0, 1]) goes.
        executor: runs the batches' tasks (None: here, one batch after another).
        batch_size: images per task.
        progress: show a progress bar.

    Returns:
        The images that could not be read, skipped rather than predicted: index -> why.
    """
    skipped: dict[int, str] = {}
    todo = [i for i in targets if i not in results.confidence]
    batches = (todo[k : k + batch_size] for k in range(0, len(todo), batch_size))
    with tqdm(
        total=len(targets), initial=len(targets) - len(todo), desc="propagate", unit="image",
        disable=not progress,
    ) as bar:  # fmt: skip

        def collect(batch: list[int], predicted: list[Predicted]) -> None:
            for i, outcome in zip(batch, predicted):
                if isinstance(outcome, Unreadable):
                    skipped[i] = outcome.why
                else:
                    results.add(i, *outcome)
            results.flush()
            bar.update(len(batch))

        if executor is None:
            for batch in batches:
                collect(batch, predict_batch(model, [source_of(i) for i in batch], context))
            return skipped
        pending: dict[concurrent.futures.Future[list[Predicted]], list[int]] = {}
        try:
            for batch in batches:
                sources = [source_of(i) for i in batch]
                pending[executor.submit(predict_batch, model, sources, context)] = batch
                while len(pending) >= IN_FLIGHT:
                    _collect_some(pending, collect)
            while pending:
                _collect_some(pending, collect)
        finally:
            for future in pending:
                future.cancel()
    return skipped


def _collect_some(
    pending: dict[concurrent.futures.Future[list[Predicted]], list[int]],
    collect: Callable[[list[int], list[Predicted]], None],
) -> None:
    done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
    for future in done:
        collect(pending.pop(future), future.result())


def predict_batch(
    model: Predictor, sources: Sequence[ImageSource], context: PropagationContext
) -> list[Predicted]:
    """Masks and confidences from the context alone (runs in executors: module level). The
    images are read where the task runs, and so is the context, once per process.

    Args:
        model: the Predictor.
        sources: the batch's ``ImageSource``s (files or mapped volume slices, read here, or
            arrays).
        context: the context set as tasks carry it.

    Returns:
        Per source, in order: its mask (H x W bool) and confidence (mean |prob - 0.5|, times
        2, in [0, 1]); or ``Unreadable`` for an image that cannot be read (the others are
        still predicted).
    """
    prepared = _prepared_context(model, context)
    out: list[Predicted] = []
    for source in sources:
        try:
            image = read_source(source)
        except UnreadableFileError as error:
            out.append(Unreadable(str(error)))
            continue
        prediction = model.predict(image, context=prepared, max_context=context.max_context)
        score = float(np.mean(np.abs(prediction.prob - 0.5)) * 2.0)
        out.append((prediction.mask, score))
    return out


def _prepared_context(model: Predictor, context: PropagationContext) -> PreparedContext:
    key = (context.key, str(model.device))
    prepared = _prepared.get(key)
    if prepared is None:
        pairs = [(read_source(image), _read_mask(mask)) for image, mask in context.items]
        prepared = model.prepare_context(pairs)
        _prepared.clear()  # one context set at a time: the latest
        _prepared[key] = prepared
    return prepared


def _read_mask(mask: MaskSource) -> np.ndarray:
    return mask.read() if isinstance(mask, MaskFile) else mask


def least_confident(result: Propagation, todo: Sequence[int]) -> int | None:
    """The open image (of ``todo``) the model is least sure about, of those ``result``
    predicted (ties: the first); None when it predicted none of them."""
    known = [i for i in todo if i in result.confidence]
    return min(known, key=lambda i: (result.confidence[i], i), default=None)
