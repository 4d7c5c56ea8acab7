"""Reporting training progress to scikit-learn's callbacks (scikit-learn >= 1.9).

With an older scikit-learn, ``CallbackSupportMixin`` is an empty stand-in, no
callbacks can be set, and :class:`FitTask` does nothing.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9 has no callback API.

    class CallbackSupportMixin:
        """Stand-in for scikit-learn's mixin where the callback API is missing."""


class FitTask:
    """One call to fit, reported as a task with one subtask per epoch.

    Callbacks are only involved when the estimator has some, set directly or
    propagated by a meta-estimator; otherwise every method returns at once, so
    that training without callbacks pays nothing for them.

    Parameters
    ----------
    estimator : BackpropClassifier
        The estimator being fitted.

    X, y, sample_weight : arrays, or callables that return them
        The training data, passed on to the callbacks; a callable is only
        called when a callback asks for that argument.

    max_epochs : int
        The largest number of epochs this fit may run.
    """

    def __init__(self, estimator, X, y, sample_weight, max_epochs):
        self.estimator = estimator
        self.active = hasattr(estimator, "_skl_callbacks") or hasattr(
            estimator, "_parent_callback_ctx"
        )
        if not self.active:
            return
        self.data = dict(
            X=X,
            y=y,
            metadata=None
            if sample_weight is None
            else {"sample_weight": sample_weight},
        )
        self.context = estimator._init_callback_context(max_subtasks=max_epochs)
        self.context.call_on_fit_task_begin(estimator=estimator, **self.data)
        self.epoch_context = None

    def begin_epoch(self, fitted_attributes):
        """Report the start of an epoch; ``fitted_attributes`` is a callable."""
        if not self.active:
            return
        self.epoch_context = self.context.subcontext(task_name="epoch")
        self.epoch_context.call_on_fit_task_begin(
            estimator=self.estimator,
            reconstruction_attributes=fitted_attributes,
            **self.data,
        )

    def end_epoch(self, fitted_attributes):
        """Report the end of an epoch; return True when a callback asks to stop."""
        if not self.active:
            return False
        return self.epoch_context.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=fitted_attributes,
            **self.data,
        )

    def end(self, fitted_attributes):
        """Report the end of fit."""
        if self.active:
            self.context.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes=fitted_attributes,
                **self.data,
            )
