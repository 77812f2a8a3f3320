"""Normalisation layers: BatchNorm1d/2d, InstanceNorm1d/2d, LayerNorm, GroupNorm and RMSNorm."""
import warnings

import numpy as np

from microtorch.nn import functional as F
from microtorch.nn.module import Module
from microtorch.nn.parameter import Parameter
from microtorch.tensor import Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d", "InstanceNorm1d", "InstanceNorm2d", "LayerNorm", "GroupNorm", "RMSNorm"]


class _BatchNorm(Module):
    """Per-channel normalisation with learnable scale and shift, and running statistics for eval mode.

    Parameters
    ----------
    num_features : int
        C, the number of channels (dim 1 of the input).
    eps : float, default 1e-5
        Added to the variance for numerical stability.
    momentum : float or None, default 0.1
        Weight of the new batch in the running statistics; None keeps a cumulative average.
    affine : bool, default True
        Learn ``weight`` (ones) and ``bias`` (zeros).
    track_running_stats : bool, default True
        Keep ``running_mean`` and ``running_var`` buffers, used in eval mode.
    dtype : numpy dtype, default float32
        The parameters' dtype. PyTorch also takes ``device``; microtorch runs on the CPU only.

    Notes
    -----
    In training mode each batch is normalised with its own (biased) variance while the
    running variance is updated with the unbiased one, as in PyTorch.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float32):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def _check_input(self, x):
        name = type(self).__name__
        if x.ndim not in self._input_dims:
            raise ValueError(f"{name}: expected a {' or '.join(f'{d}-D' for d in self._input_dims)} input, "
                             f"got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected {self.num_features} channels (dim 1), got input of shape {x.shape}")

    def forward(self, x):
        self._check_input(x)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data = np.asarray(self.num_batches_tracked._array + 1)
            if self.momentum is None:  # a cumulative average over all batches so far
                momentum = 1.0 / float(self.num_batches_tracked._array)
        use_batch_stats = self.training or self.running_mean is None
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_batch_stats,
                            momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs.

    Parameters are those of :class:`BatchNorm2d`.

    Shape
    -----
    Input: ``(N, C)`` or ``(N, C, L)``. Output: the same shape.

    Examples
    --------
    >>> import microtorch as torch
    >>> bn = torch.nn.BatchNorm1d(3)
    >>> bn(torch.randn(8, 3)).shape
    (8, 3)
    """
    _input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, per channel.

    Parameters
    ----------
    num_features : int
        C, the number of channels.
    eps : float, default 1e-5
    momentum : float or None, default 0.1
        Weight of the new batch in the running statistics; None keeps a cumulative average.
    affine : bool, default True
    track_running_stats : bool, default True
    dtype : numpy dtype, default float32
        The parameters' dtype. PyTorch also takes ``device``; microtorch runs on the CPU only.

    Shape
    -----
    Input: ``(N, C, H, W)``. Output: the same shape.
    """
    _input_dims = (4,)


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dims, then scale (ones) and shift (zeros).

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing dims to normalise over.
    eps : float, default 1e-5
    elementwise_affine : bool, default True
        Learn ``weight`` and ``bias`` of shape ``normalized_shape``.
    bias : bool, default True
        Learn the bias (with ``elementwise_affine``).
    dtype : numpy dtype, default float32
        The parameters' dtype. PyTorch also takes ``device``; microtorch runs on the CPU only.

    Shape
    -----
    Input: ``(*, *normalized_shape)``. Output: the same shape.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=np.float32):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
            else tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if elementwise_affine and bias else None

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class _InstanceNorm(_BatchNorm):
    """Per-sample, per-channel normalisation over the spatial dims; the parameters and buffers of batch norm,
    but affine and track_running_stats off by default, as in torch."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 dtype=np.float32):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)

    def forward(self, x):
        name, spatial = type(self).__name__, self._input_dims[0] - 2
        if x.ndim not in (spatial + 1, spatial + 2):
            raise ValueError(f"{name}: expected {spatial + 1}D or {spatial + 2}D input (got {x.ndim}D input)")
        unbatched = x.ndim == spatial + 1
        batched = x.unsqueeze(0) if unbatched else x
        if batched.shape[1] != self.num_features:
            message = (f"{name}: expected input's size at dim={x.ndim - spatial - 1} to match num_features "
                       f"({self.num_features}), but got: {batched.shape[1]}.")
            if self.affine:
                raise ValueError(message)
            warnings.warn(message + " num_features is not used because affine=False", stacklevel=2)
        # num_batches_tracked is kept for torch's state_dict but, as in torch, never counted
        momentum = 0.0 if self.momentum is None else self.momentum
        out = F.instance_norm(batched, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats, momentum, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or unbatched (C, L) inputs, as torch.nn.InstanceNorm1d.

    Parameters
    ----------
    num_features : int
        C, the number of channels.
    eps : float
        Added to the variance.
    momentum : float or None
        How far the running statistics move towards each batch's (None: not at all, as torch).
    affine : bool
        Learn a per-channel scale (ones) and shift (zeros).
    track_running_stats : bool
        Keep running statistics, and normalise by them in eval mode.

    Shape
    -----
    Input (N, C, L) or (C, L); output the same shape.
    """
    _input_dims = (3,)


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or unbatched (C, H, W) inputs, as torch.nn.InstanceNorm2d.

    Parameters as InstanceNorm1d.

    Shape
    -----
    Input (N, C, H, W) or (C, H, W); output the same shape.
    """
    _input_dims = (4,)


class GroupNorm(Module):
    """Normalise each sample over groups of channels, then a per-channel scale and shift, as torch.nn.GroupNorm.

    Parameters
    ----------
    num_groups : int
        Number of groups to split the channels into.
    num_channels : int
        C, divisible by num_groups.
    eps : float
        Added to the variance.
    affine : bool
        Learn a per-channel weight (ones) and bias (zeros).
    bias : bool
        With affine, learn the bias too.

    Shape
    -----
    Input ``(N, C, *)``; output the same shape.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, bias=True, dtype=np.float32):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = Parameter(np.ones(num_channels, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, dtype=dtype)) if affine and bias else None

    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """x / sqrt(mean(x^2) + eps) over the trailing normalized_shape dims, times a weight, as torch.nn.RMSNorm.

    Parameters
    ----------
    normalized_shape : int or tuple of ints
        The trailing dims to normalise over.
    eps : float, optional
        Added to the mean square; None means the machine epsilon of the input's dtype, as torch.
    elementwise_affine : bool
        Learn an elementwise weight (ones) of shape normalized_shape.

    Shape
    -----
    Input ``(*, *normalized_shape)``; output the same shape.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, dtype=np.float32):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
            else tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
