"""What the terminal shows besides results: notes, warnings, the progress bar.

Notes and warnings are one line each on stderr, warnings in the command
line's terms (``--max-iter 5``, not ``max_iter=5``); on a terminal, training
shows scikit-learn's progress bar.
"""

import re
import sys
import warnings
from contextlib import contextmanager

from sklearn.exceptions import ConvergenceWarning

from .._messages import first_line
from .._training import TrainingInterrupted


def note(message):
    """Tell the user, on stderr, something done that they did not ask for."""
    print(f"note: {message}", file=sys.stderr)


def with_progress_bar(estimator, depth=1):
    """Show scikit-learn's progress bar on a terminal, where it is available.

    Callbacks go on the outermost estimator, which passes them on to those it
    fits (scikit-learn refuses callbacks set on an inner estimator); ``depth``
    is how many levels of nested fits get a bar of their own.
    """
    if not sys.stdout.isatty():
        return estimator
    try:
        from sklearn.callback import ProgressBar

        return estimator.set_callbacks(ProgressBar(max_propagation_depth=depth))
    except ImportError:  # scikit-learn < 1.9, or rich missing
        return estimator


@contextmanager
def progress_shown(estimator, depth=1):
    """Show the progress bar while the block fits ``estimator``, then remove it,
    so that the saved model holds no callback."""
    with_progress_bar(estimator, depth)
    try:
        yield estimator
    finally:
        if hasattr(estimator, "_skl_callbacks"):
            estimator.set_callbacks()


# Estimator parameter names that warnings and errors mention, as the command
# line spells them.
_OPTIONS = {
    name: "--" + name.replace("_", "-")
    for name in (
        "max_iter",
        "tol",
        "learning_rate",
        "hidden_size",
        "batch_size",
        "early_stopping",
        "validation_fraction",
    )
}
# Advice in warnings and errors that the command line follows otherwise: it
# has no X_val and y_val to give.
_ADVICE = {
    "increase max_iter or tol": "raise --max-iter",
    "early_stopping=True": "--early-stopping",
    "give X_val and y_val": "run without --early-stopping",
    "Give X_val and y_val": "Run without --early-stopping",
}


def in_command_line_terms(message):
    """Rewrite a warning or error in the options' names: ``max_iter=5`` as
    ``--max-iter 5``, and its advice as the command line can follow it."""
    for advice, instead in _ADVICE.items():
        message = message.replace(advice, instead)
    for name, option in _OPTIONS.items():
        # The name alone or as name=value, not inside a longer word or option.
        pattern = rf"(?<![\w-]){name}\b(?:=(\S+?)(?=[\s,;)]|$))?"
        message = re.sub(
            pattern,
            lambda match, option=option: option + (f" {match[1]}" if match[1] else ""),
            message,
        )
    return message


class TrainingReport:
    """What happened during training besides the result: warnings and Ctrl-C.

    Use :meth:`watch` around training: warnings print as one line each,
    ``warning: ...`` on stderr, repeated ones once; Ctrl-C, which the estimator
    turns into a TrainingInterrupted warning after the current iteration, sets
    :attr:`interrupted` instead, or with ``stop_on_ctrl_c`` stops at once.
    """

    def __init__(self, stop_on_ctrl_c=False):
        self.stop_on_ctrl_c = stop_on_ctrl_c
        self.interrupted = False
        self.shown = set()

    @contextmanager
    def watch(self):
        with warnings.catch_warnings():
            warnings.simplefilter("always", ConvergenceWarning)
            warnings.simplefilter("always", TrainingInterrupted)
            # The preparation's transformers take no callbacks: the progress
            # bar is on the classifier all the same.
            warnings.filterwarnings("ignore", message=".* does not support callbacks")
            warnings.showwarning = self.show
            yield self

    def show(self, message, category, filename, lineno, file=None, line=None):
        if issubclass(category, TrainingInterrupted):
            if self.stop_on_ctrl_c:
                raise KeyboardInterrupt
            self.interrupted = True
            return
        text = in_command_line_terms(first_line(message))
        if text not in self.shown:
            self.shown.add(text)
            print(f"warning: {text}", file=sys.stderr)
