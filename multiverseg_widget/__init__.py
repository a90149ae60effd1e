"""multiverseg-widget: interactive in-context segmentation of biomedical image datasets."""

from .model import CheckpointError, Prediction, Predictor, load_model

__version__ = "0.1.0"

__all__ = ["CheckpointError", "Prediction", "Predictor", "__version__", "load_model"]
