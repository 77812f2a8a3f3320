"""Learning-rate schedules, as torch.optim.lr_scheduler: call scheduler.step() once per epoch (or step).

Each scheduler computes the next learning rate from the current one (PyTorch's chainable
form), so two schedulers on one optimizer compose the way they do in PyTorch.
"""
import math
from collections import Counter

from microtorch.optim.optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"]


class LRScheduler:
    """Base class of schedules: on every :meth:`step`, set each param group's ``lr`` to :meth:`get_lr`.

    Parameters
    ----------
    optimizer : Optimizer
    last_epoch : int, default -1
        The index of the last epoch, to resume a schedule; -1 starts afresh.

    Notes
    -----
    Creating a scheduler already calls ``step()`` once, as in PyTorch; call ``scheduler.step()``
    after ``optimizer.step()``, once per epoch (or per iteration).
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: param group {i} has no 'initial_lr'; it is needed to resume "
                               f"a schedule (last_epoch={last_epoch})")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self.step()

    def get_lr(self):
        """Return the learning rates for the current ``last_epoch``, one per param group.

        Subclasses define it.

        Returns
        -------
        list of float
        """
        raise NotImplementedError

    def get_last_lr(self):
        """The learning rates the last step() set, one per param group."""
        return list(self._last_lr)

    def step(self):
        """Advance the schedule by one epoch and set the new learning rates.

        Notes
        -----
        PyTorch's deprecated ``epoch`` argument is not accepted.
        """
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Return the schedule's state (everything but the optimizer).

        Returns
        -------
        dict
        """
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a state returned by :meth:`state_dict`.

        Parameters
        ----------
        state_dict : dict
        """
        self.__dict__.update(state_dict)

    def _lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class LambdaLR(LRScheduler):
    """Set lr to ``initial_lr * lr_lambda(epoch)``: one function, or one per param group.

    Parameters
    ----------
    optimizer : Optimizer
    lr_lambda : callable or list of callable
    last_epoch : int, default -1
        The index of the last epoch, to resume a schedule; -1 starts afresh.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(self.lr_lambdas) != groups:
            raise ValueError(f"LambdaLR: expected {groups} lr_lambdas, got {len(self.lr_lambdas)}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return the learning rates for the current ``last_epoch``, one per param group.

        Returns
        -------
        list of float
        """
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self):
        """Return the schedule's state; the lambdas are left out (they may not be picklable), as in PyTorch.

        Returns
        -------
        dict
        """
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}


class StepLR(LRScheduler):
    """Multiply the learning rate by gamma every step_size epochs.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
    gamma : float, default 0.1
    last_epoch : int, default -1
        The index of the last epoch, to resume a schedule; -1 starts afresh.

    Examples
    --------
    >>> import microtorch as torch
    >>> w = torch.zeros(2, requires_grad=True)
    >>> opt = torch.optim.SGD([w], lr=0.1)
    >>> sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2)
    >>> for epoch in range(3):
    ...     opt.step()
    ...     sched.step()
    >>> sched.get_last_lr()
    [0.010000000000000002]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return the learning rates for the current ``last_epoch``, one per param group.

        Returns
        -------
        list of float
        """
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by gamma at each milestone epoch.

    Parameters
    ----------
    optimizer : Optimizer
    milestones : list of int
    gamma : float, default 0.1
    last_epoch : int, default -1
        The index of the last epoch, to resume a schedule; -1 starts afresh.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return the learning rates for the current ``last_epoch``, one per param group.

        Returns
        -------
        list of float
        """
        if self.last_epoch not in self.milestones:
            return self._lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by gamma every epoch.

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
    last_epoch : int, default -1
        The index of the last epoch, to resume a schedule; -1 starts afresh.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return the learning rates for the current ``last_epoch``, one per param group.

        Returns
        -------
        list of float
        """
        return self._lrs() if self.last_epoch == 0 else [lr * self.gamma for lr in self._lrs()]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the initial lr down to eta_min over T_max epochs (then back up, periodically).

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
    eta_min : float, default 0.0
    last_epoch : int, default -1
        The index of the last epoch, to resume a schedule; -1 starts afresh.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive int, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return the learning rates for the current ``last_epoch``, one per param group.

        Returns
        -------
        list of float
        """
        epoch, period = self.last_epoch, self.T_max
        if epoch == 0:
            return self._lrs()
        if self._step_count == 1 and epoch > 0:  # resuming: the closed form
            return [self.eta_min + (base - self.eta_min) * (1 + math.cos(epoch * math.pi / period)) / 2
                    for base in self.base_lrs]
        if (epoch - 1 - period) % (2 * period) == 0:  # at the bottom: the recurrence below would divide by zero
            return [lr + (base - self.eta_min) * (1 - math.cos(math.pi / period)) / 2
                    for lr, base in zip(self._lrs(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * epoch / period)) / (1 + math.cos(math.pi * (epoch - 1) / period))
        return [ratio * (lr - self.eta_min) + self.eta_min for lr in self._lrs()]


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from start_factor to end_factor over total_iters steps (warmup).

    Parameters
    ----------
    optimizer : Optimizer
    start_factor : float, default 1/3
    end_factor : float, default 1.0
    total_iters : int, default 5
    last_epoch : int, default -1
        The index of the last epoch, to resume a schedule; -1 starts afresh.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], "
                             f"got {start_factor} and {end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return the learning rates for the current ``last_epoch``, one per param group.

        Returns
        -------
        list of float
        """
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._lrs()]
        if self.last_epoch > self.total_iters:
            return self._lrs()
        change = self.end_factor - self.start_factor
        factor = 1 + change / (self.total_iters * self.start_factor + (self.last_epoch - 1) * change)
        return [lr * factor for lr in self._lrs()]
