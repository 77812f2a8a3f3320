"""The scalar engine (microtorch._scalar.Var) and scalar nets, checked against PyTorch in float64."""
import contextlib
import copy
import gc
import importlib.util
import io
import math
import pathlib
import pickle
import random
import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from hypothesis import given, settings, strategies as st  # noqa: E402

from microtorch._grad_mode import enable_grad, no_grad, set_grad_enabled  # noqa: E402
from microtorch._scalar import _tape_size  # noqa: E402
from microtorch.scalar import MLP, Layer, Neuron, Var  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
REL = 1e-9


def close(ours, theirs, rel=REL, abs_tol=1e-12):
    if math.isnan(theirs):
        return math.isnan(ours)
    if math.isinf(theirs):
        return ours == theirs
    return math.isclose(ours, theirs, rel_tol=rel, abs_tol=abs_tol)


def leaves(*values):
    return [Var(v, requires_grad=True) for v in values], \
           [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in values]


def torch_grad(t):
    return 0.0 if t.grad is None else t.grad.item()


def check(fn, *values):
    """fn on Vars and on float64 tensors: same value, same gradient for every input."""
    ours, theirs = leaves(*values)
    out, expected = fn(*ours), fn(*theirs)
    assert close(out.val, expected.item()), (out.val, expected.item())
    out.backward()
    expected.backward()
    for v, t in zip(ours, theirs):
        assert close(v.grad, torch_grad(t)), (values, v.grad, torch_grad(t))


# ---- every op against PyTorch -------------------------------------------------------------

UNARY = {
    "neg": (lambda x: -x, [-1.5, 0.0, 2.0]),
    "exp": (lambda x: x.exp(), [-3.0, 0.0, 1.7]),
    "log": (lambda x: x.log(), [1e-3, 0.5, 7.0]),
    "sqrt": (lambda x: x.sqrt(), [0.0, 0.25, 9.0]),
    "sin": (lambda x: x.sin(), [-2.0, 0.0, 1.3]),
    "cos": (lambda x: x.cos(), [-2.0, 0.0, 1.3]),
    "tanh": (lambda x: x.tanh(), [-25.0, -0.7, 0.0, 0.9, 25.0]),
    "relu": (lambda x: x.relu(), [-1.0, 0.0, 2.5]),
    "sigmoid": (lambda x: x.sigmoid(), [-800.0, -2.0, 0.0, 3.0, 800.0]),
    "abs": (lambda x: abs(x), [-1.5, 0.0, 2.0]),
    "abs method": (lambda x: x.abs(), [-1.5, 2.0]),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_match_torch(name):
    fn, points = UNARY[name]
    for x in points:
        check(fn, x)


BINARY = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
    "**": lambda x, y: x ** y,
}
PAIRS = [(1.5, 2.0), (0.3, -1.25), (2.5, 3.0), (4.0, 0.5)]


@pytest.mark.parametrize("op", BINARY)
def test_binary_ops_match_torch(op):
    fn = BINARY[op]
    for x, y in PAIRS:
        check(fn, x, y)                                 # Var op Var (Var exponent for **)
        check(lambda a: fn(a, y), x)                    # Var op number
        check(lambda b: fn(x, b), y)                    # number op Var
        check(lambda a: fn(a, a), x)                    # both operands the same Var


@pytest.mark.parametrize("number", [2, 2.0, True, np.float64(2.0), np.float32(2.0), np.int64(2)])
def test_numbers_of_every_kind_on_either_side(number):
    x = Var(3.0, requires_grad=True)
    c = float(number)
    for out, value, grad in [(x * number, 3 * c, c), (number * x, 3 * c, c), (number - x, c - 3, -1.0)]:
        assert type(out) is Var and out.val == value
        x.grad = 0
        out.backward()
        assert x.grad == grad


def test_pow_edge_derivatives_match_torch():
    # Values are fine here; the derivatives are inf, nan or masked to 0, as in PyTorch.
    for base, exponent in [(0.0, 2.0), (0.0, 0.5), (-2.0, 2.0), (-2.0, 3.0), (0.0, 0.0), (2.0, 0.0)]:
        check(lambda a, b: a ** b, base, exponent)
        check(lambda a: a ** exponent, base)
        check(lambda b: base ** b, exponent)


def test_in_place_forms_rebind():
    x = Var(2.0, requires_grad=True)
    y = x
    y += 1
    y -= x
    y *= x
    y /= 4
    y **= 2
    assert y is not x and x.val == 2.0
    check(lambda a: (((a + 1) - a) * a / 4) ** 2, 2.0)


def test_sum_of_a_list():
    xs = [Var(float(i), requires_grad=True) for i in range(5)]
    total = sum(xs)
    assert total.val == 10.0
    total.backward()
    assert [x.grad for x in xs] == [1.0] * 5


# ---- random expression trees --------------------------------------------------------------

NAMES = ["a", "b", "c"]
# Every op is total on its input, so any tree is defined: the partial ops get safe arguments.
UNARY_TREE = {
    "neg": lambda x: -x,
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "relu": lambda x: x.relu(),
    "abs": lambda x: abs(x),
    "exp": lambda x: x.tanh().exp(),
    "log": lambda x: (x * x + 1).log(),
    "sqrt": lambda x: (x * x + 1).sqrt(),
    "square": lambda x: x ** 2,
}
BINARY_TREE = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / (y * y + 1),
    "**": lambda x, y: (x * x + 1) ** y.tanh() if not isinstance(y, float) else (x * x + 1) ** y,
    "r/": lambda x, y: y / (x * x + 1),
}
numbers_ = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))
trees = st.recursive(
    st.sampled_from(NAMES),
    lambda sub: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY_TREE)), sub),
        st.tuples(st.sampled_from(sorted(BINARY_TREE)), sub, sub),
        st.tuples(st.sampled_from(sorted(BINARY_TREE)), sub, numbers_),
        st.tuples(st.sampled_from(["+", "-", "*"]), numbers_, sub),
    ),
    max_leaves=12,
)


def evaluate(tree, env):
    if isinstance(tree, str):
        return env[tree]
    if isinstance(tree, float):
        return tree
    if len(tree) == 2:
        return UNARY_TREE[tree[0]](evaluate(tree[1], env))
    return BINARY_TREE[tree[0]](evaluate(tree[1], env), evaluate(tree[2], env))


@settings(max_examples=200, deadline=None)
@given(tree=trees, values=st.tuples(numbers_, numbers_, numbers_))
def test_random_expression_trees_match_torch(tree, values):
    ours, theirs = leaves(*values)
    out = evaluate(tree, dict(zip(NAMES, ours)))
    expected = evaluate(tree, dict(zip(NAMES, theirs)))
    assert close(out.val, expected.item())
    out.backward()
    expected.backward()
    for v, t in zip(ours, theirs):
        assert close(v.grad, torch_grad(t), rel=1e-8, abs_tol=1e-10), (tree, values)


# ---- backward semantics -------------------------------------------------------------------

def test_the_original_example():
    spec = importlib.util.spec_from_file_location("scalar_readme", ROOT / "examples" / "scalar_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        g, a, b = module.main()
    assert out.getvalue().split() == ["24.7041", "222.1341", "978.7784"]
    assert abs(a.grad - 222.1341) < 1e-4 and abs(b.grad - 978.7784) < 1e-4


def test_ten_million_op_chain_backpropagates():
    x = Var(1.0, requires_grad=True)
    y = x
    for _ in range(5_000_000):      # two ops per step
        y = y * 1.0000001 + 1e-9
    y.backward()
    assert math.isclose(x.grad, 1.0000001 ** 5_000_000, rel_tol=1e-8)
    assert y.inputs == () and y.grad == 0.0     # released as it went


def test_dropping_a_ten_million_op_chain_does_not_recurse():
    x = Var(1.0, requires_grad=True)
    y = x
    for _ in range(5_000_000):
        y = (y + 1.0) * 0.5
    assert y.op == "*" and math.isclose(y.val, 1.0)
    del y                           # nothing can reach the tape now: it is emptied and shrunk
    assert _tape_size()[0] < 100 and _tape_size()[1] <= 1 << 16
    wide = [Var(float(i), requires_grad=True) for i in range(1024)]
    while len(wide) > 1:            # a balanced tree, freed without backward
        wide = [wide[i] * wide[i + 1] for i in range(0, len(wide), 2)]
    del wide
    assert x.grad == 0.0 and gc.collect() >= 0


def test_retained_chain_can_be_dropped_after_backward():
    x = Var(1.0, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y.tanh() + 0.5
    y.backward(retain_graph=True)
    first = x.grad
    y.backward()
    assert x.grad == 2 * first
    del y


def test_a_loop_without_backward_keeps_the_tape_bounded():
    # Each result stays alive while the next is recorded, so the tape is never empty; the
    # entries no live Var can reach are dropped once it grows.
    w = Var(0.5, requires_grad=True)
    y = None
    for i in range(3_000_000):
        y = (w * (i % 7)).tanh()
    assert _tape_size()[0] < 2_200_000
    y.backward()
    t = math.tanh(0.5 * 2)          # the last i is 2_999_999, and 2_999_999 % 7 == 2
    assert math.isclose(w.grad, (1 - t * t) * 2)


def test_a_kept_graph_survives_compaction_and_released_ones_stay_released():
    a = Var(0.3, requires_grad=True)
    b = Var(-1.2, requires_grad=True)
    kept = (a * b + a.exp()).tanh() * b
    times_three = a * 3.0
    shared = a.sin()
    first, second = shared * 2, shared + b
    first.backward()                        # releases first and shared
    assert math.isclose(a.grad, 2 * math.cos(0.3))
    a.grad = 0
    for i in range(2_500_000):              # compacts the tape while the graphs above are alive
        b * float(i)
    t = math.tanh(0.3 * -1.2 + math.exp(0.3))
    kept.backward(retain_graph=True)
    assert math.isclose(a.grad, (1 - t * t) * (b.val + math.exp(0.3)) * b.val)
    assert math.isclose(b.grad, (1 - t * t) * a.val * b.val + t)
    assert kept.op == "*" and kept.inputs[1] is b and kept.inputs[0].op == "tanh"
    with pytest.raises(RuntimeError, match="second time"):
        first.backward()
    with pytest.raises(RuntimeError, match="second time"):
        second.backward()
    assert shared.inputs == () and first.inputs == ()
    before = a.grad
    times_three.backward()
    assert math.isclose(a.grad, before + 3.0)


def test_a_released_result_used_in_a_new_graph():
    a = Var(2.0, requires_grad=True)
    y = a * 3
    y.backward()
    assert a.grad == 3.0 and y.inputs == () and y.op == "*"
    z = y * 2 + a                   # fine as a value; backward through y is not
    assert z.val == 14.0
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()
    assert a.grad == 3.0
    (a * 1.0).backward()
    assert a.grad == 4.0


def test_inputs_return_the_live_var_of_each_op():
    a = Var(2.0, requires_grad=True)
    h = a * 2
    y = h * h + h
    left, right = y.inputs
    assert right is h and left.inputs == (h, h) and left.inputs[0] is h


def test_graphs_built_in_other_threads():
    a = Var(2.0, requires_grad=True)
    made = {}
    thread = threading.Thread(target=lambda: made.update(y=(a * 3).tanh()))
    thread.start()
    thread.join()
    z = made.pop("y") * a
    z.backward()
    t = math.tanh(6.0)
    assert math.isclose(a.grad, (1 - t * t) * 3 * 2 + t)


def test_leaf_gradients_accumulate_across_backward_calls():
    a, b = Var(3.0, requires_grad=True), Var(-2.0, requires_grad=True)
    y = a * b + a
    y.backward(retain_graph=True)
    assert (a.grad, b.grad) == (-1.0, 3.0)
    y.backward()
    assert (a.grad, b.grad) == (-2.0, 6.0)
    a.grad = 0
    b.grad = 0.0
    (a * b).backward(gradient=2.0)
    assert (a.grad, b.grad) == (-4.0, 6.0)


def test_intermediate_gradients_are_not_kept():
    a = Var(3.0, requires_grad=True)
    hidden = a * 2
    out = hidden * hidden
    out.backward(retain_graph=True)
    assert a.grad == 24.0
    assert hidden.grad == 0.0 and out.grad == 0.0
    assert not hidden.is_leaf and a.is_leaf


def test_second_backward_through_a_released_graph_raises_and_changes_nothing():
    a = Var(3.0, requires_grad=True)
    shared = a.exp()
    first, second = shared * 2, shared + 1
    first.backward()
    assert math.isclose(a.grad, 2 * math.exp(3.0))
    grad_before = a.grad
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        first.backward()
    with pytest.raises(RuntimeError, match="second time"):
        second.backward()       # its graph runs through `shared`, released by the first backward
    assert a.grad == grad_before
    (a * a).backward()          # consumer counts were reset by the failed attempts
    assert math.isclose(a.grad, grad_before + 6.0)


def test_backward_of_a_var_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Var(1.0) * 2).backward()
    leaf = Var(1.0, requires_grad=True)
    leaf.backward()
    assert leaf.grad == 1.0


def test_only_inputs_that_require_grad_get_gradients():
    a, constant = Var(2.0, requires_grad=True), Var(5.0)
    y = a * constant
    assert y.requires_grad and not (constant * constant).requires_grad
    y.backward()
    assert (a.grad, constant.grad) == (5.0, 0.0)


def test_no_grad_records_nothing():
    a = Var(2.0, requires_grad=True)
    with no_grad():
        y = (a * a + 1).tanh()
        with enable_grad():
            z = a * 3
    assert not y.requires_grad and y.is_leaf and y.inputs == () and y.op == ""
    assert z.requires_grad and z.op == "*"
    with set_grad_enabled(False):
        assert not (a + 1).requires_grad
    assert (a + 1).requires_grad

    @no_grad()
    def forward(x):
        return x * 2

    assert not forward(a).requires_grad


def test_grad_mode_is_per_thread():
    a = Var(2.0, requires_grad=True)
    seen = []
    with no_grad():
        thread = threading.Thread(target=lambda: seen.append((a * 2).requires_grad))
        thread.start()
        thread.join()
        assert not (a * 2).requires_grad
    assert seen == [True]


def test_requires_grad_can_change_on_leaves_only():
    a = Var(1.0)
    a.requires_grad = True
    y = a * 2
    with pytest.raises(RuntimeError, match="leaves"):
        y.requires_grad = False
    assert not y.detach().requires_grad and y.detach().val == 2.0


# ---- errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, error, message", [
    (lambda: Var(-1.0).log(), ValueError, "math domain error: log of non-positive value -1.0"),
    (lambda: Var(0.0).log(), ValueError, "log of non-positive value 0.0"),
    (lambda: Var(-4.0).sqrt(), ValueError, "sqrt of negative value -4.0"),
    (lambda: Var(math.inf).sin(), ValueError, "sin of infinite value inf"),
    (lambda: Var(1.0) / Var(0.0), ZeroDivisionError, "division by zero: 1.0 / 0.0"),
    (lambda: Var(1.0) / 0, ZeroDivisionError, "division by zero"),
    (lambda: 2 / Var(0.0), ZeroDivisionError, "division by zero: 2.0 / 0.0"),
    (lambda: Var(0.0) ** -1, ZeroDivisionError, "0.0 cannot be raised to a negative power"),
    (lambda: Var(-8.0) ** (1 / 3), ValueError, "negative base -8.0 to non-integer exponent"),
    (lambda: Var(1000.0).exp(), OverflowError, r"exp\(1000.0\) overflows"),
    (lambda: Var(10.0) ** Var(400.0), OverflowError, "overflows"),
])
def test_domain_errors_follow_python_math(fn, error, message):
    with pytest.raises(error, match=message):
        fn()


def test_domain_errors_under_grad_leave_inputs_alone():
    a = Var(-1.0, requires_grad=True)
    with pytest.raises(ValueError):
        a.log()
    assert a.val == -1.0 and a.grad == 0.0


def test_ieee_special_values_pass_through():
    assert math.isnan(Var(math.nan).log().val)
    assert Var(math.inf).exp().val == math.inf
    assert Var(1e308) * 10 == math.inf          # like float: no error for * overflow


@pytest.mark.parametrize("bad, name", [("3", "str"), (None, "NoneType"), (1j, "complex"), ([1.0], "list")])
def test_non_numbers_are_type_errors_naming_the_type(bad, name):
    with pytest.raises(TypeError, match=f"Var\\(value\\): expected a real number, got {name}"):
        Var(bad)
    x = Var(1.0)
    with pytest.raises(TypeError, match=name):
        x + bad
    with pytest.raises(TypeError):     # str and list try repetition: Python words that message
        bad * x
    with pytest.raises(TypeError, match=f"Var.val: expected a real number, got {name}"):
        x.val = bad
    with pytest.raises(TypeError, match="Var.grad"):
        x.grad = bad


def test_var_of_a_var_points_to_item():
    with pytest.raises(TypeError, match=r"got Var \(use v.item\(\)"):
        Var(Var(1.0))


def test_bool_is_a_number_as_in_python():
    assert Var(True).val == 1.0 and (Var(2.0) * False).val == 0.0


# ---- the Python surface ----------------------------------------------------------------

def test_val_grad_data_item_float_repr():
    p = Var(2, req_grad=True)
    assert p.requires_grad and type(p.val) is float and p.val == 2.0
    p.grad = 0.5
    p.val -= 0.1 * p.grad
    assert p.val == 1.95 and p.data == 1.95 and p.item() == 1.95 and float(p) == 1.95
    p.data = 3
    assert p.val == 3.0
    assert repr(p) == "Var(val=3.0000, grad=0.5000)"


def test_truth_value_pickle_and_copy():
    assert not Var(0.0) and Var(-2.0)
    p = Var(1.5, requires_grad=True)
    p.grad = 0.25
    for clone in (pickle.loads(pickle.dumps(p)), copy.deepcopy(p), copy.copy(p)):
        assert clone is not p and (clone.val, clone.grad, clone.requires_grad) == (1.5, 0.25, True)
    with pytest.raises(RuntimeError, match="only leaf Vars"):
        pickle.dumps(p * 2)


def test_comparisons_by_value_and_identity_hash():
    a, b = Var(1.0), Var(1.0)
    assert a == b and a == 1 and 1.0 == a and not a != b
    assert Var(1.0) < 2 < Var(3.0) and Var(2.0) >= Var(2.0) and Var(2.0) <= 2.0 and Var(3.0) > Var(2.0)
    assert (a == "1") is False
    assert len({a, b}) == 2 and {a: 1, b: 2}[a] == 1     # equal values, distinct keys


def test_graph_properties_for_drawing():
    a = Var(2.0, requires_grad=True)
    b = Var(3.0, requires_grad=True)
    product = a * b
    assert (product.op, product.op_args, product.inputs) == ("*", "*", (a, b))
    scaled = 10.0 / a
    assert scaled.op == "/" and scaled.op_args == "10.0 /"
    constant, operand = scaled.inputs
    assert operand is a and constant.val == 10.0 and not constant.requires_grad
    shifted = a + 1
    assert shifted.op_args == "+ 1.0" and shifted.inputs[1].val == 1.0
    assert a.tanh().op == "tanh" and a.tanh().inputs == (a,)
    assert (a ** b).op == "**" and (-a).op == "neg"
    assert a.op == "" and a.inputs == () and a.op_args == ""


def test_numpy_scalars_on_the_left_give_vars():
    a = Var(2.0, requires_grad=True)
    out = np.float64(3.0) * a
    assert type(out) is Var and out.val == 6.0
    out.backward()
    assert a.grad == 3.0


# ---- scalar nets ---------------------------------------------------------------------------

def test_mlp_parameters_and_zero_grad():
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    assert len(params) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1) == 337
    assert all(p.requires_grad and p.is_leaf for p in params)
    out = model([Var(0.5), 1.0])
    assert type(out) is Var
    out.backward()
    assert any(p.grad != 0 for p in params)
    model.zero_grad()
    assert all(p.grad == 0 for p in params)


def test_mlp_matches_torch():
    random.seed(1)
    model = MLP(3, [4, 2], act="tanh")
    x = [0.3, -1.2, 0.7]
    outs = model(x)
    loss = sum((o - t) ** 2 for o, t in zip(outs, [1.0, -1.0]))
    loss.backward()
    hidden, last = model.layers
    w1 = torch.tensor([[p.val for p in n.w] for n in hidden.neurons], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([[p.val for p in n.w] for n in last.neurons], dtype=torch.float64, requires_grad=True)
    expected = (((w1 @ torch.tensor(x, dtype=torch.float64)).tanh() @ w2.T - torch.tensor([1.0, -1.0])) ** 2).sum()
    expected.backward()
    assert close(loss.val, expected.item())
    ours = [[p.grad for p in n.w] for n in hidden.neurons]
    assert np.allclose(ours, w1.grad.numpy(), rtol=1e-9, atol=0)


def test_neuron_and_layer_shapes():
    assert len(Layer(3, 4)([1.0, 2.0, 3.0])) == 4
    assert type(Layer(3, 1)([1.0, 2.0, 3.0])) is Var
    neuron = Neuron(2, act="relu")
    assert neuron([-100.0, -100.0]).val >= 0.0 or neuron.w[0].val < 0
    assert Neuron(2, nonlin=False)([1.0, 1.0]).op == "+"
    with pytest.raises(ValueError, match="act"):
        Neuron(2, act="gelu")
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        Neuron(2)([1.0, 2.0, 3.0])


# ---- examples -----------------------------------------------------------------------------

def load_moons():
    spec = importlib.util.spec_from_file_location("moons", ROOT / "examples" / "moons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_moons_quick_writes_a_png(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    out = tmp_path / "moons.png"
    with contextlib.redirect_stdout(io.StringIO()):
        load_moons().main(["--quick", "--out", str(out)])
    assert out.stat().st_size > 1000 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_moons_full_run_reaches_97_percent(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    with contextlib.redirect_stdout(io.StringIO()):
        accuracy = load_moons().main(["--out", str(tmp_path / "moons.png")])
    assert accuracy >= 0.97
