"""Shared fixtures: the data most tests train on, the tutorial's fit, and
figures that never leak into the next test."""

import sys

import pytest
from _support import TUTORIAL_PARAMS
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier


@pytest.fixture(autouse=True)
def close_figures():
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def iris():
    """Standardised iris features and their labels."""
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def tutorial_split():
    """The tutorial's split of raw iris: 130 training rows, 20 test rows."""
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=20, random_state=4)


@pytest.fixture(scope="session")
def tutorial_fit(tutorial_split):
    """The tutorial's network trained as the tutorial trains it, once a session."""
    X_train, _, y_train, _ = tutorial_split
    return BackpropClassifier(**TUTORIAL_PARAMS).fit(X_train, y_train)
