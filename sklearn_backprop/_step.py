"""One full-batch gradient step, with every intermediate named.

:func:`backprop_step` runs the forward pass, the backward pass and the update
of an estimator's network once, on all rows, with the package's own formulas
(:mod:`._network`), and returns what the tutorial computes by hand as a
:class:`BackpropStep`.
"""

import html
from dataclasses import dataclass

import numpy as np

from . import _blockwise, _network
from ._array_api import copy as copy_array
from ._array_api import to_numpy
from ._inspection import network_of
from ._spec import NetworkSpec
from ._training import history_row

# (name, what it is), in the order of the computation; the summaries show them
# in this order. None-valued ones (the biases' without intercepts) are skipped.
_QUANTITIES = [
    ("W1", "input-to-hidden weights before the step"),
    ("b1", "hidden biases before the step"),
    ("W2", "hidden-to-output weights before the step"),
    ("b2", "output biases before the step"),
    ("Y", "targets: one-hot rows or label indicators"),
    ("Z1", "hidden pre-activations X W1 + b1"),
    ("A1", "hidden activations f(Z1), H"),
    ("Z2", "output pre-activations A1 W2 + b2"),
    ("A2", "outputs, P"),
    ("E2", "output residuals A2 - Y"),
    ("D2", "output errors"),
    ("E1", "errors sent back to the hidden layer, D2 W2^T"),
    ("D1", "hidden errors E1 * f'"),
    ("dW1", "gradient of the loss in W1"),
    ("db1", "gradient of the loss in b1"),
    ("dW2", "gradient of the loss in W2"),
    ("db2", "gradient of the loss in b2"),
    ("update_W1", "learning_rate * dW1"),
    ("update_b1", "learning_rate * db1"),
    ("update_W2", "learning_rate * dW2"),
    ("update_b2", "learning_rate * db2"),
    ("new_W1", "W1 - update_W1"),
    ("new_b1", "b1 - update_b1"),
    ("new_W2", "W2 - update_W2"),
    ("new_b2", "b2 - update_b2"),
]


@dataclass(frozen=True, repr=False)
class BackpropStep:
    """Every quantity of one full-batch gradient step, by name.

    Made by :func:`backprop_step`, which lists the names and what they hold,
    and how they map to the tutorial's. Arrays are in the library of the
    estimator's weights; the biases' quantities are None for a network
    without intercepts. ``str()`` gives one line per quantity with its shape
    and norm; in a notebook, the same table shows as HTML.

    Attributes
    ----------
    spec : NetworkSpec
        The network the step was taken in.

    loss : float
        The training loss before the step, penalty included: the ``loss``
        of the history row ``partial_fit`` would record.

    N : float
        What the summed gradients were divided by: ``n * k`` for the squared
        error, ``n`` for the log loss (with ``sample_weight``, ``n`` is their
        sum).

    learning_rate : float
        The step size.

    alpha : float
        The L2 penalty of the weights.
    """

    spec: NetworkSpec
    loss: float
    N: float
    learning_rate: float
    alpha: float
    W1: object
    b1: object
    W2: object
    b2: object
    Y: object
    Z1: object
    A1: object
    Z2: object
    A2: object
    E2: object
    D2: object
    E1: object
    D1: object
    dW1: object
    db1: object
    dW2: object
    db2: object
    update_W1: object
    update_b1: object
    update_W2: object
    update_b2: object
    new_W1: object
    new_b1: object
    new_W2: object
    new_b2: object

    @property
    def names(self):
        """The names of the arrays this step holds, in the order computed."""
        return [name for name, _ in _QUANTITIES if getattr(self, name) is not None]

    def summary(self):
        """One row per array: name, shape, Frobenius norm and meaning.

        Returns
        -------
        rows : list of tuple
            ``(name, shape, norm, meaning)``.
        """
        meanings = dict(_QUANTITIES)
        rows = []
        for name in self.names:
            value = to_numpy(getattr(self, name))
            norm = float(np.linalg.norm(np.asarray(value, dtype=np.float64)))
            rows.append((name, tuple(value.shape), norm, meanings[name]))
        return rows

    def _header(self):
        spec, penalty = self.spec, f", alpha {self.alpha:g}" if self.alpha else ""
        return [
            f"One gradient step: {spec.activation} hidden units, {spec.output} "
            f"outputs, {spec.loss}",
            f"loss before the step {self.loss:.6g}, N {self.N:g}, "
            f"learning_rate {self.learning_rate:g}{penalty}",
        ]

    def __str__(self):
        rows = self.summary()
        shapes = [" x ".join(map(str, shape)) for _, shape, _, _ in rows]
        name_width = max(len(name) for name, *_ in rows)
        shape_width = max(len(text) for text in shapes)
        lines = self._header()
        for (name, _, norm, meaning), shape in zip(rows, shapes):
            lines.append(
                f"  {name:<{name_width}}  {shape:>{shape_width}}  "
                f"norm {norm:<11.5g} {meaning}"
            )
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        cells = "".join(
            f"<tr><td><code>{name}</code></td>"
            f"<td>{' &times; '.join(map(str, shape))}</td>"
            f"<td>{norm:.5g}</td><td>{html.escape(meaning)}</td></tr>"
            for name, shape, norm, meaning in self.summary()
        )
        return (
            f"<p>{'<br>'.join(map(html.escape, self._header()))}</p>"
            "<table><thead><tr><th>name</th><th>shape</th><th>norm</th>"
            f"<th>meaning</th></tr></thead><tbody>{cells}</tbody></table>"
        )


def backprop_step(estimator, X, y, *, sample_weight=None, random_state=None):
    """Run one full-batch gradient step of an estimator's network, every
    intermediate named.

    The step starts from the fitted weights of ``estimator``, or, for an
    unfitted one, from the weights ``fit`` would draw. It is plain gradient
    descent on all rows, ``W - learning_rate * dW``, whatever the estimator's
    ``solver`` and ``momentum``, with its ``activation``, ``loss``,
    ``fit_intercept``, ``alpha``, ``learning_rate`` and ``class_weight``; the
    estimator is left unchanged. Each quantity is computed by the package's
    own formulas (``sklearn_backprop._network``), those training runs.

    Parameters
    ----------
    estimator : BackpropClassifier
        The network, fitted or not.

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows of the step.

    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        Their class labels, or a label indicator matrix; for a fitted
        estimator, labels of ``classes_``.

    sample_weight : array-like of shape (n_samples,), default=None
        Row weights, as in ``fit``.

    random_state : int, RandomState instance or None, default=None
        Draws the initial weights of an unfitted estimator instead of its own
        ``random_state``. Refused for a fitted estimator, whose weights are
        given.

    Returns
    -------
    step : BackpropStep
        The quantities below, and ``loss`` (before the step), ``N``,
        ``learning_rate`` and ``alpha``.

    See Also
    --------
    check_gradients : The gradients of the step against finite differences.

    Notes
    -----
    Names follow the layers, as in the user guide: ``1`` is the hidden layer,
    ``2`` the output layer.

    ================  ===========================  =====================
    name              what it holds                the tutorial's name
    ================  ===========================  =====================
    ``Z1``            ``X W1 + b1``                ``Z1``
    ``A1``            ``f(Z1)``, the guide's H     ``A1``
    ``Z2``            ``A1 W2 + b2``               ``Z2``
    ``A2``            outputs, the guide's P       ``A2``
    ``E2``            ``A2 - Y``                   ``E1``
    ``D2``            output errors                ``dW1``
    ``E1``            ``D2 W2^T``                  ``E2``
    ``D1``            hidden errors ``E1 * f'``    ``dW2``
    ``dW1``           ``X^T D1 / N + alpha W1``    ``W1_update``
    ``dW2``           ``A1^T D2 / N + alpha W2``   ``W2_update``
    ``db1``, ``db2``  column sums of D1, D2 / N    (no biases)
    ``update_W1``     ``learning_rate * dW1``      ``learning_rate * W1_update``
    ``new_W1``        ``W1 - update_W1``           ``W1`` after the step
    ================  ===========================  =====================

    The tutorial names its errors in the order it computes them, so that its
    ``E1`` and ``dW1`` belong to the output layer and its ``dW1`` and
    ``W1_update`` are no gradients of ``W1``. ``D2`` is ``E2 * A2 * (1 -
    A2)`` for the squared error and ``E2`` for the log loss (each row
    times its weight with ``sample_weight``).

    ``new_W1`` and ``new_W2`` are the weights of one ``partial_fit`` call with
    ``solver="sgd"``, ``momentum=0`` and ``batch_size=None``, to the last bit
    where training runs these formulas on one block of rows: for the squared
    error, and for up to ``_blockwise.block_rows(hidden_size)`` rows. For the
    log loss, training runs compiled twins of these formulas whose
    exponential may differ in the last bit.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_backprop import BackpropClassifier, backprop_step
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = BackpropClassifier(hidden_size=2, loss="squared_error",
    ...                          fit_intercept=False, init_scale=0.5)
    >>> step = backprop_step(clf, X, y, random_state=10)
    >>> step.names[:4]
    ['W1', 'W2', 'Y', 'Z1']
    >>> step.D1.shape, step.dW1.shape
    ((150, 2), (4, 2))
    >>> bool((step.new_W1 == step.W1 - step.update_W1).all())
    True
    """
    network = network_of(
        estimator,
        X,
        y,
        sample_weight=sample_weight,
        random_state=random_state,
        caller="backprop_step",
    )
    spec, rows = network.spec, network.rows
    W1, W2 = network.coefs
    b1, b2 = _network.biases(network.intercepts, spec)
    X, Y, weights = rows

    # The forward pass as _network.forward runs it, keeping the pre-activations:
    # output_logits is the affine map Z = A W + b of either layer.
    Z1 = _network.output_logits(X, W1, b1)
    A1 = _network.ACTIVATIONS[spec.activation](copy_array(Z1))
    Z2 = _network.output_logits(A1, W2, b2)
    A2 = _network.OUTPUT_ACTIVATIONS[spec.output](copy_array(Z2))

    # The backward pass.
    E2 = A2 - Y
    D2 = _network.output_errors(Y, A2, spec.loss, weights)
    E1 = D2 @ W2.T
    D1 = _network.hidden_errors(D2, W2, A1, spec.activation)
    coef_sums, intercept_sums = _network.gradient_sums(
        X, A1, D1, D2, spec.fit_intercept
    )

    # The gradients of the mean loss and the penalty, as training divides them.
    alpha, rate = network.alpha, estimator.learning_rate
    params, sums, alphas = [W1, W2], coef_sums, [alpha, alpha]
    if spec.fit_intercept:
        params, sums = params + [b1, b2], sums + intercept_sums
        alphas += [0.0, 0.0]
    N = _network.normaliser(
        spec.loss, _network.weight_total(A2, weights), spec.n_outputs
    )
    grads = _network.mean_gradients(params, sums, N, alphas)
    updates = [rate * grad for grad in grads]
    new_params = [param - update for param, update in zip(params, updates)]

    # The loss as the history records it: the metric sums of a pass, then the
    # penalty.
    totals = _blockwise.pass_totals(
        rows, network.coefs, network.intercepts, spec, gradients=False
    )
    loss = float(history_row(totals, spec)["loss"]) + _network.l2_penalty(
        [W1, W2], alpha
    )

    def biases_of(values):
        # Weights first, then biases where the network has them.
        return values[2:] if spec.fit_intercept else [None, None]

    dW1, dW2 = grads[:2]
    db1, db2 = biases_of(grads)
    update_b1, update_b2 = biases_of(updates)
    new_b1, new_b2 = biases_of(new_params)
    return BackpropStep(
        spec=spec,
        loss=loss,
        N=float(N),
        learning_rate=rate,
        alpha=alpha,
        W1=W1,
        b1=b1,
        W2=W2,
        b2=b2,
        Y=Y,
        Z1=Z1,
        A1=A1,
        Z2=Z2,
        A2=A2,
        E2=E2,
        D2=D2,
        E1=E1,
        D1=D1,
        dW1=dW1,
        db1=db1,
        dW2=dW2,
        db2=db2,
        update_W1=updates[0],
        update_b1=update_b1,
        update_W2=updates[1],
        update_b2=update_b2,
        new_W1=new_params[0],
        new_b1=new_b1,
        new_W2=new_params[1],
        new_b2=new_b2,
    )
