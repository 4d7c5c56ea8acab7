"""The ``sklearn-backprop`` command line: a thin layer over the public API.

Each subcommand reads a CSV file (``_tables``), fits or applies a Pipeline of
the preparation and a :class:`BackpropClassifier`, and writes its outputs; model
files go through ``_model_files``, which loads only the types ``fit`` writes.
What the user sees follows a few rules: results on stdout; notices, warnings
and errors as single lines on stderr; exit status 2 for bad input, 130 for
Ctrl-C and, quietly, 141 when the reader of stdout closed it early (``| head``);
on a terminal, scikit-learn's progress bar.
"""

import os
import sys

from .._messages import first_line
from .._tables import TableError
from ._commands import INTERRUPTED, run_fit, run_grid, run_predict
from ._export import run_export
from ._files import CommandError, describe_os_error
from ._parser import build_parser

__all__ = ["main"]

# The exit status of a program whose output pipe closed (128 + SIGPIPE), as
# shells report for one that the signal ended.
BROKEN_PIPE = 141

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
        0 on success, 2 for bad input, 130 when Ctrl-C ended the command,
        141 when the reader of stdout closed it before the end.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    prefix = f"{parser.prog} {args.command}"
    try:
        status = COMMANDS[args.command](args)
        # Output still buffered would otherwise meet a closed pipe at exit.
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        return stdout_closed()
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


def stdout_closed():
    """End quietly after the reader of stdout closed it, as ``| head`` does.

    Stdout goes to the null device, so that Python's flush at exit does not
    meet the closed pipe again; the status is that of a program the pipe's
    signal (SIGPIPE) ended.
    """
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return BROKEN_PIPE
