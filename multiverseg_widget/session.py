"""The annotation session: the state machine of segmenting one dataset, one image at a time.

No UI and no torch: a Session turns clicks, boxes and scribbles into Predictor calls, keeps an undo
history per image, the context set and the accepted masks, and commits every change to its work
folder (store.py) before it returns, so that killing the kernel loses nothing accepted.
"""

from __future__ import annotations

import concurrent.futures
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from . import io
from .export import export_masks
from .model.load import load_model
from .model.predictor import Prediction, Predictor
from .model.preprocessing import as_mask
from .store import WorkFolder, WorkFolderError, fingerprint

Interaction = dict[str, Any]  # JSON-able: {"kind": "click" | "box" | "scribble" | "mask", ...}
DEFAULT_BRUSH = 3  # scribble width in image pixels


@dataclass(frozen=True)
class Step:
    """One state of an image's annotation: the interactions so far and what they produced."""

    interactions: tuple[Interaction, ...]
    prediction: Prediction | None  # the latest model output; None before the first one
    mask: np.ndarray  # H x W bool: what accept() takes (the prediction's, or set_mask's)


@dataclass
class ImageState:
    """Undo and redo stacks of one image; ``history[0]`` is the state before any interaction."""

    history: list[Step]
    future: list[Step] = field(default_factory=list)

    @property
    def current(self) -> Step:
        return self.history[-1]


@dataclass(frozen=True)
class Propagation:
    """Masks predicted from the context set alone, with a confidence in [0, 1] per image."""

    masks: dict[int, np.ndarray]
    confidence: dict[int, float]  # mean |prob - 0.5|, times 2: 0 = undecided, 1 = certain


class Session:
    """Annotate ``images`` for one structure; see the DESIGN's "The session and the store".

    images: anything ``io.load`` reads (folder, files, N x H x W array, list of arrays, Dataset).
    model: a Predictor (default ``load_model()``). workdir: where every change is saved; None
    keeps the session in memory only. max_context: cap on context items per prediction.
    """

    def __init__(
        self,
        images: Any,
        model: Predictor | None = None,
        workdir: str | Path | None = None,
        structure: str = "structure",
        max_context: int | None = None,
        axis: int | None = None,
        skip_bad: bool = False,
    ) -> None:
        if not isinstance(structure, str) or not structure.strip():
            raise ValueError(f"structure must be a non-empty name, got {structure!r}")
        _check_max_context(max_context)
        dataset = io.load(images, axis=axis, skip_bad=skip_bad)
        store = None if workdir is None else WorkFolder.create(workdir)
        self._setup(dataset, model, store, structure, max_context)
        if store is not None:
            if dataset.files:
                files = [str(Path(f).resolve()) for f in dataset.files]
                self._source = {"files": files, "axis": dataset.axis}
            else:
                self._source = {"arrays": store.save_images(dataset.images)}
        self._states[0] = self._build_state(0, [])
        self._persist()

    def _setup(
        self,
        dataset: io.Dataset,
        model: Predictor | None,
        store: WorkFolder | None,
        structure: str,
        max_context: int | None,
    ) -> None:
        if model is None:
            model = load_model()
        self.dataset = dataset
        self.model = model
        self.structure = structure
        self.max_context = max_context
        self.propagated: Propagation | None = None
        self._store = store
        self._source: dict[str, Any] = {}
        self._fingerprint = fingerprint(dataset.images)
        self._index = 0
        self._states: dict[int, ImageState] = {}
        self._saved_logs: dict[int, list[Interaction]] = {}  # resumed, not yet replayed
        self._drafts: dict[str, np.ndarray] = {}  # draft file -> mask set by hand
        self._accepted: dict[int, np.ndarray] = {}
        self._accepted_files: dict[int, tuple[str, str]] = {}
        self._context_ids: list[int] = []
        self._context_version = 0
        self._propagated_version = -1

    @classmethod
    def resume(cls, workdir: str | Path, model: Predictor | None = None) -> Session:
        """Reopen a work folder: images, accepted masks, context, interaction logs, position.

        A damaged session file or a folder made for other images raises WorkFolderError and
        nothing is written; the undo history of the current image is rebuilt from its log.
        """
        store = WorkFolder.open(workdir)
        state = store.read_state()
        try:
            source = dict(state["dataset"])
            dataset = _restore_dataset(store, state, source)
            if fingerprint(dataset.images) != state["fingerprint"]:
                raise WorkFolderError(
                    f"{store.path} belongs to a different dataset: the images it was made for "
                    "have changed or are not the ones found now; it was left as it is"
                )
            n = len(dataset)
            accepted = {
                _index(int(k), n): (str(v["file"]), str(v["sha256"]))
                for k, v in state["accepted"].items()
            }
            context = [_index(i, n) for i in state["context"]]
            logs = {_index(int(k), n): [_logged(e) for e in v] for k, v in state["logs"].items()}
            position = _index(state["position"], n)
            _check_max_context(state["max_context"])
            if not set(context) <= set(accepted) or len(set(context)) != len(context):
                raise ValueError("the context names images that are not accepted, or repeats one")
            masks = {
                i: store.read_mask(rel, sha, _shape(dataset.images[i]))
                for i, (rel, sha) in accepted.items()
            }
            session = cls.__new__(cls)
            session._setup(dataset, model, store, str(state["structure"]), state["max_context"])
            session._source = source
            session._accepted = {i: _frozen(m) for i, m in masks.items()}
            session._accepted_files = accepted
            session._context_ids = context
            session._saved_logs = logs
            session._index = position
            session._ensure_state(position)
        except WorkFolderError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise WorkFolderError(f"{store.path / 'session.json'} is damaged: {error!r}") from error
        return session

    # ---- what the session holds -----------------------------------------------------------

    def __len__(self) -> int:
        return len(self.dataset)

    def __repr__(self) -> str:
        return (
            f"Session({len(self)} images, {len(self._accepted)} accepted, "
            f"{len(self._context_ids)} in context, at image {self._index}, "
            f"workdir={None if self._store is None else str(self._store.path)!r})"
        )

    @property
    def index(self) -> int:
        """The image being annotated."""
        return self._index

    @property
    def image(self) -> np.ndarray:
        return self.dataset.images[self._index]

    @property
    def names(self) -> list[str]:
        return list(self.dataset.names)

    @property
    def workdir(self) -> Path | None:
        return None if self._store is None else self._store.path

    @property
    def prediction(self) -> Prediction | None:
        """The current image's latest model output (None before any)."""
        return self._state().current.prediction

    @property
    def mask(self) -> np.ndarray:
        """The current image's mask: what accept() would take."""
        return self._state().current.mask

    @property
    def interactions(self) -> list[Interaction]:
        return [dict(e) for e in self._state().current.interactions]

    @property
    def can_undo(self) -> bool:
        return len(self._state().history) > 1

    @property
    def can_redo(self) -> bool:
        return bool(self._state().future)

    @property
    def context(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The context set, in the order images were accepted: (image, mask) pairs."""
        return [(self.dataset.images[i], self._accepted[i]) for i in self._context_ids]

    @property
    def context_indices(self) -> list[int]:
        return list(self._context_ids)

    @property
    def accepted(self) -> Mapping[int, np.ndarray]:
        """Image index -> accepted mask (H x W bool, read-only)."""
        return MappingProxyType(self._accepted)

    def status(self, i: int) -> str:
        """'accepted', 'in progress' (has interactions) or 'todo'."""
        i = _index(i, len(self))
        if i in self._accepted:
            return "accepted"
        log = self._states[i].current.interactions if i in self._states else self._saved_logs.get(i)
        return "in progress" if log else "todo"

    # ---- interactions ----------------------------------------------------------------------

    def click(self, x: float, y: float, positive: bool = True) -> Prediction:
        """Add a click at image pixel (x, y); returns the new prediction."""
        return self.add([{"kind": "click", "x": x, "y": y, "positive": positive}])

    def box(self, x0: float, y0: float, x1: float, y1: float) -> Prediction:
        """Set the box (end exclusive, image pixels); a new box replaces the previous one."""
        return self.add([{"kind": "box", "box": [x0, y0, x1, y1]}])

    def scribble(
        self,
        points: Sequence[tuple[float, float]],
        positive: bool = True,
        width: float = DEFAULT_BRUSH,
    ) -> Prediction:
        """Add a stroke through ``points`` (image pixels) with a round brush ``width`` wide."""
        return self.add(
            [{"kind": "scribble", "points": points, "positive": positive, "width": width}]
        )

    def add(self, interactions: Sequence[Mapping[str, Any]]) -> Prediction:
        """Add several interactions with one forward pass and one undo step.

        This is what a front end sends when the user was faster than the model: the kernel
        predicts once for the latest state instead of working through a backlog. Each entry is
        ``{"kind": "click", "x", "y", "positive"}``, ``{"kind": "box", "box": [x0, y0, x1, y1]}``
        or ``{"kind": "scribble", "points", "positive", "width"}``; all are checked first.
        """
        if isinstance(interactions, (str, bytes, Mapping)) or not isinstance(
            interactions, Sequence
        ):
            raise ValueError("add needs a list of interactions")
        if not interactions:
            raise ValueError("add needs at least one interaction")
        entries = tuple(self._checked(e, k) for k, e in enumerate(interactions))
        current = self._state().current
        return self._predict_step(current.interactions + entries, current.prediction)

    def remove(self, positions: Sequence[int]) -> Prediction | None:
        """Drop the interactions at these positions of ``interactions`` (the eraser), as one undo
        step. The rest is predicted again in one pass, from the image's first prediction."""
        state = self._state()
        current = state.current.interactions
        drop = {_index(k, len(current), "interaction position") for k in positions}
        if not drop:
            raise ValueError("remove needs at least one interaction position")
        if any(e["kind"] == "mask" for k, e in enumerate(current) if k > min(drop)):
            raise ValueError(
                "interactions made before a hand-edited mask cannot be removed; use undo"
            )
        kept = tuple(e for k, e in enumerate(current) if k not in drop)
        first = state.history[0]
        if not kept:
            self._push(Step((), first.prediction, first.mask))
            return first.prediction
        return self._predict_step(kept, first.prediction)

    def set_mask(self, mask: np.ndarray) -> None:
        """Replace the current mask by a hand-edited one (undoable); accept() then takes it."""
        edited = _frozen(as_mask(mask, _shape(self.image), "mask") > 0.5)
        entry: Interaction = {"kind": "mask"}
        if self._store is not None:
            rel, sha = self._store.write_mask("drafts", "", edited)
            entry = {"kind": "mask", "file": rel, "sha256": sha}
            self._drafts[rel] = edited
        current = self._state().current
        self._push(Step(current.interactions + (entry,), current.prediction, edited))

    def undo(self) -> Prediction | None:
        """Go back one step (nothing happens at the first); returns the restored prediction."""
        state = self._state()
        if len(state.history) > 1:
            self._persist(log=(self._index, state.history[-2].interactions))
            state.future.append(state.history.pop())
        return state.current.prediction

    def redo(self) -> Prediction | None:
        """Re-apply the step undone last (nothing happens if none); returns its prediction."""
        state = self._state()
        if state.future:
            self._persist(log=(self._index, state.future[-1].interactions))
            state.history.append(state.future.pop())
        return state.current.prediction

    def clear(self) -> Prediction | None:
        """Drop every interaction of this image (undoable): back to its first prediction."""
        state = self._state()
        first, current = state.history[0], state.current
        if not (current.interactions or current.mask is not first.mask):
            return current.prediction
        self._push(Step((), first.prediction, first.mask))
        return first.prediction

    # ---- accepting and moving ----------------------------------------------------------------

    def accept(self) -> np.ndarray:
        """Save the current mask, put it in the context set and move to the next open image.

        Returns the accepted mask once it is on disk. Re-accepting an image replaces its mask and
        its context entry.
        """
        i = self._index
        mask = self._state().current.mask
        files = dict(self._accepted_files)
        if self._store is not None:
            stem = io.safe_name(f"{i:05d}_{self.dataset.names[i]}")
            files[i] = self._store.write_mask("masks", stem, mask)
        context = self._context_ids + ([] if i in self._context_ids else [i])
        done = set(self._accepted) | {i}
        following = [j for j in range(i + 1, len(self)) if j not in done]
        earlier = [j for j in range(i) if j not in done]
        position = (following + earlier + [i])[0]
        self._persist(position=position, accepted_files=files, context=context)
        self._accepted[i] = mask
        self._accepted_files = files
        self._context_ids = context
        self._context_version += 1
        self._index = position
        self._ensure_state(position)
        return mask

    def goto(self, i: int) -> Prediction | None:
        """Open image i (accepted ones can be reopened and corrected); returns its prediction."""
        i = _index(i, len(self))
        self._ensure_state(i)
        self._persist(position=i)
        self._index = i
        return self.prediction

    def next(self) -> Prediction | None:
        """Open the following image (stays at the last one)."""
        return self.goto(min(self._index + 1, len(self) - 1))

    def previous(self) -> Prediction | None:
        """Open the preceding image (stays at the first one)."""
        return self.goto(max(self._index - 1, 0))

    def remove_context(self, i: int) -> None:
        """Drop entry i of ``context`` from the context set; its image stays accepted."""
        k = _index(i, len(self._context_ids), "context entry")
        context = self._context_ids[:k] + self._context_ids[k + 1 :]
        self._persist(context=context)
        self._context_ids = context
        self._context_version += 1

    # ---- the whole dataset ---------------------------------------------------------------------

    def propagate(
        self,
        indices: Sequence[int] | None = None,
        executor: concurrent.futures.Executor | None = None,
        batch_size: int = 8,
        progress: bool = True,
    ) -> Propagation:
        """Predict images not yet accepted (default: all of them) from the context set alone.

        executor: any concurrent.futures.Executor (a dask.distributed ``client.get_executor()``
        spreads the work over a cluster); each task gets ``batch_size`` images and the model
        (shared by threads, pickled without its context cache for processes). The result is
        also kept as ``propagated`` (see ``export``).
        """
        if not self._context_ids:
            raise ValueError("propagate needs a context set: accept at least one image first")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if indices is None:
            targets = [i for i in range(len(self)) if i not in self._accepted]
        else:
            targets = sorted({_index(i, len(self)) for i in indices})
            done = [i for i in targets if i in self._accepted]
            if done:
                raise ValueError(f"images {done} are accepted already; propagate predicts the rest")
        context = self.context
        batches = [targets[k : k + batch_size] for k in range(0, len(targets), batch_size)]
        masks: dict[int, np.ndarray] = {}
        confidence: dict[int, float] = {}
        with tqdm(total=len(targets), desc="propagate", unit="image", disable=not progress) as bar:

            def collect(batch: list[int], results: list[tuple[np.ndarray, float]]) -> None:
                for i, (mask, score) in zip(batch, results):
                    masks[i], confidence[i] = _frozen(mask), score
                bar.update(len(batch))

            if executor is None:
                for batch in batches:
                    images = [self.dataset.images[i] for i in batch]
                    collect(batch, _predict_images(self.model, images, context, self.max_context))
            else:
                futures = {
                    executor.submit(
                        _predict_images,
                        self.model,
                        [self.dataset.images[i] for i in batch],
                        context,
                        self.max_context,
                    ): batch
                    for batch in batches
                }
                for future in concurrent.futures.as_completed(futures):
                    collect(futures[future], future.result())
        result = Propagation(dict(sorted(masks.items())), dict(sorted(confidence.items())))
        self.propagated = result
        self._propagated_version = self._context_version
        return result

    def suggest_next(self) -> int | None:
        """The image not yet accepted that the model is least sure about (None when all are).

        With an empty context set there is nothing to be sure about: the first open image.
        """
        todo = [i for i in range(len(self)) if i not in self._accepted]
        if not todo or not self._context_ids:
            return todo[0] if todo else None
        result = self.propagated
        if (
            result is None
            or self._propagated_version != self._context_version
            or not set(todo) <= result.confidence.keys()
        ):
            result = self.propagate(todo, progress=False)
        return min(todo, key=lambda i: (result.confidence[i], i))

    def export(
        self, path: str | Path, format: str = "png", include_propagated: bool = False
    ) -> list[Path]:
        """Write the accepted masks (and, if asked, the last propagated ones) to ``path``.

        png: one 0/255 file per image; tiff: one 0/1 file per image; nifti: one 0/1 volume per
        source volume with its affine (2D images: one file each); npz: one file. File names come
        from the source names, made safe. Returns the files written.
        """
        masks = dict(self._accepted)
        if include_propagated and self.propagated is not None:
            for i, mask in self.propagated.masks.items():
                masks.setdefault(i, mask)
        if not masks:
            raise ValueError("nothing to export: no image has been accepted yet")
        target = Path(path)
        if self._store is not None and self._store.contains(target):
            raise ValueError(f"export to {target} would write into the session's work folder")
        return export_masks(masks, self.dataset, target, format)

    # ---- internals -----------------------------------------------------------------------------

    def _state(self) -> ImageState:
        return self._states[self._index]

    def _ensure_state(self, i: int) -> None:
        if i not in self._states:
            self._states[i] = self._build_state(i, self._saved_logs.get(i, []))
            self._saved_logs.pop(i, None)

    def _build_state(self, i: int, log: Sequence[Interaction]) -> ImageState:
        """A fresh state: the prediction from the context alone, then ``log`` replayed."""
        image = self.dataset.images[i]
        if self._context_for(i):
            first = self._predict(i, (), None)
            history = [Step((), first, _frozen(first.mask))]
        else:
            history = [Step((), None, _frozen(np.zeros(_shape(image), dtype=bool)))]
        for entry in log:
            current = history[-1]
            interactions = current.interactions + (entry,)
            if entry.get("kind") == "mask":
                if self._store is None:
                    raise WorkFolderError("a logged mask edit needs the work folder")
                edited = _frozen(
                    self._store.read_mask(entry["file"], entry["sha256"], _shape(image))
                )
                self._drafts[entry["file"]] = edited
                history.append(Step(interactions, current.prediction, edited))
            else:
                prediction = self._predict(i, interactions, current.prediction)
                history.append(Step(interactions, prediction, _frozen(prediction.mask)))
        if i in self._accepted:
            last = history[-1]
            history[-1] = Step(last.interactions, last.prediction, self._accepted[i])
        return ImageState(history)

    def _checked(self, entry: Any, k: int) -> Interaction:
        """A validated copy of one interaction for ``add`` (ValueError naming what is wrong)."""
        kind = entry.get("kind") if isinstance(entry, Mapping) else None
        try:
            if kind == "click":
                x, y = self._point((entry["x"], entry["y"]), "click")
                return {"kind": "click", "x": x, "y": y, "positive": bool(entry["positive"])}
            if kind == "box":
                box = entry["box"]
                if isinstance(box, (str, bytes)) or not isinstance(box, (Sequence, np.ndarray)):
                    raise ValueError(f"a box needs [x0, y0, x1, y1], got {box!r}")
                return {"kind": "box", "box": _numbers(box, "box")}
            if kind == "scribble":
                return self._scribble_entry(entry["points"], entry["positive"], entry["width"])
        except KeyError as missing:
            raise ValueError(f"interaction {k} ({kind}) lacks {missing}") from None
        raise ValueError(f"interaction {k} must be a click, box or scribble, got {entry!r}")

    def _scribble_entry(self, points: Any, positive: Any, width: Any) -> Interaction:
        if isinstance(points, (str, bytes)) or not isinstance(points, (Sequence, np.ndarray)):
            raise ValueError("scribble points must be a list of (x, y) pairs")
        if len(points) == 0:
            raise ValueError("a scribble needs at least one point")
        (brush,) = _numbers([width], "scribble width")
        if not 1 <= brush <= 256:
            raise ValueError(f"scribble width must be in [1, 256] pixels, got {width!r}")
        pts = [list(self._point(p, f"scribble point {k}")) for k, p in enumerate(points)]
        return {"kind": "scribble", "points": pts, "positive": bool(positive), "width": brush}

    def _predict_step(
        self, interactions: tuple[Interaction, ...], previous: Prediction | None
    ) -> Prediction:
        prediction = self._predict(self._index, interactions, previous)
        self._push(Step(interactions, prediction, _frozen(prediction.mask)))
        return prediction

    def _push(self, step: Step) -> None:
        self._persist(log=(self._index, step.interactions))
        state = self._state()
        state.history.append(step)
        state.future.clear()

    def _predict(
        self, i: int, interactions: Sequence[Interaction], previous: Prediction | None
    ) -> Prediction:
        """One forward pass with every prompt so far and the previous logits (as in the paper)."""
        image = self.dataset.images[i]
        shape = _shape(image)
        clicks = [(e["x"], e["y"], e["positive"]) for e in interactions if e["kind"] == "click"]
        boxes = [e["box"] for e in interactions if e["kind"] == "box"]
        strokes = [e for e in interactions if e["kind"] == "scribble"]
        scribbles = None
        if strokes:
            scribbles = tuple(
                _rasterise([s for s in strokes if s["positive"] == sign], shape)
                for sign in (True, False)
            )
        return self.model.predict(
            image,
            clicks=clicks or None,
            box=boxes[-1] if boxes else None,
            scribbles=scribbles,
            prev_logits=None if previous is None else previous.logits,
            context=self._context_for(i),
            max_context=self.max_context,
        )

    def _context_for(self, i: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The context set without image i itself: a reopened image must not see its answer."""
        return [(self.dataset.images[j], self._accepted[j]) for j in self._context_ids if j != i]

    def _point(self, point: Any, what: str) -> tuple[float, float]:
        if not isinstance(point, (Sequence, np.ndarray)) or len(point) != 2:
            raise ValueError(f"{what} must be an (x, y) pair, got {point!r}")
        x, y = _numbers(point, what)
        height, width = _shape(self.image)
        if not (0 <= x < width and 0 <= y < height):
            raise ValueError(
                f"{what} ({x:g}, {y:g}) lies outside image {self._index} "
                f"({width} wide, {height} high)"
            )
        return x, y

    def _persist(
        self,
        position: int | None = None,
        accepted_files: dict[int, tuple[str, str]] | None = None,
        context: list[int] | None = None,
        log: tuple[int, tuple[Interaction, ...]] | None = None,
    ) -> None:
        """Commit the session as it will be after the caller's change (before applying it)."""
        if self._store is None:
            return
        logs = {i: list(s.current.interactions) for i, s in self._states.items()}
        logs.update({i: log_ for i, log_ in self._saved_logs.items() if i not in logs})
        if log is not None:
            logs[log[0]] = list(log[1])
        for entries in logs.values():
            for entry in entries:
                if entry["kind"] == "mask" and entry["file"] in self._drafts:
                    self._store.write_mask("drafts", "", self._drafts[entry["file"]])
        files = self._accepted_files if accepted_files is None else accepted_files
        self._store.write_state(
            {
                "structure": self.structure,
                "fingerprint": self._fingerprint,
                "dataset": self._source,
                "names": list(self.dataset.names),
                "slices": [None if s is None else s.to_json() for s in self.dataset.slices],
                "max_context": self.max_context,
                "position": self._index if position is None else position,
                "accepted": {
                    str(i): {"file": rel, "sha256": sha} for i, (rel, sha) in sorted(files.items())
                },
                "context": self._context_ids if context is None else context,
                "logs": {str(i): entries for i, entries in sorted(logs.items()) if entries},
            }
        )


def _restore_dataset(
    store: WorkFolder, state: dict[str, Any], source: dict[str, Any]
) -> io.Dataset:
    """The images a work folder was made for: re-read from their files, or its own copies."""
    if "files" in source:
        try:
            return io.load(list(source["files"]), axis=source["axis"])
        except ValueError as error:
            raise WorkFolderError(f"the session's images cannot be read: {error}") from error
    images = store.load_images(source["arrays"])
    slices = [None if s is None else io.VolumeSlice.from_json(s) for s in state["slices"]]
    return io.Dataset(images, [str(n) for n in state["names"]], slices)


_LOGGED_KEYS = {
    "click": {"x", "y", "positive"},
    "box": {"box"},
    "scribble": {"points", "positive", "width"},
    "mask": {"file", "sha256"},
}


def _logged(entry: Any) -> Interaction:
    """A logged interaction read back from session.json, checked for its kind's keys."""
    if not isinstance(entry, dict) or entry.get("kind") not in _LOGGED_KEYS:
        raise ValueError(f"unknown interaction {entry!r}")
    missing = _LOGGED_KEYS[entry["kind"]] - entry.keys()
    if missing:
        raise ValueError(f"interaction {entry!r} lacks {sorted(missing)}")
    return dict(entry)


def _predict_images(
    model: Predictor,
    images: Sequence[np.ndarray],
    context: Sequence[tuple[np.ndarray, np.ndarray]],
    max_context: int | None,
) -> list[tuple[np.ndarray, float]]:
    """Masks and confidences from the context alone (runs in executors: module level)."""
    out = []
    for image in images:
        prediction = model.predict(image, context=context, max_context=max_context)
        score = float(np.mean(np.abs(prediction.prob - 0.5)) * 2.0)
        out.append((prediction.mask, score))
    return out


def _rasterise(strokes: Sequence[Interaction], shape: tuple[int, int]) -> np.ndarray | None:
    """Strokes -> H x W mask at image resolution: every pixel within width / 2 of a stroke.

    Pixel (x, y) is the point (x, y), as for clicks; a round brush, so ends and joints are round.
    """
    if not strokes:
        return None
    mask = np.zeros(shape, dtype=bool)
    for stroke in strokes:
        radius = stroke["width"] / 2.0
        points = np.asarray(stroke["points"], dtype=float)
        for a, b in zip(points, points[1:]) if len(points) > 1 else [(points[0], points[0])]:
            lo = np.maximum(np.floor(np.minimum(a, b) - radius), 0).astype(int)
            hi = np.minimum(np.ceil(np.maximum(a, b) + radius) + 1, shape[::-1]).astype(int)
            ys, xs = np.mgrid[lo[1] : hi[1], lo[0] : hi[0]]
            d = b - a
            length2 = float(d @ d)
            t = (
                0.0
                if length2 == 0
                else np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / length2, 0, 1)
            )
            near = (xs - a[0] - t * d[0]) ** 2 + (ys - a[1] - t * d[1]) ** 2 <= radius**2
            mask[lo[1] : hi[1], lo[0] : hi[0]] |= near
    return mask


def _numbers(values: Sequence[Any], what: str) -> list[float]:
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ValueError(f"{what} needs numbers, got {tuple(values)!r}")
        if not math.isfinite(v):
            raise ValueError(f"{what} needs finite numbers, got {tuple(values)!r}")
        out.append(float(v))
    return out


def _index(i: Any, n: int, what: str = "image index") -> int:
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
        raise ValueError(f"{what} must be an int in [0, {n}), got {i!r}")
    return int(i)


def _check_max_context(max_context: Any) -> None:
    if max_context is not None and (
        isinstance(max_context, bool) or not isinstance(max_context, int) or max_context < 1
    ):
        raise ValueError(f"max_context must be None or a positive int, got {max_context!r}")


def _shape(image: np.ndarray) -> tuple[int, int]:
    return (int(image.shape[0]), int(image.shape[1]))


def _frozen(mask: np.ndarray) -> np.ndarray:
    """A read-only bool copy: masks held by the session cannot be changed behind its back."""
    out = np.array(mask, dtype=bool, copy=True)
    out.flags.writeable = False
    return out
