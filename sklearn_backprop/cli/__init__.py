"""The ``sklearn-backprop`` command line: a thin layer over the public API.

Each subcommand reads a CSV file (``_tables``), fits or applies a Pipeline of
the preparation and a :class:`BackpropClassifier`, and writes its outputs; model
files go through ``_model_files``, which loads only the types ``fit`` writes.
What the user sees follows a few rules: results on stdout; notices, warnings
and errors as single lines on stderr; exit status 2 for bad input and 130 for
Ctrl-C; on a terminal, scikit-learn's progress bar.
"""

import sys

from .._messages import first_line
from .._tables import TableError
from ._commands import INTERRUPTED, run_fit, run_grid, run_predict
from ._export import run_export
from ._files import CommandError
from ._parser import build_parser

__all__ = ["main"]

COMMANDS = {
    "fit": run_fit,
    "grid": run_grid,
    "predict": run_predict,
    "export": run_export,
}


def main(argv=None):
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program's name; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 for bad input, 130 when Ctrl-C ended the command.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    prefix = f"{parser.prog} {args.command}"
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted by Ctrl-C", file=sys.stderr)
        return INTERRUPTED
    except OSError as exc:
        print(f"{prefix}: error: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except (CommandError, TableError, ValueError, ArithmeticError) as exc:
        # Bad input: one line on stderr, no traceback.
        print(f"{prefix}: error: {first_line(exc)}", file=sys.stderr)
        return 2


def describe_os_error(exc):
    """An OSError in words, without its errno: ``PATH: permission denied``."""
    reason = (exc.strerror or type(exc).__name__).lower()
    return f"{exc.filename}: {reason}" if exc.filename else reason
