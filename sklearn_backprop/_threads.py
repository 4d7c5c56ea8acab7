"""The process's threads for passes over rows, and its hold on BLAS's threads.

A pass adds up the totals of its blocks of rows (:mod:`._blockwise`): on the
calling thread (:func:`sum_in_order`) or on a pool of threads
(:func:`sum_on_threads`), which add the blocks' totals in block order whichever
thread computed them, so that the sum has the same bits on any number of
threads. Meanwhile BLAS runs on one thread (:func:`blas_on_one_thread`): its
results would otherwise depend on the machine's cores.

The pool and the hold on BLAS's threads belong to the process: made on first
use under a lock, shared by the passes that run at the same time, and forgotten
in a child made by ``fork``, which inherits them without their threads.
"""

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np


@functools.cache
def available_cores():
    """Number of cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _prime_blas():
    """Run one product of each float type on BLAS's own threads.

    OpenBLAS (as NumPy's wheels ship it) runs a one-thread product with a long
    inner dimension, such as ``X_b.T @ D1`` over a block of 1024 rows, up to
    twice as slowly until the process has run a product on several of its
    threads. Measured on benchmarks/bench_fit.py's large data in fresh
    processes: without this, an iteration took 1.2 to 1.4 times as long, in
    float64 and float32. It costs a millisecond, once.
    """
    for dtype in (np.float32, np.float64):
        square = np.ones((256, 256), dtype)
        square @ square


class _BlasHold:
    """BLAS held to one thread while passes run, then given back its threads.

    BLAS's threads are set for the whole process, so the passes running at the
    same time share one hold: the first sets one thread, the last restores what
    the first found, in whatever order and threads they end. (A setting that
    other code makes meanwhile is undone with the hold.) Callers serialise
    :meth:`take` and :meth:`give_back`.
    """

    def __init__(self):
        self._libraries = None
        self._holders = 0
        # The libraries' threads before the hold; None where it changed nothing.
        self._saved = None

    def take(self):
        """Hold BLAS to one thread, or join the hold already on."""
        if self._holders == 0:
            saved = [library.num_threads for library in self._blas_libraries()]
            if any(count not in (1, None) for count in saved):
                self._set([1] * len(saved))
                self._saved = saved
        self._holders += 1

    def give_back(self):
        """Leave the hold; the last to leave restores BLAS's threads."""
        self._holders -= 1
        if self._holders == 0 and self._saved is not None:
            self._set(self._saved)
            self._saved = None

    def end_in_child(self):
        """End the hold in a child made by ``fork``, whoever held it.

        The passes that held it ran in other threads of the parent, which the
        child has not: none will end here and give BLAS back its threads.
        """
        if self._holders:
            self._holders = 1
            self.give_back()

    def _blas_libraries(self):
        """threadpoolctl's controllers of the BLAS libraries, made on first use.

        BLAS runs a product on its own threads first (see :func:`_prime_blas`).
        """
        if self._libraries is None:
            from threadpoolctl import ThreadpoolController

            _prime_blas()
            blas = ThreadpoolController().select(user_api="blas")
            self._libraries = blas.lib_controllers
        return self._libraries

    def _set(self, counts):
        from threadpoolctl import OpenBLASController

        for library, count in zip(self._libraries, counts):
            if count is not None:
                library.set_num_threads(count)
        # threadpoolctl (from 3.8) lets one thread at a time set OpenBLAS's
        # threads, the first to try, and silently ignores the others: this one
        # lets go, so that the pass that ends last, in any thread, can restore
        # them (and other code set them after).
        getattr(OpenBLASController, "clear_controlling_thread", lambda: None)()


class _ProcessThreads:
    """A process's pool of threads for passes, and its hold on BLAS's threads.

    ``lock`` guards both: threads that start their first passes at once find one
    pool, complete, and one hold.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self._executor = None
        self.blas_hold = _BlasHold()

    def executor(self):
        """The pool of threads for passes, started on first use."""
        with self.lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=available_cores(),
                    thread_name_prefix="sklearn_backprop",
                )
            return self._executor

    @contextmanager
    def blas_on_one_thread(self):
        """Hold BLAS to one thread meanwhile (see :class:`_BlasHold`)."""
        with self.lock:
            self.blas_hold.take()
        try:
            yield
        finally:
            with self.lock:
                self.blas_hold.give_back()


_process_threads = _ProcessThreads()


def _before_fork():
    # The child then finds the state whole, not halfway through a change.
    _process_threads.lock.acquire()


def _after_fork_in_parent():
    _process_threads.lock.release()


def _after_fork_in_child():
    # The child inherits the pool without its threads: a pass would wait on
    # them forever. It starts afresh.
    global _process_threads
    _process_threads.blas_hold.end_in_child()
    _process_threads.lock.release()
    _process_threads = _ProcessThreads()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )
    # A child may be given other cores than its parent. (The function is bound
    # now: tests put others in the module's name.)
    os.register_at_fork(after_in_child=available_cores.cache_clear)


def blas_on_one_thread():
    """Return a context manager that holds BLAS to one thread, as passes do.

    Holds nest and are shared with the passes' own: code that runs many small
    passes (a fit) within one spares each pass the cost of setting BLAS's
    threads and restoring them (10 to 20 µs with two BLAS libraries loaded).
    """
    return _process_threads.blas_on_one_thread()


class _InOrderSum:
    """The running sum of a pass's block totals, added in block order.

    Threads take the blocks' indices from it one at a time and hand back each
    block's totals; these join the sum only after those of every block before,
    so the sum is the same, bit for bit, on any number of threads. A thread
    takes no block more than ``lead`` blocks ahead of the sum, which bounds the
    totals waiting to be added.
    """

    def __init__(self, n_blocks, lead):
        self._condition = threading.Condition()
        self._n_blocks = n_blocks
        self._lead = lead
        self._taken = 0
        self._added = 0
        self._waiting = {}
        self._stopped = False
        self.total = None

    def _may_take(self):
        return (
            self._stopped
            or self._taken == self._n_blocks
            or self._taken - self._added < self._lead
        )

    def take(self):
        """Return the index of the next block to compute; None when none is left."""
        with self._condition:
            self._condition.wait_for(self._may_take)
            if self._stopped or self._taken == self._n_blocks:
                return None
            self._taken += 1
            return self._taken - 1

    def add(self, index, totals):
        """Add the ``totals`` of block ``index``, after those of the blocks before."""
        with self._condition:
            self._waiting[index] = totals
            while self._added in self._waiting:
                block = self._waiting.pop(self._added)
                if self.total is None:
                    self.total = block
                else:
                    self.total += block
                self._added += 1
            self._condition.notify_all()

    def stop(self):
        """Hand out no more blocks: a thread failed, and the pass with it."""
        with self._condition:
            self._stopped = True
            self._condition.notify_all()

    def wait(self):
        """Wait until the totals of every block are added, or the pass stops."""
        with self._condition:
            self._condition.wait_for(
                lambda: self._stopped or self._added == self._n_blocks
            )


def sum_on_threads(function, blocks, n_threads):
    """Return the sum of ``function(block)`` over ``blocks``, on ``n_threads``.

    Threads of the pool compute the blocks while the calling thread waits: when
    the main thread computed blocks too, the other thread waited for the GIL
    for a whole switch interval (5 ms) on one block in ten. An error in a
    thread, or an interruption of the wait (Ctrl-C), stops the others after
    their block; the error is raised here.
    """
    # Room for four blocks a thread: one slowed by the machine's other work
    # does not stop the others at once.
    running_sum = _InOrderSum(len(blocks), lead=4 * n_threads)

    def work():
        try:
            while (index := running_sum.take()) is not None:
                running_sum.add(index, function(blocks[index]))
        except BaseException:
            running_sum.stop()
            raise

    executor = _process_threads.executor()
    workers = [executor.submit(work) for _ in range(n_threads)]
    try:
        running_sum.wait()
    except BaseException:
        running_sum.stop()
        raise
    for worker in workers:
        # One still queued behind other passes' threads has nothing left to do.
        if not worker.cancel():
            worker.result()
    return running_sum.total


def sum_in_order(function, blocks):
    """Return the sum of ``function(block)`` over ``blocks``, on this thread."""
    total = function(blocks[0])
    for block in blocks[1:]:
        total += function(block)
    return total
