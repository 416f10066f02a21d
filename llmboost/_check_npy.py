"""Read a ``.npy`` array without pickle, saying clearly why one is refused."""

from __future__ import annotations

import io
import math

import numpy as np

#: Array kinds ``llmboost.save`` stores as ``.npy``: bool, integers, floats, complex, text, dates.
NPY_KINDS = "biufcUMm"


def read_npy(data: bytes) -> np.ndarray:
    """``np.load(allow_pickle=False)`` of ``data``, its header checked first.

    Parameters
    ----------
    data : bytes
        A ``.npy`` file's bytes.

    Returns
    -------
    ndarray

    Raises
    ------
    ValueError
        Worded to follow the entry's name: "is not a valid .npy array (...)" for bytes
        that are not one (garbage, truncated), "holds pickled (object) data, ..." for an
        array of Python objects, which would need pickle.
    """
    buffer = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buffer)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"format version {version}")
        read = np.lib.format.read_array_header_1_0
        shape, _, dtype = (read if version == (1, 0) else np.lib.format.read_array_header_2_0)(
            buffer
        )
    except (ValueError, EOFError) as exc:
        raise ValueError(f"is not a valid .npy array ({exc})") from None
    if dtype.hasobject:
        raise ValueError("holds pickled (object) data, which load never unpickles")
    if dtype.kind not in NPY_KINDS or dtype.fields is not None or dtype.itemsize == 0:
        # <U0: as many items as the header says, from no bytes
        raise ValueError(f"holds an array of dtype {dtype}, which load does not build")
    if math.prod(shape) * dtype.itemsize != len(data) - buffer.tell():
        raise ValueError(f"is not a valid .npy array (its data does not fill shape {shape})")
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, EOFError) as exc:
        raise ValueError(f"is not a valid .npy array ({exc})") from None


__all__ = ["NPY_KINDS", "read_npy"]
