"""multiverseg-widget: interactive in-context segmentation of biomedical image datasets."""

from .threads import prefer_sleeping_threads

prefer_sleeping_threads()  # before torch is imported (threads.py says why)

from .annotation.session import Session  # noqa: E402  (after the thread setting)
from .model import CheckpointError, Prediction, Predictor, load_model  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "CheckpointError",
    "Prediction",
    "Predictor",
    "SegmentWidget",
    "Session",
    "__version__",
    "annotate",
    "load_model",
]


def __getattr__(name: str) -> object:
    """Import the widget on first use, so that the model, the sessions and the training run
    where anywidget and Jupyter are not installed (a GPU training machine, a batch job)."""
    if name in ("SegmentWidget", "annotate"):
        from . import widget

        return getattr(widget, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
