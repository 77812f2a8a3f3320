"""Indexing ops: x[index], x[index] = value, gather, scatter, index_select and tril/triu. Backward sends each
gradient back to the position it was read from (adding where a position was read twice)."""
import numpy as np

from microtorch.autograd.function import Function, run


class ScatterAdd(Function):
    """Zeros of shape with values added at index: the gradient of reading x[index], where positions
    read more than once get the sum of their gradients. Its own gradient reads index again."""

    @staticmethod
    def forward(ctx, values, shape, index):
        ctx.index = index
        out = np.zeros(shape, dtype=values.dtype)
        if _is_basic_index(index):
            out[index] = values
        elif isinstance(index, np.ndarray) and index.ndim == 1 and np.shape(values)[:1] == index.shape:
            _add_rows(out, index, values)   # rows of the first dim (embedding, x[rows]): the common case
        else:
            np.add.at(out, index, values)  # repeated indices add up
        return out

    @staticmethod
    def backward(ctx, grad):
        return run(GetItem, grad, ctx.index), None, None


def _add_rows(out, rows, values):
    """out[rows] += values, where a row picked several times gets the sum: sort the rows, add up each
    run of equal rows with one reduceat, and write each sum once (np.add.at does the same element by
    element, several times slower)."""
    if rows.size == 0:
        return
    rows = np.where(rows < 0, rows + len(out), rows)   # -1 and n - 1 are the same row
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    out[rows[starts]] += np.add.reduceat(values[order], starts, axis=0)


def _scatter_add(shape, index, grad):
    """ScatterAdd, run or recorded (see autograd.function.run)."""
    return run(ScatterAdd, grad, shape, index)


def _along_dim(index, dim):
    """The numpy index that reads x[i][index[i][j][k]][k] (for dim 1) from x: torch.gather's
    (index may be smaller than x in the other dims: only that corner of x is read)."""
    grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grid[dim] = index
    return tuple(grid)


def _is_basic_index(index):
    """True when index selects each element at most once (no integer arrays)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype != np.bool_:
            return False
        if isinstance(part, (list, tuple)):
            return False
    return True


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        return _scatter_add(ctx.shape, ctx.index, grad), None


class SetItem(Function):
    """x[index] = value as a new tensor: the old x gets no gradient where it was overwritten."""

    @staticmethod
    def forward(ctx, x, index, value):
        ctx.index = index
        ctx.value_shape = np.shape(value)
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, _, need_value = ctx.needs_input_grad
        grad_x = grad_value = None
        if need_x:
            grad_x = run(SetItem, grad, ctx.index, 0)   # nothing flows to the overwritten places
        if need_value:
            grad_value = grad[ctx.index]
        return grad_x, None, grad_value


class Gather(Function):
    """out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (torch.gather); repeated indices add up in backward."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.grid = x.shape, _along_dim(index, dim)
        return x[ctx.grid]

    @staticmethod
    def backward(ctx, grad):
        return _scatter_add(ctx.shape, ctx.grid, grad), None, None


class IndexSelect(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return np.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        # np.take(x, index, axis=dim) reads x[:, ..., index] (dim slices first)
        return _scatter_add(ctx.shape, (slice(None),) * ctx.dim + (ctx.index,), grad), None, None


class Triangle(Function):
    """tril (upper=False) or triu (upper=True) of the last two dims; the gradient is masked the same way."""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        return np.triu(x, diagonal) if upper else np.tril(x, diagonal)

    @staticmethod
    def backward(ctx, grad):
        keep = np.triu if ctx.upper else np.tril
        return keep(grad, ctx.diagonal), None, None


class Scatter(Function):
    """x with src written (add=False) or added (add=True) at index along dim (torch.scatter /
    scatter_add): out[i][index[i][j]] = src[i][j] for dim 1. src may be a number (scatter only)."""

    @staticmethod
    def forward(ctx, x, dim, index, src, add):
        grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
        grid[dim] = index
        ctx.grid, ctx.add = tuple(grid), add
        ctx.read = tuple(slice(n) for n in index.shape)  # src may be larger than index: only that corner is used
        values = src[ctx.read] if np.ndim(src) else src
        out = x.copy()
        if add:
            np.add.at(out, ctx.grid, values)
        else:
            out[ctx.grid] = values
        ctx.src_shape = np.shape(src)
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, _, _, need_src, _ = ctx.needs_input_grad
        grad_x = grad_src = None
        if need_x:   # overwritten entries do not reach the output
            grad_x = grad if ctx.add else run(SetItem, grad, ctx.grid, 0)
        if need_src:
            grad_src = _scatter_add(ctx.src_shape, ctx.read, grad[ctx.grid])
        return grad_x, None, None, grad_src, None
