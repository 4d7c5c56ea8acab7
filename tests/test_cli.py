"""The sklearn-backprop command line: fit, grid and predict, and bad input."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris

import sklearn_backprop
from sklearn_backprop import _cli
from sklearn_backprop._cli import main

TUTORIAL_ARGS = (
    "fit --hidden-size 2 --learning-rate 0.1 --max-iter 5000 --loss squared_error "
    "--no-intercept --init-scale 0.5 --no-tol --no-scale --test-size 20 "
    "--random-state 10 --split-random-state 4"
).split()


@pytest.fixture
def flowers(tmp_path):
    """Iris as a CSV file with a string target column, and rows to predict."""
    iris = load_iris(as_frame=True)
    table = iris.data.copy()
    table["species"] = iris.target_names[iris.target]
    path = tmp_path / "flowers.csv"
    table.to_csv(path, index=False)
    new = tmp_path / "new.csv"
    table.drop(columns="species").iloc[[0, 60, 120]].to_csv(new, index=False)
    return path, new


def metrics_table(out):
    return dict(line.rsplit(maxsplit=1) for line in out.splitlines()[:4])


def run_error(argv, capsys):
    """Run a command that must fail; return its one line of stderr."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_fit_on_iris_prints_a_metrics_table(capsys):
    assert main(["fit"]) == 0
    table = metrics_table(capsys.readouterr().out)
    assert float(table["train accuracy"]) > 0.95
    assert float(table["test accuracy"]) > 0.9
    assert int(table["iterations"]) > 0


def test_fit_reproduces_the_tutorial(tmp_path, capsys):
    assert main([*TUTORIAL_ARGS, "--output-dir", str(tmp_path)]) == 0
    assert "test accuracy       0.8000" in capsys.readouterr().out
    history = pd.read_csv(tmp_path / "history.csv", index_col="iteration")
    assert list(history.columns) == ["mse", "accuracy", "time"]
    assert len(history) == 5000
    assert_allclose(history["mse"].iloc[0], 0.1391001853580335, rtol=1e-12)


def test_fit_csv_writes_history_plot_and_model(flowers, tmp_path, capsys):
    data, _ = flowers
    out = tmp_path / "out"
    assert (
        main(["fit", str(data), "--target", "species", "--output-dir", str(out)]) == 0
    )
    assert float(metrics_table(capsys.readouterr().out)["test accuracy"]) > 0.9
    history = pd.read_csv(out / "history.csv", index_col="iteration")
    assert {"loss", "mse", "accuracy", "time"} <= set(history.columns)
    assert (out / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = _cli.load_model(out / "model.skops")
    assert list(model.classes_) == ["setosa", "versicolor", "virginica"]


def test_fit_never_overwrites_without_force(flowers, tmp_path, capsys):
    data, _ = flowers
    argv = ["fit", str(data), "--target", "species", "--output-dir", str(tmp_path)]
    assert main(argv) == 0
    before = (tmp_path / "model.skops").read_bytes()
    err = run_error(argv + ["--max-iter", "3"], capsys)
    assert "already exist; use --force to overwrite" in err
    assert (tmp_path / "model.skops").read_bytes() == before
    assert main(argv + ["--max-iter", "3", "--force"]) == 0
    assert len(pd.read_csv(tmp_path / "history.csv")) == 3


def test_predict_writes_one_prediction_per_row(flowers, tmp_path, capsys):
    data, new = flowers
    out = tmp_path / "out"
    assert (
        main(["fit", str(data), "--target", "species", "--output-dir", str(out)]) == 0
    )
    capsys.readouterr()
    assert main(["predict", str(out / "model.skops"), str(new)]) == 0
    lines = capsys.readouterr().out.split()
    assert lines == ["prediction", "setosa", "versicolor", "virginica"]

    labels = tmp_path / "labels.csv"
    argv = ["predict", str(out / "model.skops"), str(new), "--output", str(labels)]
    assert main(argv) == 0
    assert list(pd.read_csv(labels)["prediction"]) == [
        "setosa",
        "versicolor",
        "virginica",
    ]
    assert "use --force" in run_error(argv, capsys)


def test_predict_ignores_extra_columns_such_as_the_target(flowers, tmp_path, capsys):
    data, _ = flowers
    out = tmp_path / "out"
    main(["fit", str(data), "--target", "species", "--output-dir", str(out)])
    capsys.readouterr()
    assert main(["predict", str(out / "model.skops"), str(data)]) == 0
    assert len(capsys.readouterr().out.split()) == 151


def test_grid_ranks_the_pairs_and_writes_csv_and_heatmap(flowers, tmp_path, capsys):
    data, _ = flowers
    argv = ["grid", str(data), "--target", "species", "--hidden-size", "2", "8"]
    argv += ["--learning-rate", "0.3", "1", "--cv", "3", "--max-iter", "200"]
    assert main(argv + ["--output-dir", str(tmp_path), "--n-jobs", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "rank",
        "hidden_size",
        "learning_rate",
        "mean_accuracy",
        "std_accuracy",
    ]
    assert len(out) == 1 + 4 + 1
    results = pd.read_csv(tmp_path / "grid.csv")
    assert sorted(zip(results.hidden_size, results.learning_rate)) == [
        (2, 0.3),
        (2, 1.0),
        (8, 0.3),
        (8, 1.0),
    ]
    assert results["rank"].iloc[0] == 1
    assert (tmp_path / "grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("command", ["fit", "grid", "predict"])
def test_each_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert (
        f"sklearn-backprop {command}" in capsys.readouterr().out.split("examples:")[1]
    )


def test_missing_data_file(tmp_path, capsys):
    err = run_error(["fit", str(tmp_path / "nope.csv"), "--target", "y"], capsys)
    assert err.endswith(f"no such file: {tmp_path / 'nope.csv'}")


def test_missing_target_column(flowers, capsys):
    data, _ = flowers
    err = run_error(["fit", str(data), "--target", "colour"], capsys)
    assert "has no column 'colour'; its columns are sepal length (cm)" in err


def test_data_without_target_option(flowers, capsys):
    assert "give the column to predict with --target" in run_error(
        ["grid", str(flowers[0]), "--hidden-size", "2", "--learning-rate", "1"], capsys
    )


def test_non_numeric_feature_columns(tmp_path, capsys):
    path = tmp_path / "mixed.csv"
    pd.DataFrame(
        {"colour": ["red", "blue"] * 10, "size": np.arange(20.0), "y": [0, 1] * 10}
    ).to_csv(path, index=False)
    err = run_error(["fit", str(path), "--target", "y"], capsys)
    assert "must be numeric; not numeric: colour" in err


class Foreign:
    """A type that no model file of ours contains."""


def test_model_file_that_is_not_ours(flowers, tmp_path, capsys):
    import skops.io

    not_skops = tmp_path / "notes.skops"
    not_skops.write_text("not a model")
    err = run_error(["predict", str(not_skops), str(flowers[1])], capsys)
    assert "is not a model file written by fit" in err

    foreign = tmp_path / "foreign.skops"
    skops.io.dump({"payload": Foreign()}, foreign)
    err = run_error(["predict", str(foreign), str(flowers[1])], capsys)
    assert "is not a model file written by fit: it holds the types" in err
    assert "Foreign" in err


def test_unknown_option_is_one_line_with_status_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--hidden-layers", "3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "sklearn-backprop: error: unrecognized arguments: --hidden-layers"


def test_invalid_hyper_parameter_is_one_line(capsys):
    err = run_error(["fit", "--hidden-size", "0"], capsys)
    assert err.startswith("sklearn-backprop fit: error: The 'hidden_size' parameter")


def test_progress_bar_only_on_a_terminal(monkeypatch):
    clf = sklearn_backprop.BackpropClassifier()
    assert not hasattr(_cli.with_progress_bar(clf), "_skl_callbacks")
    pytest.importorskip("sklearn.callback")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert len(_cli.with_progress_bar(clf)._skl_callbacks) == 1


def test_console_script_runs_from_a_pipe():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_backprop", "fit", "--max-iter", "20"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "━" not in result.stdout + result.stderr  # no progress bar when piped
    assert "test accuracy" in result.stdout
