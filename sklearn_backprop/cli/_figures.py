"""The figures the commands write: drawn into PNG files, never onto a screen."""

import numpy as np


def use_file_backend():
    """Draw figures into files: no screen is needed."""
    import matplotlib

    matplotlib.use("Agg")


def heatmap(results):
    """Draw mean CV accuracy for each hidden size x learning rate; return the figure."""
    import matplotlib.pyplot as plt

    table = results.pivot(
        index="hidden_size", columns="learning_rate", values="mean_accuracy"
    )
    figure, ax = plt.subplots(
        figsize=(1.2 * table.shape[1] + 2, 0.8 * len(table) + 1.5)
    )
    image = ax.imshow(table.to_numpy(dtype=float), cmap="viridis")
    ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns])
    ax.set_yticks(range(len(table)), [str(v) for v in table.index])
    ax.set_xlabel("learning rate")
    ax.set_ylabel("hidden size")
    ax.set_title("mean CV accuracy")
    values = table.to_numpy(dtype=float)
    middle = (np.nanmin(values) + np.nanmax(values)) / 2
    for (i, j), value in np.ndenumerate(values):
        # Dark text on the bright end of viridis, light text on the dark end.
        color = "black" if value > middle else "white"
        ax.text(j, i, f"{value:.3f}", ha="center", va="center", color=color)
    figure.colorbar(image, ax=ax)
    figure.tight_layout()
    return figure
