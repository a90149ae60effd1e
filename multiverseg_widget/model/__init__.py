"""Networks, prompt encoding, checkpoints and the Predictor."""

from .checkpoint import CheckpointError, save_checkpoint
from .encoding import encode_prompts, rescale_prompts
from .inputs import encode_inputs
from .load import load_model
from .multiverseg_net import MultiverSegNet
from .prediction import Prediction
from .predictor import Predictor
from .scribbleprompt_unet import ScribblePromptUNet

__all__ = [
    "CheckpointError",
    "MultiverSegNet",
    "Prediction",
    "Predictor",
    "ScribblePromptUNet",
    "encode_inputs",
    "encode_prompts",
    "load_model",
    "rescale_prompts",
    "save_checkpoint",
]
