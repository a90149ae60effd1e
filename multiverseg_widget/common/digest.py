"""Content digests of arrays: the same pixels give the same key, whatever object holds them.

Used to cache prepared context items (``model/context.py``) and to tell datasets apart when a
work folder is resumed (``annotation/store.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np


def array_digest(arrays: Iterable[np.ndarray]) -> str:
    """A blake2b digest of every array's dtype, shape and bytes, in order."""
    digest = hashlib.blake2b(digest_size=20)
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape};".encode())
        digest.update(array.data)
    return digest.hexdigest()
