"""The sklearn-backprop command line."""

import subprocess
import sys

import pandas as pd
import pytest

from sklearn_backprop._cli import main

TUTORIAL_ARGS = (
    "fit --hidden-size 2 --learning-rate 0.1 --max-iter 5000 --loss squared_error "
    "--no-intercept --init-scale 0.5 --no-tol --no-scale --test-size 20 "
    "--random-state 10 --split-random-state 4"
).split()


def test_fit_on_iris_prints_train_and_test_accuracy(capsys):
    assert main(["fit"]) == 0
    out = capsys.readouterr().out
    lines = dict(line.rsplit(maxsplit=1) for line in out.splitlines())
    assert float(lines["train accuracy"]) > 0.95
    assert float(lines["test accuracy"]) > 0.9


def test_fit_reproduces_the_tutorial_and_writes_its_history(tmp_path, capsys):
    assert main([*TUTORIAL_ARGS, "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "test accuracy       0.8000" in out
    history = pd.read_csv(tmp_path / "history.csv", index_col="iteration")
    assert list(history.columns) == ["mse", "accuracy", "time"]
    assert len(history) == 5000
    assert history["mse"].iloc[0] == 0.1391001853580335
    assert (tmp_path / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_help_lists_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--help"])
    assert exit_info.value.code == 0
    assert "examples:" in capsys.readouterr().out


def test_unknown_option_exits_with_status_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--hidden-layers", "3"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --hidden-layers" in capsys.readouterr().err


def test_invalid_hyper_parameter_is_one_line_on_stderr(capsys):
    assert main(["fit", "--hidden-size", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sklearn-backprop: error: The 'hidden_size' parameter")
    assert len(err.strip().splitlines()) == 1


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_backprop", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == __import__("sklearn_backprop").__version__
