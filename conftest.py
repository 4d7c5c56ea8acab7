"""Doctests of optional features run only where their packages are installed."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("skl2onnx") is None:
    collect_ignore.append("sklearn_backprop/_onnx.py")
