"""Order of the gallery's examples, for sphinx-gallery's ``within_subsection_order``.

The gallery reads from the tutorial outwards: first the tutorial's own network,
then what changes when the network grows, then model selection, comparison,
export and scaling out. conf.py names the class by its import path, a string,
so that Sphinx can pickle its configuration.
"""

from pathlib import Path

# Example files in reading order. A leading "plot_" is ignored when matching,
# so that an example keeps its place whether or not sphinx-gallery executes it.
READING_ORDER = (
    "plot_tutorial.py",
    "plot_hidden_layer.py",
    "plot_decision_regions.py",
    "plot_activations_solvers.py",
    "plot_saturation.py",
    "plot_validation_curves.py",
    "plot_grid_search.py",
    "plot_compare_mlp.py",
    "plot_onnx_export.py",
    "plot_dask_scale_out.py",
)


def _stem(filename):
    name = Path(filename).name
    return name.removeprefix("plot_")


_RANKS = {_stem(name): rank for rank, name in enumerate(READING_ORDER)}


class ReadingOrder:
    """Sort key: listed examples in reading order, any other file after them by name.

    Files of the list that do not exist are simply absent; the others keep their
    relative order.

    Parameters
    ----------
    src_dir : str or pathlib.Path
        The gallery folder; sphinx-gallery passes it, the order does not use it.
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        return (_RANKS.get(_stem(name), len(_RANKS)), name)

    def __repr__(self):
        return f"<{type(self).__name__}>"
