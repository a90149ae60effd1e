"""The binary array form shared with js/codec.js."""

from __future__ import annotations

import numpy as np
import pytest

from multiverseg_widget.widget.codec import DTYPES, decode_array, encode_array


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_keeps_values_shape_and_dtype(dtype):
    a = (np.arange(24) * 7 % 200).astype(dtype).reshape(2, 3, 4)
    encoded = encode_array(a)
    assert isinstance(encoded["data"], bytes) and encoded["shape"] == [2, 3, 4]
    back = decode_array(encoded)
    assert back.dtype == a.dtype and np.array_equal(back, a)


def test_bytes_are_little_endian_whatever_the_input_order():
    big = np.array([1, 256], dtype=">u2")
    assert encode_array(big)["data"] == b"\x01\x00\x00\x01"


def test_bool_and_float64_become_their_shipped_types():
    assert encode_array(np.array([True, False]))["dtype"] == "uint8"
    assert encode_array(np.array([0.5]))["dtype"] == "float32"


def test_unsupported_dtypes_are_refused():
    with pytest.raises(ValueError, match="cannot encode"):
        encode_array(np.array([1 + 2j]))
    with pytest.raises(ValueError, match="cannot decode"):
        decode_array({"shape": [1], "dtype": "float16", "data": b"\x00\x00"})
