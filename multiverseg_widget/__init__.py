"""multiverseg-widget: interactive in-context segmentation of biomedical image datasets."""

from .model import CheckpointError, Prediction, Predictor, load_model
from .session import Session
from .widget import SegmentWidget, annotate

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
