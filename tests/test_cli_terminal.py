"""The command line in a terminal: fit, grid and predict under a pseudo-terminal.

Pipes, pytest and CI have no terminal, so these tests give the command one
(the standard library's ``pty``): that is where the progress bar and Ctrl-C
take paths of their own.
"""

import os
import pty
import select
import signal
import sys
import time

import pandas as pd
import pytest
from sklearn.datasets import load_iris

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="pseudo-terminals are POSIX"
)


def has_progress_bar():
    try:
        from sklearn.callback import ProgressBar

        ProgressBar()
    except ImportError:  # scikit-learn < 1.9 or rich missing: no progress bar
        return False
    return True


def run_in_terminal(args, cwd, *, ctrl_c_after=None, timeout=120):
    """Run ``sklearn-backprop ARGS`` with a terminal; return status and output.

    With ``ctrl_c_after``, type Ctrl-C once that text has appeared on the
    terminal, as a user would.
    """
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="100", LINES="40")
    pid, fd = pty.fork()
    if pid == 0:  # the child: its terminal is the pty
        try:
            os.chdir(cwd)
            argv = [sys.executable, "-m", "sklearn_backprop", *args]
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    output, typed = b"", False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its terminal
                break
            if not chunk:
                break
            output += chunk
            if ctrl_c_after is not None and not typed and ctrl_c_after in output:
                os.write(fd, b"\x03")  # the terminal turns it into SIGINT
                typed = True
        else:
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"no exit within {timeout} s: {output[-2000:]!r}")
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


@pytest.fixture(scope="module")
def flowers_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("terminal")
    iris = load_iris(as_frame=True)
    table = iris.data.copy()
    table["colour"] = ["pale", "dark"] * 75
    table.loc[::17, "petal width (cm)"] = None
    table["species"] = iris.target_names[iris.target]
    table.to_csv(folder / "flowers.csv", index=False)
    table.drop(columns="species").head(3).to_csv(folder / "new.csv", index=False)
    return folder


def test_fit_in_a_terminal(tmp_path):
    status, output = run_in_terminal(["fit", "--output-dir", "out"], tmp_path)
    assert status == 0, output
    assert "Traceback" not in output
    assert "test accuracy" in output
    assert (tmp_path / "out" / "model.skops").exists()
    if has_progress_bar():
        assert "BackpropClassifier - fit" in output


def test_grid_in_a_terminal_shows_one_progress_display(flowers_csv):
    argv = ["grid", "flowers.csv", "--target", "species", "--hidden-size", "2", "4"]
    argv += ["--learning-rate", "0.3", "1", "--cv", "3", "--max-iter", "50"]
    status, output = run_in_terminal(argv, flowers_csv)
    assert status == 0, output
    assert "Traceback" not in output
    assert "mean_accuracy" in output
    if has_progress_bar():
        # The search's own bar, and none for each of its 13 fits.
        assert "GridSearchCV - fit" in output
        assert "BackpropClassifier" not in output


def test_predict_in_a_terminal(flowers_csv):
    argv = ["fit", "flowers.csv", "--target", "species", "--output-dir", "model"]
    status, output = run_in_terminal(argv + ["--force"], flowers_csv)
    assert status == 0, output
    argv = ["predict", "model/model.skops", "new.csv"]
    status, output = run_in_terminal(argv, flowers_csv)
    assert status == 0, output
    lines = output.splitlines()
    assert lines[0] == "note: filled 1 missing values of new.csv as in training"
    assert [line.strip() for line in lines[1:]] == ["prediction"] + ["setosa"] * 3


@pytest.mark.skipif(not has_progress_bar(), reason="needs the progress bar")
def test_ctrl_c_in_a_terminal_keeps_the_model(tmp_path):
    argv = ["fit", "--max-iter", "100000000", "--no-tol", "--output-dir", "out"]
    # The progress bar shows once training has started.
    status, output = run_in_terminal(
        argv, tmp_path, ctrl_c_after=b"BackpropClassifier - fit"
    )
    assert status == 130, output
    assert "Traceback" not in output
    assert "interrupted: Ctrl-C ended training after" in output
    history = pd.read_csv(tmp_path / "out" / "history.csv")
    assert 0 < len(history) < 100000000
    assert (tmp_path / "out" / "model.skops").exists()
