"""Which library an array belongs to.

NumPy arrays (and SciPy sparse matrices) take the in-place fast paths written
for NumPy; arrays of any other Array API library (PyTorch, CuPy,
array-api-strict) go through that library's namespace, on the array's device.
"""

import numpy as np
import scipy.sparse as sp

try:
    from sklearn.externals import array_api_compat
except ImportError:  # scikit-learn < 1.7 vendors no copy; it may be installed.
    try:
        import array_api_compat
    except ImportError:  # Then scikit-learn converts every input to NumPy.
        array_api_compat = None


def namespace(array):
    """Return ``numpy`` for NumPy data, else the array's Array API namespace."""
    # The first test is the hot path: it runs for every NumPy operation.
    if isinstance(array, np.ndarray):
        return np
    if isinstance(array, np.generic) or sp.issparse(array) or not array_api_compat:
        return np
    return array_api_compat.array_namespace(array)


def device(array):
    """Return the array's device; None for NumPy data."""
    return None if namespace(array) is np else array_api_compat.device(array)


def same_device(array):
    """Keyword arguments that create an array on the device of ``array``.

    Empty for NumPy, whose creation functions take no ``device`` before 2.0.
    """
    return {} if namespace(array) is np else {"device": device(array)}


def copy(array):
    """Return a copy of the array in its own namespace."""
    xp = namespace(array)
    return array.copy() if xp is np else xp.asarray(array, copy=True)


def to_numpy(array):
    """Return an Array API array as a NumPy array on the host.

    NumPy arrays and other data (lists, pandas objects) are returned unchanged.
    """
    if not array_api_compat or not array_api_compat.is_array_api_obj(array):
        return array
    xp = namespace(array)
    if xp is np:
        return array
    if hasattr(array, "cpu"):  # PyTorch
        return array.cpu().numpy()
    if hasattr(array, "get"):  # CuPy
        return array.get()
    if hasattr(xp, "Device"):  # array-api-strict keeps arrays on named devices
        array = xp.asarray(array, device=xp.Device("CPU_DEVICE"))
    return np.asarray(array)


def on_host(value):
    """``value`` with every Array API array in it, inside lists, tuples and
    dicts too, made a NumPy array on the host (see :func:`to_numpy`); the
    same object where it holds none."""
    if isinstance(value, (list, tuple)):
        converted = [on_host(item) for item in value]
        if all(new is old for new, old in zip(converted, value)):
            return value
        return type(value)(converted)
    if isinstance(value, dict):
        converted = {key: on_host(item) for key, item in value.items()}
        if all(converted[key] is item for key, item in value.items()):
            return value
        return converted
    return to_numpy(value)


def take_rows(array, rows):
    """Return the rows of ``array`` selected by a slice or a NumPy index array."""
    if isinstance(rows, slice):
        return array[rows, :] if array.ndim > 1 else array[rows]
    xp = namespace(array)
    if xp is np:
        return array[rows]
    return xp.take(array, xp.asarray(rows, device=device(array)), axis=0)


def like(array, reference):
    """Return a NumPy ``array`` with the dtype, library and device of ``reference``."""
    xp = namespace(reference)
    if xp is np:
        return array.astype(reference.dtype, copy=False)
    return xp.asarray(array, dtype=reference.dtype, device=device(reference))


def numpy_float_dtype(array):
    """The NumPy float dtype matching the array's: float32 or float64."""
    xp = namespace(array)
    return np.float32 if array.dtype == xp.float32 else np.float64


def float_dtypes(X):
    """The float dtypes, float64 first, of the library ``X`` will be validated in."""
    from sklearn.utils._array_api import get_namespace

    xp, _ = get_namespace(X)
    return [xp.float64, xp.float32]


def check_same_library(X, reference, what, reference_name="the data passed to fit"):
    """Refuse ``X`` (named ``what``) from another array library or device than
    ``reference``: the fitted weights, or other data (``reference_name``).

    Only with scikit-learn's array API dispatch on: without it every input is
    converted to NumPy, as the weights are.
    """
    from sklearn import get_config

    if not array_api_compat or not get_config().get("array_api_dispatch", False):
        return
    is_array = array_api_compat.is_array_api_obj(X) and not sp.issparse(X)
    X_xp = namespace(X) if is_array else np
    fitted_xp = namespace(reference)
    X_device = device(X) if is_array else None
    if X_xp is fitted_xp and X_device == device(reference):
        return
    raise ValueError(
        f"{what} must use the same namespace and the same device as "
        f"{reference_name}: {_short_name(fitted_xp)} on {device(reference)}, "
        f"got {_short_name(X_xp)} on {X_device}."
    )


def _short_name(xp):
    """A namespace's library name: ``torch`` for array_api_compat's wrapper."""
    return xp.__name__.rsplit(".", 1)[-1]
