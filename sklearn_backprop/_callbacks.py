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

    data : ._fit_data.FitData
        The training data, passed on to the callbacks; the labels are only
        made when a callback asks for them.

    max_epochs : int
        The largest number of epochs this fit may run.

    fitted_attributes : callable
        Returns the fitted attributes of the training so far, with which a
        callback can rebuild the estimator at any epoch.
    """

    def __init__(self, estimator, data, max_epochs, fitted_attributes):
        self.estimator = estimator
        self.fitted_attributes = fitted_attributes
        self.active = hasattr(estimator, "_skl_callbacks") or hasattr(
            estimator, "_parent_callback_ctx"
        )
        if not self.active:
            return
        weights = data.train.sample_weight
        self.data = dict(
            X=data.train.X,
            y=data.labels,
            metadata=None if weights is None else {"sample_weight": weights},
        )
        self.max_epochs = max_epochs
        self.context = self.epoch_context = None

    def begin(self):
        """Report the start of fit."""
        if not self.active:
            return
        self.context = self.estimator._init_callback_context(
            max_subtasks=self.max_epochs
        )
        self.context.call_on_fit_task_begin(estimator=self.estimator, **self.data)

    def begin_epoch(self):
        """Report the start of an epoch."""
        if not self.active:
            return
        self.epoch_context = self.context.subcontext(task_name="epoch")
        self.epoch_context.call_on_fit_task_begin(
            estimator=self.estimator,
            reconstruction_attributes=self.fitted_attributes,
            **self.data,
        )

    def end_epoch(self):
        """Report the end of an epoch; return True when a callback asks to stop."""
        if not self.active:
            return False
        return self.epoch_context.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=self.fitted_attributes,
            **self.data,
        )

    def end(self):
        """Report the end of fit."""
        if self.active:
            self.context.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes=self.fitted_attributes,
                **self.data,
            )
