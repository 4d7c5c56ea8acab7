"""
Exporting to ONNX
=================

A fitted Pipeline that ends in ``BackpropClassifier`` converts to ONNX with
skl2onnx, after one call to ``register_onnx_converter``, and onnxruntime then
predicts without scikit-learn. This example trains on the digits, converts the
Pipeline, scaler included, and compares onnxruntime's labels and probabilities
with the estimator's. It needs the ``onnx`` extra
(``pip install "sklearn-backprop[onnx]"``).
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier, register_onnx_converter

X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
model = make_pipeline(StandardScaler(), BackpropClassifier(random_state=0))
model.fit(X_train, y_train)
print(f"test accuracy of the estimator: {model.score(X_test, y_test):.4f}")

# %%
# Converting
# ----------
# ``zipmap=False`` asks for the probabilities as a matrix, one column per
# class, rather than skl2onnx's default list of dictionaries.
register_onnx_converter()
onx = to_onnx(model, X_train[:1], options={BackpropClassifier: {"zipmap": False}})
print("operators:", ", ".join(node.op_type for node in onx.graph.node))
print(f"size of the ONNX file: {len(onx.SerializeToString()) / 1024:.1f} KiB")

# %%
# Predicting with onnxruntime
# ---------------------------
# The session needs only the ONNX bytes: no Python object of this package.
# One thread: onnxruntime's idle threads otherwise keep spinning for a while
# after each call, which would slow whatever runs next, here the estimator.
options = ort.SessionOptions()
options.intra_op_num_threads = 1
session = ort.InferenceSession(
    onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
)
labels, proba = session.run(None, {"X": X_test})
expected = model.predict_proba(X_test)
difference = np.abs(proba - expected)
print(f"labels equal to predict's: {np.mean(labels == model.predict(X_test)):.4f}")
print(f"largest difference of probabilities: {difference.max():.2e}")

# %%
# The graph computes in float32, the estimator in float64: the probabilities
# differ by rounding only, a few units of the seventh decimal at most.
# Differences of exactly zero, where both round to the same number, are left
# out of the logarithmic histogram.
positive = difference[difference > 0]
edges = np.logspace(np.log10(positive.min()), np.log10(positive.max()), 30)

# %%
# How long a prediction takes
# ---------------------------
# The time per call of ``predict_proba`` and of onnxruntime, for one row and
# for the whole test set, on the machine that built this page (medians of
# repeated calls; a noisy measurement, to show orders of magnitude).


def median_seconds(function, repeat=50):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


one_row = X_test[:1]
timings = {
    "predict_proba, 1 row": median_seconds(lambda: model.predict_proba(one_row)),
    "onnxruntime, 1 row": median_seconds(lambda: session.run(None, {"X": one_row})),
    f"predict_proba, {len(X_test)} rows": median_seconds(
        lambda: model.predict_proba(X_test)
    ),
    f"onnxruntime, {len(X_test)} rows": median_seconds(
        lambda: session.run(None, {"X": X_test})
    ),
}
for name, seconds in timings.items():
    print(f"{name:>24}: {seconds * 1e6:8.0f} µs")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
left.hist(positive, bins=edges, color="tab:blue")
left.set_xscale("log")
left.set_xlabel("|onnxruntime - predict_proba|")
left.set_ylabel("probabilities")
left.set_title(f"{difference.size} probabilities, {np.sum(difference == 0)} equal")
names = list(timings)
right.barh(
    names,
    [timings[name] * 1e6 for name in names],
    color=["tab:gray", "tab:orange"] * 2,
)
right.set_xscale("log")
right.set_xlabel("time per call (µs, log scale)")
right.invert_yaxis()
right.set_title("Prediction time")
plt.show()
