"""A Sphinx-Gallery image scraper for the animated GIFs that examples write.

An example runs in its own folder (``examples/``); a GIF it writes there,
named after the example (``plot_decision_regions*.gif``), is moved after the
code block that wrote it into the gallery's images, and shown on the page
below that block, as the figures are. Named in ``conf.py`` by module, which
Sphinx-Gallery imports and asks for its scraper, so that the configuration
stays picklable.
"""

import shutil
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst


class GifScraper:
    """Move the GIFs an example's code block wrote into the gallery's images."""

    def __repr__(self):
        # Sphinx-Gallery compares configurations by their text between builds.
        return "GifScraper"

    def __call__(self, block, block_vars, gallery_conf):
        source = Path(block_vars["src_file"])
        shown = []
        for gif in sorted(source.parent.glob(f"{source.stem}*.gif")):
            image = Path(next(block_vars["image_path_iterator"])).with_suffix(".gif")
            shutil.move(gif, image)
            shown.append(str(image))
        return figure_rst(shown, gallery_conf["src_dir"])


def _get_sg_image_scraper():
    return GifScraper()
