"""BackpropClassifier: the tutorial's two-layer sigmoid network as an estimator."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _network
from ._history import History


class BackpropClassifier(ClassifierMixin, BaseEstimator):
    """Two-layer sigmoid network trained by full-batch gradient descent.

    The network has one hidden layer of sigmoid units and one output unit per
    class. Each iteration runs a forward pass on the whole training set, records
    its metrics in ``history_``, back-propagates the error and takes one gradient
    step. With ``loss="squared_error"``, ``fit_intercept=False``, ``init_scale=0.5``
    and ``tol=None`` it is exactly the network of the classic backpropagation
    tutorial on iris.

    Parameters
    ----------
    hidden_size : int, default=20
        Number of hidden sigmoid units. Sigmoid units all start near 0.5, so
        their updates to the output layer add up: the wider the layer, the
        smaller the stable step size. 20 units leave room for a step of 1.0 and
        reach MLPClassifier's accuracy on the datasets bundled with
        scikit-learn (iris, wine, breast cancer within a point; digits within
        two) in a fraction of its fit time.

    learning_rate : float, default=1.0
        Gradient-descent step size. Full-batch gradients of the mean loss are
        smooth, so 1.0 is stable on standardised features with the default
        ``hidden_size``; the tutorial uses 0.1 on raw features.

    max_iter : int, default=1000
        Maximum number of iterations, each one full-batch gradient step. With
        the defaults, ``tol`` ends training after 150 to 600 iterations on the
        bundled datasets; 1000 leaves a margin before a ConvergenceWarning.

    loss : {"log_loss", "squared_error"}, default="log_loss"
        ``"log_loss"``: softmax outputs and the mean cross-entropy, whose gradient
        does not vanish when an output saturates, hence the default.
        ``"squared_error"``: sigmoid outputs and the tutorial's loss, the sum of
        squared errors over all output entries divided by twice their number.

    fit_intercept : bool, default=True
        Whether hidden and output units have bias terms. The tutorial has none;
        without them every hidden unit's boundary passes through the origin.

    init_scale : float or "auto", default="auto"
        Standard deviation of the normal initial weights. ``"auto"`` uses
        ``sqrt(2 / (fan_in + fan_out))`` for each layer (Glorot initialisation),
        which keeps the sigmoids away from saturation whatever the layer sizes.
        The tutorial uses 0.5.

    tol : float or None, default=1e-4
        Training stops when the training loss has not improved by at least
        ``tol`` over the best loss so far for ``n_iter_no_change`` consecutive
        iterations. ``None`` runs all ``max_iter`` iterations. 1e-4, as in
        MLPClassifier, stops once further iterations change the predictions
        little: on the bundled datasets, running to ``max_iter`` instead raises
        no cross-validated accuracy by more than a point.

    n_iter_no_change : int, default=10
        Number of consecutive iterations without an improvement of ``tol`` after
        which training stops. Ignored when ``tol`` is None. 10, as in
        MLPClassifier: a full-batch loss falls smoothly, so ten iterations in a
        row below ``tol`` mark a plateau rather than a pause.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights: ``check_random_state(random_state)`` draws the
        input-to-hidden matrix, then the hidden-to-output matrix, each with
        ``normal(scale=init_scale, size=...)``. Pass an int for reproducible fits.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.

    coefs_ : list of two ndarrays
        ``coefs_[0]`` is the input-to-hidden matrix of shape
        (n_features, hidden_size), ``coefs_[1]`` the hidden-to-output matrix of
        shape (hidden_size, n_classes).

    intercepts_ : list of two ndarrays
        Hidden and output biases, of shapes (hidden_size,) and (n_classes,); all
        zeros when ``fit_intercept=False``.

    n_iter_ : int
        Number of gradient steps taken.

    history_ : pandas.DataFrame
        One row per iteration, index ``iteration``, computed on the training set
        by the forward pass before that iteration's update: ``mse`` (the
        tutorial's squared error of the outputs against one-hot targets),
        ``accuracy``, and ``loss`` when ``loss="log_loss"``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : Multi-layer perceptron with more
        layers, activations and solvers.

    Notes
    -----
    Binary problems use two output units, like any other number of classes, so
    the squared error and ``history_["mse"]`` are computed as in the tutorial.
    With ``loss="squared_error"`` the sigmoid outputs do not sum to one;
    :meth:`predict_proba` divides each row by its sum.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_backprop import BackpropClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), BackpropClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y)
    0.97...
    >>> clf[-1].history_.columns.tolist()
    ['loss', 'mse', 'accuracy']
    """

    _parameter_constraints: dict = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "fit_intercept": ["boolean"],
        "init_scale": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        hidden_size=20,
        *,
        learning_rate=1.0,
        max_iter=1000,
        loss="log_loss",
        fit_intercept=True,
        init_scale="auto",
        tol=1e-4,
        n_iter_no_change=10,
        random_state=None,
    ):
        self.hidden_size = hidden_size
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.loss = loss
        self.fit_intercept = fit_intercept
        self.init_scale = init_scale
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on ``X`` and ``y`` from freshly drawn weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. float32 data is trained in float32.

        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : BackpropClassifier
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                "BackpropClassifier needs samples of at least 2 classes; the "
                f"data contains only one class: {classes[0]!r}."
            )
        Y = np.eye(classes.size, dtype=X.dtype)[y_index]

        rng = check_random_state(self.random_state)
        layer_sizes = [X.shape[1], self.hidden_size, classes.size]
        coefs, intercepts = _network.init_weights(
            rng, layer_sizes, self.init_scale, self.fit_intercept, X.dtype
        )
        history = self._train(X, y_index, Y, coefs, intercepts)

        self.classes_ = classes
        self.coefs_ = coefs
        self.intercepts_ = intercepts or [
            np.zeros(size, dtype=X.dtype) for size in layer_sizes[1:]
        ]
        self.n_iter_ = len(history)
        self._history = history
        return self

    def _train(self, X, y_index, Y, coefs, intercepts):
        """Run gradient descent on the weights in place; return the History."""
        loss_function = _network.LOSSES[self.loss]
        columns = ["mse", "accuracy"]
        if self.loss != "squared_error":
            columns.insert(0, "loss")
        history = History(columns)
        params = coefs + (intercepts or [])
        best_loss, n_no_improvement = np.inf, 0

        for iteration in range(self.max_iter):
            H, P = _network.forward(X, coefs, intercepts, self.loss)
            row = {"mse": _network.squared_error(Y, P)}
            row["accuracy"] = _network.accuracy(y_index, P)
            loss = row["mse"] if self.loss == "squared_error" else loss_function(Y, P)
            if not np.isfinite(loss):
                raise FloatingPointError(
                    f"The training loss became {loss} at iteration {iteration}: "
                    "gradient descent diverged. Use a smaller learning_rate "
                    f"(now {self.learning_rate}) or scale the features."
                )
            if self.loss != "squared_error":
                row["loss"] = loss
            history.record(**row)

            coef_grads, intercept_grads = _network.backward(
                X, Y, H, P, coefs, self.loss, intercepts is not None
            )
            for param, grad in zip(params, coef_grads + (intercept_grads or [])):
                param -= self.learning_rate * grad

            if self.tol is None:
                continue
            if loss > best_loss - self.tol:
                n_no_improvement += 1
            else:
                n_no_improvement = 0
            best_loss = min(best_loss, loss)
            if n_no_improvement >= self.n_iter_no_change:
                return history

        if self.tol is not None:
            warnings.warn(
                f"BackpropClassifier reached max_iter={self.max_iter} before the "
                f"training loss stopped improving by tol={self.tol}; increase "
                "max_iter or tol.",
                ConvergenceWarning,
            )
        return history

    @property
    def history_(self):
        """pandas.DataFrame: training metrics, one row per iteration."""
        check_is_fitted(self)
        return self._history.to_frame()

    def predict_proba(self, X):
        """Return class probabilities for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in ``classes_`` order; rows sum to one.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        # Zero biases when fit_intercept=False: adding them changes nothing.
        return _network.predict_proba(X, self.coefs_, self.intercepts_, self.loss)

    def predict_log_proba(self, X):
        """Return the logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in ``classes_`` order.
        """
        check_is_fitted(self)
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """Return the most probable class for each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, taken from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
