"""Loss layers: each calls the function of the same name in microtorch.nn.functional."""
from microtorch.nn import functional as F
from microtorch.nn.module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "HuberLoss",
           "SmoothL1Loss"]


class _Loss(Module):
    """Base class of the loss layers: holds ``reduction``.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    """
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def extra_repr(self):
        """Return ``reduction='...'`` for the repr."""
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Cross entropy between logits and class indices (or class probabilities).

    The same as ``log_softmax`` followed by ``NLLLoss``.

    Parameters
    ----------
    weight : Tensor, optional
        A weight for each class, shape ``(C,)``.
    ignore_index : int, default -100
        Targets equal to it contribute nothing (class-index targets only).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-element losses are combined.
    label_smoothing : float, default 0.0
        Mixes the target with the uniform distribution by this amount.

    Shape
    -----
    Input: ``(N, C)`` or ``(N, C, d1, ...)`` logits. Target: ``(N,)`` / ``(N, d1, ...)`` class
    indices, or the input's shape for probabilities. Output: scalar, or ``(N, d1, ...)`` with
    ``reduction='none'``.

    Examples
    --------
    >>> import microtorch as torch
    >>> loss = torch.nn.CrossEntropyLoss()(torch.zeros(2, 3), torch.tensor([0, 2]))
    >>> round(loss.item(), 4)
    1.0986
    """
    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log likelihood: minus the input at the target class (input holds log-probabilities).

    Parameters
    ----------
    weight : Tensor, optional
        A weight for each class, shape ``(C,)``.
    ignore_index : int, default -100
        Targets equal to it contribute nothing.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-element losses are combined.

    Shape
    -----
    Input: ``(N, C)`` or ``(N, C, d1, ...)``. Target: ``(N,)`` or ``(N, d1, ...)`` class indices.
    Output: scalar, or the target's shape with ``reduction='none'``.
    """
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(_Loss):
    """Mean squared error: ``(input - target) ** 2``, reduced.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-element losses are combined.

    Shape
    -----
    Input and target: the same shape (or broadcastable). Output: scalar, or the input's shape with ``reduction='none'``.
    """
    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ``|input - target|``, reduced.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-element losses are combined.

    Shape
    -----
    Input and target: the same shape. Output: scalar, or the input's shape with ``reduction='none'``.
    """
    def forward(self, input, target):
        return F.l1_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross entropy between probabilities and targets in [0, 1].

    Parameters
    ----------
    weight : Tensor, optional
        Rescales each element's loss; broadcast against the input.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-element losses are combined.

    Shape
    -----
    Input and target: the same shape. Output: scalar, or the input's shape with ``reduction='none'``.

    Notes
    -----
    As in PyTorch, each log is clamped at -100 so that a probability of exactly 0 or 1 gives a finite loss.
    """
    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy on logits: a sigmoid and ``BCELoss`` in one stable step.

    Parameters
    ----------
    weight : Tensor, optional
        Rescales each element's loss.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-element losses are combined.
    pos_weight : Tensor, optional
        A weight on the positive examples of each class.

    Shape
    -----
    Input and target: the same shape. Output: scalar, or the input's shape with ``reduction='none'``.
    """
    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class HuberLoss(_Loss):
    """Huber loss: squared error below ``delta``, linear (slope ``delta``) above.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-element losses are combined.
    delta : float, default 1.0

    Shape
    -----
    Input and target: the same shape. Output: scalar, or the input's shape with ``reduction='none'``.
    """
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: Huber loss divided by ``beta``.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-element losses are combined.
    beta : float, default 1.0

    Shape
    -----
    Input and target: the same shape. Output: scalar, or the input's shape with ``reduction='none'``.
    """
    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)
