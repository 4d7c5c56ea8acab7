"""A scikit-learn classifier that trains a two-layer sigmoid network by backprop."""

from ._classifier import BackpropClassifier
from ._onnx import register_onnx_converter
from ._plot import HistoryDisplay
from ._spec import NetworkSpec

__all__ = [
    "BackpropClassifier",
    "HistoryDisplay",
    "NetworkSpec",
    "register_onnx_converter",
]
__version__ = "0.1.0"
