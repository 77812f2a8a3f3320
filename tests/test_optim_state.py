"""Optimizer and scheduler state_dict/load_state_dict: torch's structure, Tensors for state, checks
with torch's messages, exact continuation through a checkpoint file, and state read from torch."""
import copy

import numpy as np
import pytest

import microtorch as mt
from microtorch.optim import lr_scheduler

OPTIMIZERS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}), ("AdamW", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}), ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
]
SCHEDULERS = [
    lambda opt: lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
    lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[1, 3, 3], gamma=0.5),
    lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9),
    lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=3, eta_min=0.001),
    lambda opt: lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=4),
    lambda opt: lr_scheduler.LambdaLR(opt, lambda epoch: 0.5 ** epoch),
]


def make(name, settings, seed=0):
    mt.manual_seed(seed)
    model = mt.nn.Sequential(mt.nn.Linear(3, 4), mt.nn.Tanh(), mt.nn.Linear(4, 2))
    groups = [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": settings["lr"] / 2}]
    return model, getattr(mt.optim, name)(groups, **settings)


def train(model, opt, steps, schedule=None, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        opt.zero_grad()
        x = mt.tensor(rng.standard_normal((5, 3)).astype(np.float32))
        (model(x) ** 2).mean().backward()
        opt.step()
        if schedule is not None:
            schedule.step()


@pytest.mark.parametrize("name, settings", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_state_dict_structure_holds_tensor_copies(name, settings):
    model, opt = make(name, settings)
    train(model, opt, 2)
    state = opt.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert [g["params"] for g in state["param_groups"]] == [[0, 1], [2, 3]]
    assert sorted(state["state"]) == [0, 1, 2, 3]
    arrays = {key: value for key, value in state["state"][0].items() if not isinstance(value, (int, float))}
    assert arrays and all(isinstance(v, mt.Tensor) and v.shape == model[0].weight.shape for v in arrays.values())
    before = {key: value.numpy().copy() for key, value in arrays.items()}
    train(model, opt, 1)
    for key, value in arrays.items():  # a saved state does not move on with later steps
        np.testing.assert_array_equal(value.numpy(), before[key])


@pytest.mark.parametrize("name, settings", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_resume_through_a_file_continues_exactly(tmp_path, name, settings):
    model, opt = make(name, settings)
    train(model, opt, 3)
    mt.save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "c.pt")
    train(model, opt, 3, seed=1)

    resumed_model, resumed = make(name, {**settings, "lr": 1.0}, seed=1)  # other weights and settings
    checkpoint = mt.load(tmp_path / "c.pt")
    resumed_model.load_state_dict(checkpoint["model"])
    resumed.load_state_dict(checkpoint["optim"])
    assert [g["lr"] for g in resumed.param_groups] == [settings["lr"], settings["lr"] / 2]
    train(resumed_model, resumed, 3, seed=1)
    for a, b in zip(model.parameters(), resumed_model.parameters()):
        assert a.numpy().tobytes() == b.numpy().tobytes()


def test_load_state_dict_checks_with_torchs_messages_and_changes_nothing():
    model, opt = make("Adam", {"lr": 0.01})
    train(model, opt, 1)
    state = opt.state_dict()
    fresh_model, fresh = make("Adam", {"lr": 0.5})
    one_group = mt.optim.Adam(fresh_model.parameters())
    with pytest.raises(ValueError, match="^loaded state dict has a different number of parameter groups$"):
        one_group.load_state_dict(state)
    short = copy.deepcopy(state)
    short["param_groups"][1]["params"] = [2]
    with pytest.raises(ValueError, match="^loaded state dict contains a parameter group that doesn't match the size "
                                         "of optimizer's group$"):
        fresh.load_state_dict(short)
    wrong = copy.deepcopy(state)
    wrong["state"][3]["exp_avg"] = mt.zeros(5)
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 3 has shape \(5,\), but the parameter has "
                                         r"shape \(2,\)"):
        fresh.load_state_dict(wrong)
    stray = copy.deepcopy(state)
    stray["state"][9] = {}
    with pytest.raises(ValueError, match="state for parameter 9, which none of its parameter groups lists"):
        fresh.load_state_dict(stray)
    with pytest.raises(ValueError, match="expected a dict with 'state' and 'param_groups'"):
        fresh.load_state_dict({"lr": 1})
    assert fresh.state == {} and [g["lr"] for g in fresh.param_groups] == [0.5, 0.25]


def test_state_from_arrays_is_cast_to_the_parameter_dtype():
    model, opt = make("SGD", {"lr": 0.1, "momentum": 0.9})
    train(model, opt, 1)
    state = opt.state_dict()
    state["state"][0]["momentum_buffer"] = state["state"][0]["momentum_buffer"].numpy().astype(np.float64)
    other_model, other = make("SGD", {"lr": 0.1, "momentum": 0.9})
    other.load_state_dict(state)
    assert other.state[other_model[0].weight]["momentum_buffer"].dtype == np.float32


@pytest.mark.parametrize("make_schedule", SCHEDULERS, ids=["step", "multistep", "exponential", "cosine", "linear",
                                                           "lambda"])
def test_every_scheduler_resumes_through_a_file(tmp_path, make_schedule):
    model, opt = make("SGD", {"lr": 0.1, "momentum": 0.9})
    schedule = make_schedule(opt)
    train(model, opt, 3, schedule)
    mt.save({"optim": opt.state_dict(), "schedule": schedule.state_dict()}, tmp_path / "c.pt")
    lrs = []
    for _ in range(6):
        train(model, opt, 1, schedule)
        lrs.append(schedule.get_last_lr())

    _, resumed_opt = make("SGD", {"lr": 0.1, "momentum": 0.9})
    resumed = make_schedule(resumed_opt)
    checkpoint = mt.load(tmp_path / "c.pt")
    resumed_opt.load_state_dict(checkpoint["optim"])
    resumed.load_state_dict(checkpoint["schedule"])
    resumed_lrs = []
    for _ in range(6):
        resumed.step()
        resumed_lrs.append(resumed.get_last_lr())
    assert resumed_lrs == lrs


def test_an_optimizer_state_saved_by_torch_continues_torchs_trajectory(tmp_path):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(3, 2).double()
    their_opt = torch.optim.Adam(theirs.parameters(), lr=0.05)
    x = torch.tensor(np.random.default_rng(0).standard_normal((4, 3)))
    for _ in range(3):
        their_opt.zero_grad()
        (theirs(x) ** 2).mean().backward()
        their_opt.step()
    torch.save({"model": theirs.state_dict(), "optim": their_opt.state_dict()}, tmp_path / "torch.pt")

    checkpoint = mt.load(tmp_path / "torch.pt")
    ours = mt.nn.Linear(3, 2)
    ours.weight, ours.bias = (mt.nn.Parameter(mt.zeros(*p.shape, dtype=np.float64)) for p in (ours.weight, ours.bias))
    ours.load_state_dict(checkpoint["model"])
    our_opt = mt.optim.Adam(ours.parameters(), lr=1.0)
    our_opt.load_state_dict(checkpoint["optim"])
    assert our_opt.state[ours.weight]["step"] == 3
    for _ in range(3):
        their_opt.zero_grad()
        (theirs(x) ** 2).mean().backward()
        their_opt.step()
        our_opt.zero_grad()
        (ours(mt.tensor(x.numpy())) ** 2).mean().backward()
        our_opt.step()
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12, atol=1e-14)
