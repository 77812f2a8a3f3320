"""torch.set_num_threads / get_num_threads for microtorch: the threads of numpy's BLAS.

microtorch's arithmetic is numpy's, and numpy's only threaded kernels are its BLAS (matmul,
linear algebra). threadpoolctl sets their thread count at run time. On the small matrices of a
small model, extra BLAS threads cost more than they give, and on a busy machine their spinning
can slow training down tenfold: `set_num_threads(1)` is the usual fix.
"""
from threadpoolctl import threadpool_info, threadpool_limits

__all__ = ["get_num_threads", "set_num_threads"]

_limits = None   # the threadpoolctl limit in force, so that a later call replaces it


def set_num_threads(n):
    """Set the number of threads numpy's BLAS uses for matmul and linear algebra.

    Parameters
    ----------
    n : int
        Threads, at least 1. Unlike PyTorch, this sets BLAS threads only: microtorch's
        elementwise kernels are numpy's, which run on one thread.
    """
    global _limits
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer (got {n})")
    if _limits is not None:
        _limits.restore_original_limits()
    _limits = threadpool_limits(n, user_api="blas")


def get_num_threads():
    """The number of threads numpy's BLAS uses (the largest over its BLAS libraries; 1 if none).

    Returns
    -------
    int
    """
    return max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=1)
