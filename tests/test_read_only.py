"""The package imports and trains where nothing can be written; elsewhere its
compiled kernels are cached on disk, as before.

Numba caches a compiled function under ``NUMBA_CACHE_DIR``, else in the
``__pycache__`` beside its source, else in the user's cache directory
(``XDG_CACHE_HOME`` or ``~/.cache``). A read-only container image run as an
arbitrary user can write none of them. Each case runs in a child process with
an environment of its own and imports a copy of the package made for it, so
that nothing the test suite has cached, and no variable of the caller's, takes
part.
"""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import numba
import pytest
import sklearn

import sklearn_backprop

# Users, permission bits and the superuser as POSIX has them.
pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")

SOURCE = Path(sklearn_backprop.__file__).parent

# Checks first that none of the places Numba caches in can be written, as it
# does (create the directory, then a file in it), so that the case cannot pass
# for want of a real obstacle; then trains on iris and prints which copy of the
# package it imported, its accuracy and where one kernel is cached (None:
# nowhere).
FIT = """
import importlib.util
import os
import tempfile

package = os.path.dirname(importlib.util.find_spec("sklearn_backprop").origin)
for place in [
    os.path.join(package, "__pycache__"),
    os.environ["NUMBA_CACHE_DIR"],
    os.environ["XDG_CACHE_HOME"],
    os.path.expanduser("~/.cache"),
]:
    try:
        os.makedirs(place, exist_ok=True)
        tempfile.TemporaryFile(dir=place).close()
    except OSError:
        continue
    raise AssertionError(place + " can be written")

import sklearn_backprop
from sklearn.datasets import load_iris
from sklearn_backprop import _kernels

X, y = load_iris(return_X_y=True)
X = (X - X.mean(axis=0)) / X.std(axis=0)
model = sklearn_backprop.BackpropClassifier(max_iter=100, random_state=0)
print(sklearn_backprop.__file__)
print(model.fit(X, y).score(X, y))
print(_kernels.descend.stats.cache_path)
"""

# Runs one small kernel, which compiles in a fraction of the time a fit takes;
# prints which copy it imported and how often the kernel came from the cache
# and was compiled.
DESCEND = """
import numpy as np
from sklearn_backprop import _kernels

param = np.ones(3)
_kernels.descend(param, np.ones(3), 1.0, 0.0, np.empty(0), 0.5, 0.0, False)
assert (param == 0.5).all()
stats = _kernels.descend.stats
print(_kernels.__file__)
print(sum(stats.cache_hits.values()))
print(sum(stats.cache_misses.values()))
"""


@pytest.fixture
def scratch():
    """A directory that every user may read, removed afterwards.

    Not ``tmp_path``, whose parent only its owner may enter: the unprivileged
    child must reach the copy of the package.
    """
    path = Path(tempfile.mkdtemp())
    path.chmod(0o755)
    yield path
    # rmtree cannot empty a directory that is not writable.
    for directory, _, _ in os.walk(path):
        os.chmod(directory, 0o755)
    shutil.rmtree(path)


def copy_package(root):
    """Copy the package's sources, without compiled or cached files, into ``root``.

    Returns the copy's ``__init__.py``.
    """
    shutil.copytree(
        SOURCE, root / SOURCE.name, ignore=shutil.ignore_patterns("__pycache__")
    )
    return root / SOURCE.name / "__init__.py"


def make_read_only(root):
    """Take away every user's permission to write in ``root``, recursively."""
    for directory, _, files in os.walk(root):
        for name in files:
            os.chmod(os.path.join(directory, name), 0o444)
        os.chmod(directory, 0o555)


def read_only_directory(path):
    """Create ``path`` as a directory in which no one may write."""
    path.mkdir()
    path.chmod(0o555)
    return path


def unusable_path(scratch):
    """A path below a regular file, in which no user, root included, can create
    a directory: the permissions the superuser ignores do not come into it."""
    blocker = scratch / "a-file"
    blocker.touch()
    return blocker / "cache"


def block_package_cache(package_init):
    """Make the ``__pycache__`` beside the sources a regular file, which no user
    can cache in."""
    (package_init.parent / "__pycache__").touch()


def run_child(code, scratch, environment, prefix=(), **options):
    """Run ``code`` in a fresh Python process that sees only ``environment``,
    with the copy of the package in ``scratch`` first on its path; return the
    lines it printed. ``prefix`` is a command to run Python under."""
    environment = {
        "PATH": os.defpath,
        "PYTHONPATH": str(scratch / "site"),
        **environment,
    }
    result = subprocess.run(
        [*prefix, sys.executable, "-c", code],
        env=environment,
        # Not the repository, which ``-c`` would put first on the path.
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=600,
        **options,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")


def reachable_by_others(path):
    """Whether users other than the owner may enter every directory above
    ``path`` and read ``path`` itself."""
    path = Path(path).resolve()
    if not path.stat().st_mode & stat.S_IROTH:
        return False
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.parents)


def bound_by_permissions():
    """How to run a child that file permissions bind.

    Any user but the superuser as it is. The superuser, whom they do not bind,
    keeps its identity but loses the capabilities that let it pass over them
    (with util-linux's setpriv), or else runs as ``nobody``, if that user can
    reach Python and its packages. Returns a command to run Python under and
    options for subprocess.
    """
    if os.geteuid() != 0:
        return [], {}
    setpriv = shutil.which("setpriv")
    if setpriv:
        drop = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
        if subprocess.run([*drop, "true"], capture_output=True).returncode == 0:
            return drop, {}
    import pwd

    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("neither setpriv nor a user 'nobody' to run the child with")
    needed = [sys.executable, numba.__file__, sklearn.__file__, tempfile.gettempdir()]
    if not all(reachable_by_others(path) for path in needed):
        pytest.skip("no setpriv, and Python is out of reach of the user 'nobody'")
    return [], {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


@pytest.mark.parametrize("how", ["permissions", "unusable paths"])
def test_read_only_install_imports_and_trains(scratch, how):
    # "permissions": files and directories that cannot be written, as in an
    # image run as an arbitrary user (see bound_by_permissions for the
    # superuser). "unusable paths": every place to cache in lies below a regular
    # file, which stops the superuser too, so this case runs whoever runs the
    # tests and whatever tools the machine has.
    package_init = copy_package(scratch / "site")
    if how == "permissions":
        prefix, options = bound_by_permissions()
        cache_dir = home = xdg_cache = read_only_directory(scratch / "cache")
    else:
        prefix, options = [], {}
        cache_dir = home = xdg_cache = unusable_path(scratch)
        block_package_cache(package_init)
    make_read_only(scratch)
    environment = {
        "HOME": str(home),
        "NUMBA_CACHE_DIR": str(cache_dir),
        "XDG_CACHE_HOME": str(xdg_cache),
    }
    printed = run_child(FIT, scratch, environment, prefix, **options)
    imported, score, cache_path, _ = printed
    assert imported == str(package_init)
    assert float(score) > 0.9
    # Compiled in this process only.
    assert cache_path == "None"


@pytest.mark.parametrize("where", ["package", "home"])
def test_kernels_are_cached_where_it_is_possible(scratch, where):
    # "package": the __pycache__ beside the sources, Numba's choice for an
    # installation that can be written. "home": the user's cache directory,
    # its fallback for a read-only installation.
    package_init = copy_package(scratch / "site")
    if where == "package":
        cache = package_init.parent / "__pycache__"
        home = unusable_path(scratch)
    else:
        home = scratch / "home"
        cache = home / ".cache" / "numba"
        block_package_cache(package_init)
        make_read_only(scratch / "site")
    environment = {"HOME": str(home)}
    for hits, misses in [("0", "1"), ("1", "0")]:
        imported, *counts, _ = run_child(DESCEND, scratch, environment)
        assert imported == str(package_init.parent / "_kernels.py")
        # The first process compiles and saves, the second loads.
        assert counts == [hits, misses]
        assert list(cache.rglob("_kernels.descend-*.nbi"))
