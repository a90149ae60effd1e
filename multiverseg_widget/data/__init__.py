"""Images in and masks out: a folder, files, volumes or arrays become a flat list of 2D images
(``load``); one table of formats serves loading and export; the bundled demo datasets."""

from .dataset import Dataset, VolumeSlice
from .demo import DEMO_NAMES, demo_dataset
from .formats import EXPORT_FORMATS, FORMATS
from .loading import load
from .readers import UnreadableFileError

__all__ = [
    "DEMO_NAMES",
    "EXPORT_FORMATS",
    "FORMATS",
    "Dataset",
    "UnreadableFileError",
    "VolumeSlice",
    "demo_dataset",
    "load",
]
