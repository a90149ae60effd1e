"""multiverseg-widget: interactive in-context segmentation of biomedical image datasets."""

from .model import CheckpointError, Prediction, Predictor, load_model
from .session import Session

__version__ = "0.1.0"

__all__ = ["CheckpointError", "Prediction", "Predictor", "Session", "__version__", "load_model"]
