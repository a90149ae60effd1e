"""numpy arrays <-> the widget's binary form ``{"shape", "dtype", "data"}`` (mirror: js/codec.js).

Why: images and masks travel to the browser as raw little-endian bytes (ipywidgets sends any
``bytes`` inside a trait as a binary buffer), never as base64 or JSON lists, and keep their own
dtype so that the browser can window 16-bit and CT/MR values itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DTYPES = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "float32")


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """An array of a DTYPES type (bool becomes uint8, float64 float32) as shape, dtype and bytes."""
    a = np.asarray(array)
    if a.dtype == bool:
        a = a.astype(np.uint8)
    elif a.dtype == np.float64:
        a = a.astype(np.float32)
    if a.dtype.name not in DTYPES:
        raise ValueError(f"cannot encode dtype {a.dtype}; supported: {', '.join(DTYPES)}")
    data = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    return {"shape": list(a.shape), "dtype": a.dtype.name, "data": data}


def decode_array(encoded: dict[str, Any]) -> np.ndarray:
    """The inverse of ``encode_array`` (bytes, memoryview or any buffer as ``data``)."""
    if encoded.get("dtype") not in DTYPES:
        raise ValueError(f"cannot decode dtype {encoded.get('dtype')!r}")
    dtype = np.dtype(encoded["dtype"]).newbyteorder("<")
    return np.copy(np.frombuffer(encoded["data"], dtype=dtype).reshape(encoded["shape"]))
