"""A scikit-learn classifier that trains a two-layer sigmoid network by backprop."""

from ._classifier import BackpropClassifier
from ._gradient_check import check_gradients
from ._onnx import register_onnx_converter
from ._plot import HistoryDisplay
from ._regions import DecisionRegionsDisplay
from ._spec import NetworkSpec
from ._step import backprop_step

__all__ = [
    "BackpropClassifier",
    "DecisionRegionsDisplay",
    "HistoryDisplay",
    "NetworkSpec",
    "backprop_step",
    "check_gradients",
    "register_onnx_converter",
]
__version__ = "0.1.0"
