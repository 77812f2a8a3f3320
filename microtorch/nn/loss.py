"""Loss layers: each calls the function of the same name in microtorch.nn.functional."""
from microtorch.nn import functional as F
from microtorch.nn.module import Module
from microtorch.tensor import Tensor

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


class _WeightedLoss(_Loss):
    """A loss with a class weight, kept as a buffer (in state_dict when given), as in torch."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight if weight is None or isinstance(weight, Tensor) else Tensor(weight))


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits against class indices or probabilities, as torch.nn.CrossEntropyLoss.

    Parameters
    ----------
    weight : Tensor, optional
        (C,): each class's weight; a buffer of the layer.
    ignore_index : int
        Class-index targets equal to it are left out, of the loss and of the mean.
    reduction : {"mean", "sum", "none"}
    label_smoothing : float
        In [0, 1]: how much of the uniform distribution is mixed into each target.

    Shape
    -----
    Input (N, C, d1, ...) or (C,); target (N, d1, ...) or () of class indices, or shaped like the input
    (probabilities); output 0-d, or the target's shape with reduction="none".
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities at class targets, as torch.nn.NLLLoss.

    Parameters as CrossEntropyLoss, without label_smoothing.

    Shape
    -----
    Input (N, C, d1, ...) or (C,); target (N, d1, ...) or () of class indices; output 0-d, or the
    target's shape with reduction="none".
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

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


class BCELoss(_WeightedLoss):
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
        super().__init__(weight, reduction)

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
