"""Every ```python block of README.md runs on its own and prints what it says."""

import contextlib
import io
import linecache
import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

README = Path(__file__).parents[1] / "README.md"
README_TEXT = README.read_text(encoding="utf-8")
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
# A print call ending in a comment with a number: `print(...)  # 0.973...`.
EXPECTED = re.compile(r"^\s*print\(.*\)\s*#\s*(-?\d+(?:\.\d+)?)(\.\.\.)?\s*$")
N_BLOCKS = 3  # the usage, tutorial and training blocks


def python_blocks():
    """(line of the block's first line in README.md, code) for each block."""
    return [
        (README_TEXT.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in BLOCK.finditer(README_TEXT)
    ]


BLOCKS = python_blocks()


def test_readme_has_its_python_blocks():
    assert len(BLOCKS) >= N_BLOCKS


@pytest.mark.parametrize(
    "first_line, code",
    [pytest.param(*block, id=f"block{i}") for i, block in enumerate(BLOCKS)],
)
def test_readme_block_runs_on_its_own(first_line, code, request):
    # Line numbers in tracebacks are README.md's, under a name for the block.
    if "skl2onnx" in code:
        # The ONNX block needs the onnx extra.
        pytest.importorskip("skl2onnx")
        pytest.importorskip("onnxruntime")
    filename = f"README.md, python {request.node.callspec.id}"
    source = "\n" * (first_line - 1) + code
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    stdout = io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout):
            exec(compile(source, filename, "exec"), {"__name__": "__main__"})
    finally:
        plt.close("all")
        linecache.cache.pop(filename, None)

    printed = stdout.getvalue().splitlines()
    prints = [line for line in code.splitlines() if line.lstrip().startswith("print(")]
    if not prints:
        return
    assert len(printed) == len(prints), printed
    for statement, output in zip(prints, printed):
        expected = EXPECTED.match(statement)
        if expected is None:
            continue
        value, ellipsis = expected.groups()
        if ellipsis:
            assert output.startswith(value), (statement, output)
        else:
            assert output == value, (statement, output)
