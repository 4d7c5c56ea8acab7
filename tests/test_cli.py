"""The sklearn-backprop command line: fit, grid and predict, and bad input."""

import os
import re
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris

import sklearn_backprop
from sklearn_backprop import _blockwise, _tables
from sklearn_backprop._model_files import load_model
from sklearn_backprop.cli import _terminal, main

TUTORIAL_ARGS = (
    "fit --hidden-size 2 --solver sgd --momentum 0 --batch-size full --alpha 0 "
    "--learning-rate 0.1 --max-iter 5000 --loss squared_error "
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


def usage_error(argv, capsys):
    """Parse arguments that must be refused; return the one line of stderr."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_fit_on_iris_prints_a_metrics_table(capsys):
    assert main(["fit"]) == 0
    table = metrics_table(capsys.readouterr().out)
    assert float(table["train accuracy"]) >= 0.95
    assert float(table["test accuracy"]) > 0.9
    assert int(table["iterations"]) > 0


def test_fit_reproduces_the_tutorial(tmp_path, capsys):
    assert main([*TUTORIAL_ARGS, "--output-dir", str(tmp_path)]) == 0
    assert "test accuracy       0.8000" in capsys.readouterr().out
    history = pd.read_csv(tmp_path / "history.csv", index_col="iteration")
    assert list(history.columns) == ["loss", "mse", "accuracy", "time"]
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
    model = load_model(out / "model.skops")
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
    err = run_error(["fit", "--momentum", "2"], capsys)
    assert err.startswith("sklearn-backprop fit: error: The 'momentum' parameter")


@pytest.mark.parametrize(
    "option, values, reason",
    [
        ("--hidden-size", ["0", "4"], "'0' is not a positive integer"),
        ("--hidden-size", ["2.5"], "'2.5' is not a positive integer"),
        ("--learning-rate", ["-1"], "'-1' is not a positive number"),
        ("--learning-rate", ["0.1", "0"], "'0' is not a positive number"),
        ("--learning-rate", ["inf"], "'inf' is not a positive number"),
        ("--learning-rate", ["nan"], "'nan' is not a positive number"),
        ("--max-iter", ["0"], "'0' is not a positive integer"),
    ],
)
def test_grid_refuses_values_that_cannot_train(
    option, values, reason, tmp_path, capsys
):
    out = tmp_path / "out"
    # The option's last appearance counts, as for any option.
    argv = ["grid", "--hidden-size", "4", "--learning-rate", "0.1", option, *values]
    err = usage_error([*argv, "--output-dir", str(out)], capsys)
    assert err == f"sklearn-backprop grid: error: argument {option}: {reason}"
    assert not out.exists()


@pytest.mark.parametrize(
    "option, values, repeated",
    [
        ("--hidden-size", ["4", "4"], "4"),
        ("--hidden-size", ["8", "2", "8", "2"], "2, 8"),
        ("--learning-rate", ["0.1", "0.3", "0.10"], "0.1"),
    ],
)
def test_grid_refuses_a_value_given_twice(option, values, repeated, tmp_path, capsys):
    out = tmp_path / "out"
    # The option's last appearance counts, as for any option.
    argv = ["grid", "--hidden-size", "4", "--learning-rate", "0.1", option, *values]
    err = usage_error([*argv, "--output-dir", str(out)], capsys)
    assert err == (
        f"sklearn-backprop grid: error: argument {option}: {repeated} given more "
        "than once; give each value once"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "option, value, reason",
    [
        ("--hidden-size", "0", "'0' is not a positive integer or auto"),
        ("--learning-rate", "-1", "'-1' is not a positive number"),
        ("--learning-rate", "1e400", "'1e400' is not a positive number"),
        ("--max-iter", "0", "'0' is not a positive integer"),
        ("--batch-size", "0", "'0' is not a positive integer, auto or full"),
        ("--init-scale", "0", "'0' is not a positive number or auto"),
        ("--validation-fraction", "1", "'1' is not a fraction between 0 and 1"),
        (
            "--test-size",
            "inf",
            "'inf' is neither a fraction between 0 and 1 nor a whole number of rows",
        ),
        (
            "--test-size",
            "2.5",
            "'2.5' is neither a fraction between 0 and 1 nor a whole number of rows",
        ),
    ],
)
def test_fit_refuses_numbers_out_of_range(option, value, reason, tmp_path, capsys):
    out = tmp_path / "out"
    err = usage_error(["fit", option, value, "--output-dir", str(out)], capsys)
    assert err == f"sklearn-backprop fit: error: argument {option}: {reason}"
    assert not out.exists()


def test_progress_bar_only_on_a_terminal(monkeypatch):
    clf = sklearn_backprop.BackpropClassifier()
    assert not hasattr(_terminal.with_progress_bar(clf), "_skl_callbacks")
    pytest.importorskip("sklearn.callback")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert len(_terminal.with_progress_bar(clf)._skl_callbacks) == 1


def test_console_script_runs_from_a_pipe():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_backprop", "fit", "--max-iter", "20"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "━" not in result.stdout + result.stderr  # no progress bar when piped
    assert "test accuracy" in result.stdout


# ------------------------------------------------------------ real CSV files


def penguin_table(n=150, seed=0):
    """A penguins-like table: string, boolean and numeric columns, gaps."""
    rng = np.random.RandomState(seed)
    species = rng.choice(["Adelie", "Chinstrap", "Gentoo"], n)
    centre = {
        "Adelie": (39, 18, 190),
        "Chinstrap": (49, 18, 196),
        "Gentoo": (47, 15, 217),
    }
    sizes = np.array([centre[s] for s in species]) + rng.normal(size=(n, 3))
    table = pd.DataFrame(
        {
            "species": species,
            "island": np.where(species == "Gentoo", "Biscoe", "Dream"),
            "bill_length_mm": sizes[:, 0].round(1),
            "bill_depth_mm": sizes[:, 1].round(1),
            "flipper_length_mm": sizes[:, 2].round(0),
            "sex": rng.choice(["male", "female"], n),
            "tagged": rng.choice([True, False], n),
        }
    )
    table.loc[[3, 17], "bill_length_mm"] = np.nan
    table.loc[[5, 9, 40], "sex"] = np.nan
    return table


@pytest.fixture
def penguins(tmp_path):
    path = tmp_path / "penguins.csv"
    penguin_table().to_csv(path, index=False)
    return path


def test_fit_prepares_strings_booleans_and_missing_values(penguins, capsys):
    assert main(["fit", str(penguins), "--target", "species"]) == 0
    out = capsys.readouterr().out
    assert float(metrics_table(out)["test accuracy"]) > 0.9
    assert (
        "features: 3 numeric (median-filled, standardised), 3 categorical "
        "(most-frequent-filled, one-hot); 5 missing values filled"
    ) in out


def test_model_file_holds_the_preparation(penguins, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["fit", str(penguins), "--target", "species", "--output-dir", str(out)]
    assert main(argv) == 0
    new = penguin_table(n=60, seed=1).drop(columns="species").head(6)
    new.loc[0, "island"] = "Torgersen"  # a category never seen in training
    new.loc[1, "bill_depth_mm"] = np.nan
    new_csv = tmp_path / "new.csv"
    new.to_csv(new_csv, index=False)
    capsys.readouterr()
    assert main(["predict", str(out / "model.skops"), str(new_csv)]) == 0
    captured = capsys.readouterr()
    predicted = captured.out.split()[1:]
    model = load_model(out / "model.skops")
    typed = _tables.typed_features(new, "new", numeric=model[0].transformers_[0][2])
    assert predicted == list(model.predict(typed))
    assert "filled 3 missing values" in captured.err


def test_saved_index_is_dropped_with_a_notice(tmp_path, capsys):
    # Sorted by class, the saved index would give the label away.
    table = penguin_table().sort_values("species")
    path = tmp_path / "indexed.csv"
    table.to_csv(path)
    out = tmp_path / "out"
    argv = ["fit", str(path), "--target", "species", "--output-dir", str(out)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "note: dropped column 'Unnamed: 0'" in captured.err
    assert "saved index" in captured.err
    # predict needs no index column
    new = tmp_path / "new.csv"
    table.drop(columns="species").head(4).to_csv(new, index=False)
    assert main(["predict", str(out / "model.skops"), str(new)]) == 0
    assert len(capsys.readouterr().out.split()) == 5


def test_drop_names_columns_that_are_no_features(penguins, capsys):
    argv = ["fit", str(penguins), "--target", "species", "--drop", "island", "sex"]
    assert main(argv) == 0
    assert "3 numeric (median-filled, standardised), 1 categorical" in (
        capsys.readouterr().out
    )
    err = run_error(argv[:4] + ["--drop", "colour"], capsys)
    assert err.endswith(
        f"{penguins} has no column 'colour' to --drop; its columns are species, "
        "island, bill_length_mm, bill_depth_mm, flipper_length_mm, sex, tagged"
    )
    err = run_error(argv[:4] + ["--drop", "species"], capsys)
    assert "--drop names the column to predict, 'species'" in err


def test_rows_without_a_target_are_dropped_with_a_notice(tmp_path, capsys):
    table = penguin_table()
    table.loc[[0, 7, 8], "species"] = np.nan
    path = tmp_path / "gaps.csv"
    table.to_csv(path, index=False)
    assert main(["fit", str(path), "--target", "species"]) == 0
    err = capsys.readouterr().err
    assert f"note: dropped 3 rows of {path} without a value in column 'species'" in err


@pytest.mark.parametrize("content", ["", "a,b,y\n"])
def test_file_without_rows(content, tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    err = run_error(["fit", str(path), "--target", "y"], capsys)
    assert err == f"sklearn-backprop fit: error: {path} has no rows"


def test_stray_text_in_a_numeric_column_names_column_and_row(tmp_path, capsys):
    table = penguin_table()
    table["bill_depth_mm"] = table["bill_depth_mm"].astype(object)
    table.loc[6, "bill_depth_mm"] = "deep"
    path = tmp_path / "typo.csv"
    table.to_csv(path, index=False)
    err = run_error(["fit", str(path), "--target", "species"], capsys)
    assert f"column 'bill_depth_mm' of {path} holds numbers, but row 7 " in err
    assert "'deep'" in err


def test_continuous_target_is_refused(tmp_path, capsys):
    path = tmp_path / "prices.csv"
    pd.DataFrame({"x": np.arange(20.0), "price": np.linspace(0.5, 9.7, 20)}).to_csv(
        path, index=False
    )
    err = run_error(["fit", str(path), "--target", "price"], capsys)
    assert "column 'price' of" in err and "must hold class labels" in err


def test_output_dir_that_is_a_file(penguins, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("")
    argv = ["fit", str(penguins), "--target", "species", "--output-dir", str(taken)]
    err = run_error(argv, capsys)
    assert err == f"sklearn-backprop fit: error: {taken} is a file, not a directory"


@pytest.mark.parametrize(
    "argv", [["fit"], ["grid", "--hidden-size", "2", "--learning-rate", "1"]]
)
def test_output_dir_inside_a_file_is_refused_before_training(argv, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("")
    out = taken / "out"
    assert main([*argv, "--output-dir", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"sklearn-backprop {argv[0]}: error: cannot write files into {out}: "
        "not a directory\n"
    )


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0,
    reason="root writes into read-only directories; Windows has no such mode",
)
def test_read_only_output_dir_is_refused_before_training(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert main(["fit", "--output-dir", str(locked)]) == 2
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"sklearn-backprop fit: error: cannot write files into {locked}: "
        "permission denied\n"
    )


def test_unreadable_paths_give_no_errno(tmp_path, capsys):
    err = run_error(["fit", str(tmp_path), "--target", "y"], capsys)
    assert "Errno" not in err and f"{tmp_path} is a directory" in err
    model = tmp_path / "model.skops"
    model.mkdir()
    err = run_error(["predict", str(model), str(tmp_path / "x.csv")], capsys)
    assert "Errno" not in err and str(model) in err


# ---------------------------------------------------------------- output


def test_training_warnings_are_one_line_in_option_terms(capsys):
    assert main(["fit", "--max-iter", "5"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "warning: BackpropClassifier reached --max-iter 5 before the loss stopped "
        "improving by --tol 0.0001; raise --max-iter."
    ]


def test_grid_warns_once_about_unconverged_fits(capsys):
    argv = ["grid", "--hidden-size", "2", "--learning-rate", "1", "--max-iter", "5"]
    assert main(argv + ["--cv", "3"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "warning: 3 of 3 cross-validation fits reached --max-iter 5 before the "
        "loss stopped improving; raise --max-iter"
    ]


@pytest.mark.parametrize("command", ["fit", "grid", "predict"])
def test_help_gives_every_option_a_meaning_and_a_default(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    options = capsys.readouterr().out.split("options:")[1].split("examples:")[0]
    # One entry per option: its flags, then its description.
    entries = re.split(r"\n  (?=-)", options.strip())
    assert len(entries) >= 3
    for entry in entries:
        if entry.startswith("-h, --help"):
            continue
        assert "default" in entry or "required" in entry, entry


def test_predict_output_says_what_it_wrote(flowers, tmp_path, capsys):
    data, new = flowers
    out = tmp_path / "out"
    main(["fit", str(data), "--target", "species", "--output-dir", str(out)])
    labels = tmp_path / "labels.csv"
    capsys.readouterr()
    argv = ["predict", str(out / "model.skops"), str(new), "--output", str(labels)]
    assert main(argv) == 0
    assert capsys.readouterr().out == f"wrote 3 predictions to {labels}\n"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGPIPE is POSIX")
def test_output_into_a_closed_pipe_ends_quietly(penguins, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["fit", str(penguins), "--target", "species", "--max-iter", "5"]
    assert main([*argv, "--output-dir", str(out)]) == 0
    # Far more predictions than a pipe holds: predict is still writing when
    # the reader stops, as ``| head -1`` does.
    rows = tmp_path / "rows.csv"
    table = penguin_table(n=30000, seed=1).drop(columns="species").dropna()
    table.to_csv(rows, index=False)
    command = [sys.executable, "-m", "sklearn_backprop", "predict"]
    predict = subprocess.Popen(
        [*command, str(out / "model.skops"), str(rows)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert predict.stdout.readline() == b"prediction\n"
    predict.stdout.close()
    assert predict.wait(timeout=120) == 141
    assert predict.stderr.read() == b""
    predict.stderr.close()


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_history_png_shows_the_reported_loss_and_accuracy(loss, tmp_path, monkeypatch):
    drawn = []
    original = sklearn_backprop.HistoryDisplay.from_estimator

    def record(estimator, **kwargs):
        display = original(estimator, **kwargs)
        drawn.append([ax.get_title() for ax in display.ax_])
        return display

    monkeypatch.setattr(sklearn_backprop.HistoryDisplay, "from_estimator", record)
    argv = ["fit", "--loss", loss, "--alpha", "0", "--max-iter", "20"]
    assert main(argv + ["--output-dir", str(tmp_path)]) == 0
    assert drawn == [["loss", "accuracy"]]


def ctrl_c_at_pass(monkeypatch, n):
    """Make Ctrl-C arrive during the n-th pass over the training data."""
    calls = {"n": 0}
    pass_totals = _blockwise.pass_totals

    def pass_totals_then_ctrl_c(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            signal.raise_signal(signal.SIGINT)
        return pass_totals(*args, **kwargs)

    monkeypatch.setattr(_blockwise, "pass_totals", pass_totals_then_ctrl_c)


def test_ctrl_c_during_fit_saves_what_was_trained(tmp_path, monkeypatch, capsys):
    ctrl_c_at_pass(monkeypatch, 5)
    # Full batch: one pass per iteration.
    argv = ["fit", "--max-iter", "1000", "--no-tol", "--batch-size", "full"]
    argv += ["--solver", "adam"]
    assert main(argv + ["--output-dir", str(tmp_path)]) == 130
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "interrupted: Ctrl-C ended training after 5 iterations; the model and "
        "history trained so far are written above"
    ]
    assert len(pd.read_csv(tmp_path / "history.csv")) == 5
    assert load_model(tmp_path / "model.skops")[-1].n_iter_ == 5


def test_ctrl_c_during_grid_stops_the_search(tmp_path, monkeypatch, capsys):
    ctrl_c_at_pass(monkeypatch, 5)
    argv = ["grid", "--hidden-size", "2", "4", "--learning-rate", "1"]
    assert main(argv + ["--output-dir", str(tmp_path)]) == 130
    assert capsys.readouterr().err == "sklearn-backprop grid: interrupted by Ctrl-C\n"
    assert list(tmp_path.iterdir()) == []


def test_predict_refuses_a_hostile_model_file(flowers, tmp_path, capsys):
    import skops.io
    from sklearn.datasets import dump_svmlight_file
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.utils import resample

    planted = tmp_path / "planted.txt"
    hostile = make_pipeline(
        FunctionTransformer(resample),
        FunctionTransformer(
            dump_svmlight_file, kw_args={"y": np.zeros(3), "f": str(planted)}
        ),
    )
    path = tmp_path / "model.skops"
    skops.io.dump(hostile, path)
    err = run_error(["predict", str(path), str(flowers[1])], capsys)
    assert "is not a model file written by fit: it holds the types" in err
    assert "FunctionTransformer" in err
    assert not planted.exists()


def test_training_errors_name_the_file_and_the_options(tmp_path, capsys):
    path = tmp_path / "one_class.csv"
    pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": ["a"] * 4}).to_csv(path, index=False)
    err = run_error(["fit", str(path), "--target", "y", "--test-size", "1"], capsys)
    assert err.startswith(f"sklearn-backprop fit: error: cannot train on {path}: ")
    assert "only one class: 'a'" in err
    # Advice speaks of options, not of parameters.
    assert _terminal.in_command_line_terms(
        "Use a smaller learning_rate (now 10.0); max_iter=5, tol=None."
    ) == ("Use a smaller --learning-rate (now 10.0); --max-iter 5, --tol None.")


def test_early_stopping_advice_names_options(tmp_path, capsys):
    few = tmp_path / "few.csv"
    pd.DataFrame({"x": np.arange(12.0), "y": ["a", "b", "c"] * 4}).to_csv(
        few, index=False
    )
    argv = ["fit", str(few), "--target", "y", "--early-stopping", "--test-size", "1"]
    err = run_error(argv, capsys)
    assert err.endswith(
        "--early-stopping holds out --validation-fraction 0.1 of the 11 training "
        "rows, 2, too few for one of each of the 3 classes: use "
        "--validation-fraction 0.273 or more, or run without --early-stopping."
    )
    assert main([*argv, "--validation-fraction", "0.273", "--max-iter", "5"]) == 0
    capsys.readouterr()

    lone = tmp_path / "lone.csv"
    table = penguin_table()
    table.loc[0, "species"] = "Macaroni"
    table.to_csv(lone, index=False)
    argv = ["fit", str(lone), "--target", "species", "--early-stopping"]
    err = run_error([*argv, "--test-size", "1"], capsys)
    assert "--early-stopping cannot hold out --validation-fraction 0.1 of" in err
    assert err.endswith("Run without --early-stopping instead.")
    assert "X_val" not in err and "validation_fraction" not in err
    advice = _terminal.in_command_line_terms(
        "Use a smaller learning_rate, or early_stopping=True to keep the best."
    )
    assert advice == (
        "Use a smaller --learning-rate, or --early-stopping to keep the best."
    )


def test_integer_labels_with_gaps_stay_integers(tmp_path, capsys):
    table = penguin_table()
    table["species"] = table["species"].map({"Adelie": 0, "Chinstrap": 1, "Gentoo": 2})
    table.loc[[2, 4], "species"] = np.nan  # read back as floats
    path = tmp_path / "numbered.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "out"
    argv = ["fit", str(path), "--target", "species", "--output-dir", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["predict", str(out / "model.skops"), str(path)]) == 0
    assert set(capsys.readouterr().out.split()[1:]) == {"0", "1", "2"}


def test_columns_without_values_are_dropped_and_features_required(tmp_path, capsys):
    table = penguin_table()
    table["notes"] = np.nan
    path = tmp_path / "notes.csv"
    table.to_csv(path, index=False)
    assert main(["fit", str(path), "--target", "species"]) == 0
    assert f"note: dropped columns of {path} without any value: 'notes'" in (
        capsys.readouterr().err
    )
    only_target = tmp_path / "only_target.csv"
    table[["species", "notes"]].to_csv(only_target, index=False)
    err = run_error(["fit", str(only_target), "--target", "species"], capsys)
    assert err.endswith(f"{only_target} has no feature columns besides 'species'")


def test_scoring_with_early_stopping_writes_val_score(tmp_path, capsys):
    argv = ["fit", "--early-stopping", "--scoring", "f1_macro"]
    assert main([*argv, "--output-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    history = pd.read_csv(tmp_path / "history.csv", index_col="iteration")
    assert {"val_loss", "val_accuracy", "val_score"} <= set(history.columns)
    model = load_model(tmp_path / "model.skops")[-1]
    assert model.scoring == "f1_macro"
    assert model.best_iteration_ == history["val_score"].idxmax()
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--scoring", "f1_best"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(
        "argument --scoring: unknown scorer 'f1_best'; "
        "sklearn.metrics.get_scorer_names() lists the names"
    )


def test_diagnostics_go_to_history_csv_and_png(tmp_path, monkeypatch, capsys):
    drawn = []
    original = sklearn_backprop.HistoryDisplay.from_estimator

    def record(estimator, **kwargs):
        display = original(estimator, **kwargs)
        drawn.append([ax.get_title() for ax in display.ax_])
        return display

    monkeypatch.setattr(sklearn_backprop.HistoryDisplay, "from_estimator", record)
    argv = ["fit", "--max-iter", "10", "--diagnostics"]
    assert main([*argv, "--output-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    history = pd.read_csv(tmp_path / "history.csv", index_col="iteration")
    assert {"grad_norm_W1", "update_ratio_W2", "saturated"} <= set(history.columns)
    assert drawn == [
        ["loss", "accuracy", "gradient norm", "update ratio", "saturated share"]
    ]
