"""Optimizers, schedulers and gradient clipping: 20-step trajectories against PyTorch in float64."""
import copy

import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn.utils import clip_grad_norm_, clip_grad_value_
from microtorch.optim import lr_scheduler

STEPS = 20
TOLERANCE = 1e-6


def make_models(seed=0):
    """The same 4-5-3 tanh network in both libraries, float64, and a fixed batch."""
    microtorch.manual_seed(seed)
    ours = nn.Sequential(nn.Linear(4, 5, dtype=np.float64), nn.Tanh(), nn.Linear(5, 3, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
    return ours, theirs, x, y


def groups_of(model, split, library_settings):
    """Two parameter groups (first layer, second layer) with per-group settings, or one plain list."""
    params = list(model.parameters())
    if not split:
        return params
    return [{"params": params[:2], **library_settings}, {"params": params[2:]}]


def step_both(ours, theirs, x, y, our_opt, their_opt):
    loss = ((ours(microtorch.tensor(x)) - microtorch.tensor(y)) ** 2).mean()
    our_opt.zero_grad()
    loss.backward()
    our_opt.step()
    reference = ((theirs(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
    their_opt.zero_grad()
    reference.backward()
    their_opt.step()
    return loss.item(), reference.item()


def assert_same_parameters(ours, theirs, step):
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), atol=TOLERANCE, rtol=TOLERANCE,
                                   err_msg=f"{name} after step {step}")


OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adam", dict(lr=0.02, amsgrad=True, eps=1e-6)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.005, centered=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2)),
]


@pytest.mark.parametrize("name, settings", OPTIMIZERS)
@pytest.mark.parametrize("split", [False, True])
def test_optimizer_tracks_torch_for_20_steps(name, settings, split):
    ours, theirs, x, y = make_models()
    group_settings = {"lr": settings["lr"] * 0.5}
    our_opt = getattr(microtorch.optim, name)(groups_of(ours, split, group_settings), **settings)
    their_opt = getattr(torch.optim, name)(groups_of(theirs, split, group_settings), **settings)
    losses = []
    for step in range(STEPS):
        loss, reference = step_both(ours, theirs, x, y, our_opt, their_opt)
        np.testing.assert_allclose(loss, reference, rtol=TOLERANCE)
        assert_same_parameters(ours, theirs, step)
        losses.append(loss)
    assert losses[-1] < losses[0]  # it did train
    assert [g["lr"] for g in our_opt.param_groups] == [g["lr"] for g in their_opt.param_groups]


@pytest.mark.parametrize("name, settings", [OPTIMIZERS[1], OPTIMIZERS[6], OPTIMIZERS[8], OPTIMIZERS[10],
                                            OPTIMIZERS[13]])
def test_state_dict_round_trip_continues_the_same_trajectory(name, settings):
    ours, theirs, x, y = make_models()
    our_opt = getattr(microtorch.optim, name)(groups_of(ours, True, {"lr": 0.01}), **settings)
    their_opt = getattr(torch.optim, name)(groups_of(theirs, True, {"lr": 0.01}), **settings)
    for step in range(STEPS // 2):
        step_both(ours, theirs, x, y, our_opt, their_opt)
    saved = our_opt.state_dict()
    theirs_saved = their_opt.state_dict()
    # the same layout as PyTorch's: state by parameter position, with the same entry names
    assert set(saved) == {"state", "param_groups"}
    assert sorted(saved["state"]) == sorted(theirs_saved["state"])
    for index, entries in theirs_saved["state"].items():
        assert set(saved["state"][index]) == set(entries)
    assert [g["params"] for g in saved["param_groups"]] == [g["params"] for g in theirs_saved["param_groups"]]
    saved = copy.deepcopy(saved)

    resumed_model = nn.Sequential(nn.Linear(4, 5, dtype=np.float64), nn.Tanh(), nn.Linear(5, 3, dtype=np.float64))
    resumed_model.load_state_dict(ours.state_dict())
    resumed = getattr(microtorch.optim, name)(groups_of(resumed_model, True, {"lr": 0.5}), lr=0.5)
    resumed.load_state_dict(saved)
    assert [g["lr"] for g in resumed.param_groups] == [g["lr"] for g in our_opt.param_groups]
    for step in range(STEPS // 2, STEPS):
        step_both(resumed_model, theirs, x, y, resumed, their_opt)
        assert_same_parameters(resumed_model, theirs, step)


def test_load_state_dict_rejects_a_different_layout():
    ours, _, _, _ = make_models()
    opt = microtorch.optim.Adam(ours.parameters())
    other = microtorch.optim.Adam(list(ours.parameters())[:2])
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that doesn't match the "
                                         "size of optimizer's group"):
        other.load_state_dict(opt.state_dict())


SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),  # 20 steps run past T_max: up again, as torch
    ("CosineAnnealingLR", dict(T_max=20)),
    ("LinearLR", dict(start_factor=0.25, total_iters=6)),  # linear warmup
    ("LinearLR", dict(start_factor=1.0, end_factor=0.1, total_iters=10)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1 / (1 + epoch))),
]


@pytest.mark.parametrize("name, settings", SCHEDULERS)
def test_scheduler_tracks_torch_for_20_steps(name, settings):
    ours, theirs, x, y = make_models()
    our_opt = microtorch.optim.SGD(groups_of(ours, True, {"lr": 0.05}), lr=0.1, momentum=0.9)
    their_opt = torch.optim.SGD(groups_of(theirs, True, {"lr": 0.05}), lr=0.1, momentum=0.9)
    our_schedule = getattr(lr_scheduler, name)(our_opt, **settings)
    their_schedule = getattr(torch.optim.lr_scheduler, name)(their_opt, **settings)
    np.testing.assert_allclose(our_schedule.get_last_lr(), their_schedule.get_last_lr(), rtol=1e-12)
    for step in range(STEPS):
        step_both(ours, theirs, x, y, our_opt, their_opt)
        our_schedule.step()
        their_schedule.step()
        np.testing.assert_allclose(our_schedule.get_last_lr(), their_schedule.get_last_lr(), rtol=1e-12,
                                   atol=1e-15, err_msg=f"learning rates after step {step}")
        assert_same_parameters(ours, theirs, step)
    assert our_schedule.last_epoch == their_schedule.last_epoch == STEPS


def test_two_schedulers_compose_like_torch():
    ours, theirs, x, y = make_models()
    our_opt, their_opt = microtorch.optim.SGD(ours.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    ours_s = [lr_scheduler.LinearLR(our_opt, 0.1, total_iters=4), lr_scheduler.ExponentialLR(our_opt, 0.9)]
    theirs_s = [torch.optim.lr_scheduler.LinearLR(their_opt, 0.1, total_iters=4),
                torch.optim.lr_scheduler.ExponentialLR(their_opt, 0.9)]
    for step in range(10):
        step_both(ours, theirs, x, y, our_opt, their_opt)
        for a, b in zip(ours_s, theirs_s):
            a.step()
            b.step()
        np.testing.assert_allclose(our_opt.param_groups[0]["lr"], their_opt.param_groups[0]["lr"], rtol=1e-12)


def test_scheduler_state_dict_round_trip():
    ours, _, _, _ = make_models()
    opt = microtorch.optim.SGD(ours.parameters(), lr=0.1)
    schedule = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(5):
        schedule.step()
    state = schedule.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 5
    fresh = lr_scheduler.StepLR(microtorch.optim.SGD(ours.parameters(), lr=0.1), step_size=9)
    fresh.load_state_dict(state)
    assert fresh.step_size == 2 and fresh.last_epoch == 5 and fresh.get_last_lr() == schedule.get_last_lr()


def _grads_pair(seed=0):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal((3, 4)) * 3, rng.standard_normal(5)]
    ours = [microtorch.tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for o, t, g in zip(ours, theirs, grads):
        o.grad = g.copy()
        t.grad = torch.tensor(g)
    return ours, theirs


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1), (2.0, float("inf")), (1e3, 2.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    ours, theirs = _grads_pair()
    total = clip_grad_norm_(ours, max_norm, norm_type)
    reference = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(total.item(), reference.item(), rtol=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_matches_torch_and_skips_missing_grads():
    ours, theirs = _grads_pair(1)
    extra = microtorch.zeros(2, requires_grad=True)  # no gradient: left alone
    clip_grad_value_(ours + [extra], 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy())
    assert extra.grad is None


def test_clip_grad_norm_nonfinite():
    ours, _ = _grads_pair()
    ours[0].grad = np.full((3, 4), np.inf)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)


def test_optimizer_settings_are_checked():
    params = [microtorch.zeros(2, requires_grad=True)]
    for make in (lambda: microtorch.optim.AdamW(params, lr=-1), lambda: microtorch.optim.RMSprop(params, alpha=-0.1),
                 lambda: microtorch.optim.Adagrad(params, lr_decay=-1)):
        with pytest.raises(ValueError, match="Invalid (learning rate|alpha value|lr_decay value): -"):
            make()
