"""The network specification: what the weights compute, fixed once per fit.

A :class:`NetworkSpec` says which function the hidden units apply, which the
outputs apply, which loss training minimises, whether the units have biases,
whether the targets are multilabel and how many outputs there are. The
estimator makes one from its parameters and the targets when it draws the
weights; the training loop, the passes over rows, the compiled kernels,
prediction, ONNX export and the checks of a warm start all read that one
object instead of loose flags.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class NetworkSpec:
    """The two-layer network and its training objective, apart from the weights.

    Parameters
    ----------
    activation : {"logistic", "tanh", "relu"}
        The hidden units' function.

    output : {"softmax", "sigmoid"}
        The output units' function.

    loss : {"log_loss", "squared_error"}
        The loss averaged over rows.

    fit_intercept : bool
        Whether the hidden and output units add biases.

    multilabel : bool
        Whether each output is a label of its own (an indicator target).

    hidden_size : int
        Number of hidden units.

    n_outputs : int
        Number of output units, one per class or label.
    """

    activation: str
    output: str
    loss: str
    fit_intercept: bool
    multilabel: bool
    hidden_size: int
    n_outputs: int

    @classmethod
    def of(cls, params, *, multilabel, n_outputs):
        """The specification of an estimator's parameters for such targets.

        ``params`` maps the estimator's parameter names to values
        (``get_params()``). Softmax outputs go with the log loss of one label
        per row; sigmoid outputs with the squared error and with multilabel
        targets.
        """
        softmax = params["loss"] == "log_loss" and not multilabel
        return cls(
            activation=params["activation"],
            output="softmax" if softmax else "sigmoid",
            loss=params["loss"],
            fit_intercept=params["fit_intercept"],
            multilabel=multilabel,
            hidden_size=params["hidden_size"],
            n_outputs=n_outputs,
        )

    @property
    def normalised(self):
        """Whether probabilities are the sigmoid outputs divided by their sum.

        Sigmoid outputs of one label per row do not sum to one; those of a
        multilabel problem are each label's probability as they are.
        """
        return self.output == "sigmoid" and not self.multilabel

    def differences(self, other):
        """The names of the estimator parameters on which two specs differ."""
        names = ("hidden_size", "activation", "loss", "fit_intercept")
        return [name for name in names if getattr(self, name) != getattr(other, name)]
