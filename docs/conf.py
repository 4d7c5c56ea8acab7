"""Sphinx configuration for the sklearn-backprop documentation."""

import shutil
import sys
from pathlib import Path

import sklearn_backprop

# docs/ itself holds the gallery's sort key (_gallery_order.py).
sys.path.insert(0, str(Path(__file__).parent))

project = "sklearn-backprop"
author = "sklearn-backprop developers"
copyright = "the sklearn-backprop developers"
release = version = sklearn_backprop.__version__

# The project's repository: the navbar's icon link. pyproject.toml's
# [project.urls] give the same address to package indexes.
REPOSITORY_URL = "https://github.com/sklearn-backprop/sklearn-backprop"
# Pages link to it as `source repository`_.
rst_epilog = f"\n.. _source repository: {REPOSITORY_URL}\n"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 from a wheel, copied into _static: math renders with no network.
    "sphinx-mathjax-offline",
    "matplotlib.sphinxext.plot_directive",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
templates_path = ["_templates"]
# sphinx-gallery's execution-time pages load jQuery and DataTables from CDNs;
# they are not written (write_computation_times below), and stale copies from
# older builds are left out.
exclude_patterns = ["_build", "sg_execution_times.rst", "**/sg_execution_times.rst"]
# The in-page contents of the API pages list "fit()", not
# "BackpropClassifier.fit()", so that the right sidebar does not clip them.
toc_object_entries_show_parents = "hide"

# -- Math: MathJax from the local copy, as self-contained SVG -----------------
# sphinx-mathjax-offline copies its MathJax 3 files to _static/mathjax. The
# SVG build carries its glyphs inside the script: no font file to fetch, and
# the same rendering whether the pages are served or opened from disk.
MATHJAX_SCRIPT = "mathjax/tex-svg.js"
# The extension copies all of MathJax (24 MB); the pages load MATHJAX_SCRIPT
# alone, and with it what it fetches on demand (TeX extensions, accessibility),
# so the other builds' entry points, the CommonHTML output and latest.js (a
# loader that fetches MathJax from CDNs) are left out.
UNUSED_MATHJAX = (
    "latest.js",
    "tex-chtml.js",
    "tex-chtml-full.js",
    "tex-chtml-full-speech.js",
    "tex-mml-chtml.js",
    "tex-mml-svg.js",
    "tex-svg-full.js",
    "mml-chtml.js",
    "mml-svg.js",
    "node-main.js",
    "output/chtml.js",
    "output/chtml",
)

# -- Figures drawn at build time (the home page's training curves) ------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 150)]
plot_rcparams = {"figure.autolayout": True}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "sklearn-backprop"
html_short_title = "sklearn-backprop"
html_static_path = ["_static"]
html_css_files = ["sklearn_backprop.css"]
html_sidebars = {"**": ["site-nav.html"]}
html_theme_options = {
    "navbar_start": ["navbar-logo", "version-label"],
    "navbar_center": ["navbar-nav"],
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "navbar_persistent": ["search-button"],
    "header_links_before_dropdown": 8,
    "icon_links": [
        {
            "name": "Source repository",
            "url": REPOSITORY_URL,
            "icon": "fa-brands fa-github",
            "type": "fontawesome",
        }
    ],
    # sg_download_links renders only on gallery pages, empty elsewhere. The
    # home page and the gallery's index give the width to their content.
    "secondary_sidebar_items": {
        "**": ["page-toc", "sourcelink", "sg_download_links"],
        "index": [],
        "auto_examples/index": [],
    },
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}

# -- Gallery ------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "download_all_examples": False,
    # Each example's page gives its own running time.
    "write_computation_times": False,
    # The second moves the GIFs an example writes onto its page (see
    # _gif_scraper.py).
    "image_scrapers": ("matplotlib", "_gif_scraper"),
    # "# sphinx_gallery_..." settings in an example are not shown on its page.
    "remove_config_comments": True,
    # From the tutorial outwards; named by import path so the config pickles.
    "within_subsection_order": "_gallery_order.ReadingOrder",
}


def _use_svg_mathjax(app, config):
    # sphinx-mathjax-offline sets its CommonHTML build while it is set up,
    # after this file is read: choose the self-contained SVG build once every
    # extension is loaded.
    config.mathjax_path = MATHJAX_SCRIPT


def _prune_mathjax(app, exception):
    # Runs after sphinx-mathjax-offline's own build-finished copy, which was
    # connected first.
    mathjax = Path(app.outdir, "_static", "mathjax")
    if exception is not None or not mathjax.is_dir():
        return
    for name in UNUSED_MATHJAX:
        path = mathjax / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def setup(app):
    # sphinx-mathjax-offline only copies files once the build is done, but does
    # not say that it is safe for parallel builds; it is, and saying so keeps
    # "sphinx -j auto -W" free of a warning.
    offline = app.extensions["sphinx-mathjax-offline"]
    offline.parallel_read_safe = offline.parallel_write_safe = True
    app.connect("config-inited", _use_svg_mathjax)
    app.connect("build-finished", _prune_mathjax)
