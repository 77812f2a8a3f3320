"""Graph drawings: one walk for DOT, SVG (Graphviz's real `dot` and the built-in layout), mermaid and HTML."""
import os
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import microtorch
from microtorch import nn
from microtorch._scalar import Var
from microtorch.draw import COLOURS, Graph, draw, draw_to_html, graph_of, to_dot, to_mermaid, to_svg

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
SVG = "{http://www.w3.org/2000/svg}"
# Each layout that can run here: Graphviz only where `dot` is installed.
LAYOUTS = [pytest.param("dot", marks=needs_dot), "builtin"]


def render(root, tmp_path, **options):
    """Draw root to SVG (dot by default); its nodes {title: (classes, text lines)} and edges [(from, to)]."""
    options.setdefault("layout", "dot")
    path = draw(root, tmp_path / "graph.svg", **options)
    return svg_parts(ET.parse(path))


def svg_parts(tree):
    nodes, edges = {}, []
    for group in tree.iter(f"{SVG}g"):
        classes = group.get("class", "").split()
        title = group.find(f"{SVG}title").text if group.find(f"{SVG}title") is not None else None
        if "node" in classes:
            nodes[title] = (classes, [text.text for text in group.iter(f"{SVG}text")])
        elif "edge" in classes:
            edges.append(tuple(title.split("->")))
    return nodes, edges


def small_mlp():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = microtorch.randn(5, 3)
    return model, x, model(x)


def kinds(nodes):
    counts = {"op": 0, "leaf": 0, "constant": 0}
    for classes, _ in nodes.values():
        (kind,) = [c for c in classes if c in counts]
        counts[kind] += 1
    return counts


# ---------------------------------------------------------------- the walk

def test_mlp_graph_nodes_edges_and_labels():
    model, x, y = small_mlp()
    nodes, edges = graph_of(y, params=dict(model.named_parameters()))
    labels = {name: lines for name, (kind, lines) in nodes.items()}
    by_first_line = sorted(lines[0] for lines in labels.values())
    # Two Linear layers: weight.T (Permute), x @ W.T (MatMul), + bias (Add); ReLU between.
    assert by_first_line == sorted(["Add", "Add", "MatMul", "MatMul", "Permute(dims=(1, 0))",
                                    "Permute(dims=(1, 0))", "ReLU", "0.weight", "0.bias [" + ", ".join(
                                        f"{v:.4g}" for v in model[0].bias.numpy()) + "]",
                                    "2.weight", "2.bias [" + ", ".join(f"{v:.4g}" for v in model[2].bias.numpy())
                                    + "]", "constant"])
    assert [kind for kind, _ in nodes.values()].count("op") == 7
    assert [kind for kind, _ in nodes.values()].count("leaf") == 4
    assert len(edges) == 11
    root = next(iter(nodes))
    assert nodes[root] == ("op", ["Add", "(5, 2) float32"])
    # every edge joins known nodes, and each op has as many in-edges as tensor inputs
    assert all(a in nodes and b in nodes for a, b in edges)
    in_degree = {name: sum(1 for _, b in edges if b == name) for name in nodes}
    for name, (kind, lines) in nodes.items():
        expected = {"Add": 2, "MatMul": 2, "ReLU": 1, "Permute(dims=(1, 0))": 1}.get(lines[0], 0)
        assert in_degree[name] == expected, lines


def test_op_arguments_shapes_and_dtypes_are_in_labels():
    x = microtorch.randn(2, 3, requires_grad=True)
    y = (x[:, 0:2].sum(1, keepdim=True) * 2.5 - np.ones((2, 1), np.float32)).to(np.float64).mean()
    labels = [lines for _, lines in graph_of(y)[0].values()]
    assert ["Mean(dim=None, keepdim=False)", "() float64"] in labels
    assert ["Sum(dim=1, keepdim=True)", "(2, 1) float32"] in labels
    assert ["GetItem(index=(:, 0:2))", "(2, 2) float32"] in labels
    assert ["Mul(b=2.5)", "(2, 1) float32"] in labels
    assert ["constant [[1], [1]]", "(2, 1) float32"] in labels
    assert ["leaf", "(2, 3) float32"] in labels
    assert ["_Cast(dtype=float64)", "(2, 1) float64"] in labels


def test_shared_nodes_are_drawn_once():
    a = microtorch.randn(3, requires_grad=True)
    constant = np.arange(3.0, dtype=np.float32)
    h = a * constant
    z = h * h + h * constant   # h used three times, the constant twice
    nodes, edges = graph_of(z)
    assert [kind for kind, _ in nodes.values()].count("leaf") == 1
    assert [kind for kind, _ in nodes.values()].count("constant") == 1
    assert [kind for kind, _ in nodes.values()].count("op") == 4  # h, h*h, h*c, +
    assert len(edges) == 8
    h_node = [n for n, (kind, lines) in nodes.items() if kind == "op" and
              sum(1 for a_, _ in edges if a_ == n) == 3]
    assert len(h_node) == 1


def test_leaf_and_constant_roots():
    leaf = microtorch.tensor([1.5, 2.0], requires_grad=True)
    assert graph_of(leaf) == ({"n0": ("leaf", ["leaf [1.5, 2]", "(2,) float32"])}, [])
    constant = microtorch.zeros(10, 10, dtype=np.int64)
    assert graph_of(constant) == ({"n0": ("constant", ["constant", "(10, 10) int64"])}, [])


def test_deep_chain_walk_is_iterative_and_linear():
    x = microtorch.randn(2, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    nodes, edges = graph_of(y)
    assert len(nodes) == 100_001 and len(edges) == 100_000
    assert to_dot(y).count("->") == 100_000


def test_drawing_after_backward_needs_retain_graph():
    x = microtorch.randn(3, requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        to_dot(y)


def test_show_grad_leaves_retained_and_root():
    x = microtorch.tensor([1.0, -2.0, 3.0], requires_grad=True, dtype=np.float64)
    w = microtorch.tensor([[0.5], [0.25], [-1.0]], requires_grad=True, dtype=np.float64)
    h = x * 3.0
    h.retain_grad()
    y = (h @ w).tanh()
    y.retain_grad()
    y.backward(retain_graph=True)
    nodes, _ = graph_of(y, show_grad=True, params={"x": x, "w": w, "h": h})
    by_first = {lines[0]: lines for _, lines in nodes.values()}
    assert by_first["x [1, -2, 3]"][-1] == "grad [" + ", ".join(f"{v:.4g}" for v in x.grad.numpy()) + "]"
    assert by_first["w [[0.5], [0.25], [-1]]"][-1] == "grad [" + ", ".join(
        f"[{v:.4g}]" for v in w.grad.numpy().ravel()) + "]"
    assert by_first["h"][1:] == ["Mul(b=3.0)", "(3,) float64",
                                 "grad [" + ", ".join(f"{v:.4g}" for v in h.grad.numpy()) + "]"]
    assert by_first["Tanh"][-1] == "grad [1]"             # the root's retained gradient
    assert by_first["MatMul"] == ["MatMul", "(1,) float64"]  # not retained: no gradient shown
    # without show_grad, no gradients
    assert all(not line.startswith("grad") for _, lines in graph_of(y)[0].values() for line in lines)


def test_show_grad_large_gradient_shows_its_norm_and_missing_grad_says_none():
    w = microtorch.randn(10, 10, requires_grad=True)
    unused = microtorch.randn(2, requires_grad=True)
    y = (w * 2).sum() + (unused * 0).sum()
    nodes, _ = graph_of(y, show_grad=True)
    assert ["leaf", "(10, 10) float32", "grad None"] in [lines for _, lines in nodes.values()]
    y.backward(retain_graph=True)
    nodes, _ = graph_of(y, show_grad=True)
    assert ["leaf", "(10, 10) float32", f"grad norm {np.linalg.norm(w.grad.numpy()):.4g}"] in \
        [lines for _, lines in nodes.values()]


def test_rejects_other_objects():
    with pytest.raises(TypeError, match="expected a Tensor or a Var, got ndarray"):
        to_dot(np.ones(3))


# ---------------------------------------------------------------- scalar Vars

def test_var_graph_labels_and_number_operands():
    a = Var(2.0, requires_grad=True)
    b = Var(3.0)
    c = (a * b + 1.0).tanh()
    d = 2.0 / c - a
    nodes, edges = graph_of(d, params={"a": a})
    labels = sorted(lines[0] for _, lines in nodes.values())
    # the number operands live in the op labels, not as nodes; b is a constant Var node
    assert labels == sorted(["-", "2.0 /", "tanh", "+ 1.0", "*", "a", "constant"])
    assert len(edges) == 7
    kinds_of = {lines[0]: kind for kind, lines in nodes.values()}
    assert kinds_of["a"] == "leaf" and kinds_of["constant"] == "constant" and kinds_of["*"] == "op"
    values = {lines[0]: lines[1] for _, lines in nodes.values()}
    assert values["*"] == "val 6" and values["+ 1.0"] == "val 7" and values["constant"] == "val 3"


def test_var_show_grad_deep_chain_and_released_graph():
    a = Var(0.5, requires_grad=True)
    y = a
    for _ in range(20_000):
        y = y * 1.0
    y.backward(retain_graph=True)
    nodes, edges = graph_of(y, show_grad=True)
    assert len(nodes) == 20_001 and len(edges) == 20_000
    assert ["leaf", "val 0.5", "grad 1"] in [lines for _, lines in nodes.values()]
    z = a.exp()
    z.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        to_dot(z)


# ---------------------------------------------------------------- formats

class Tagged(microtorch.Function):
    """Copies x; its constant input `tag` shows in the node's label, to test how labels are escaped."""

    @staticmethod
    def forward(ctx, x, tag):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def test_dot_text_escapes_labels(tmp_path):
    x = microtorch.randn(2, requires_grad=True)
    tag = 'say "hi" \\ bye'  # a quote and a backslash, which DOT must escape
    root = Tagged.apply(x, tag)
    text = to_dot(root)
    assert 'label="Tagged(tag=\'say \\"hi\\" \\\\\\\\ bye\')\\n(2,) float32"' in text
    assert text.startswith("digraph microtorch {") and text.rstrip().endswith("}")
    assert f'fillcolor="{COLOURS["op"]}", class="op"' in text
    assert f'fillcolor="{COLOURS["leaf"]}", class="leaf"' in text
    if shutil.which("dot"):  # and dot reads back exactly the label we meant
        nodes, _ = render(root, tmp_path)
        assert [f"Tagged(tag={tag!r})", "(2,) float32"] in [lines for _, lines in nodes.values()]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_rendered_svg_has_every_node_edge_and_label(tmp_path, layout):
    model, x, y = small_mlp()
    loss = microtorch.cross_entropy(y, microtorch.tensor([0, 1, 1, 0, 1]))
    nodes, edges = render(loss, tmp_path, params=dict(model.named_parameters()), layout=layout)
    walked_nodes, walked_edges = graph_of(loss, params=dict(model.named_parameters()))
    assert len(nodes) == len(walked_nodes) == 14
    assert sorted(edges) == sorted(walked_edges) and len(edges) == 13
    assert kinds(nodes) == {"op": 8, "leaf": 4, "constant": 2}
    for name, (kind, lines) in walked_nodes.items():
        assert nodes[name][1] == lines          # dot drew each label line as written
        assert kind in nodes[name][0]
    texts = [lines for _, lines in nodes.values()]
    (loss_label,) = [lines for lines in texts if lines[0].startswith("CrossEntropy(")]
    assert "reduction='mean'" in loss_label[0] and loss_label[1] == "() float32"
    assert ["2.weight", "(2, 4) float32"] in texts
    svg = (tmp_path / "graph.svg").read_text()
    assert COLOURS["op"] in svg and COLOURS["leaf"] in svg and COLOURS["constant"] in svg


@pytest.mark.parametrize("layout", LAYOUTS)
def test_rendered_svg_of_a_var_graph(tmp_path, layout):
    a, b = Var(1.5, requires_grad=True), Var(-0.5, requires_grad=True)
    out = (a * b + a.exp()).relu()
    out.backward(retain_graph=True)
    nodes, edges = render(out, tmp_path, show_grad=True, layout=layout)
    assert kinds(nodes) == {"op": 4, "leaf": 2, "constant": 0}
    assert len(edges) == 6  # a feeds both * and exp
    texts = [lines for _, lines in nodes.values()]
    assert ["leaf", "val 1.5", f"grad {a.grad:.4g}"] in texts
    assert ["relu", f"val {out.val:.4g}"] in texts


@needs_dot
def test_ten_thousand_op_chain_renders(tmp_path):
    x = microtorch.randn(4, requires_grad=True)
    y = x
    for i in range(10_000):
        y = y * 0.5 if i % 2 else y + 1.0
    nodes, edges = render(y, tmp_path)
    assert len(nodes) == 10_001 and len(edges) == 10_000
    assert kinds(nodes) == {"op": 10_000, "leaf": 1, "constant": 0}
    texts = [lines for _, lines in nodes.values()]
    assert texts.count(["Mul(b=0.5)", "(4,) float32"]) == 5_000
    assert texts.count(["Add(b=1.0)", "(4,) float32"]) == 5_000


@needs_dot
def test_png_and_default_suffix(tmp_path):
    _, _, y = small_mlp()
    path = draw(y, tmp_path / "graph", format="png")
    assert path == str(tmp_path / "graph.png")
    with open(path, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="format must be one of"):
        draw(y, tmp_path / "graph.pdf", format="pdf")


def test_missing_dot_is_named_and_svg_falls_back_to_the_builtin_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot here
    _, _, y = small_mlp()
    for options in [dict(format="png"), dict(layout="dot")]:
        with pytest.raises(RuntimeError, match=r"Graphviz's `dot` program was not found.*apt-get install graphviz"):
            draw(y, tmp_path / "graph", **options)
        assert os.listdir(tmp_path) == []
    assert to_dot(y).startswith("digraph")  # DOT text needs no program
    nodes, edges = svg_parts(ET.parse(draw(y, tmp_path / "graph.svg")))  # layout="auto": the built-in one
    walked_nodes, walked_edges = graph_of(y)
    assert set(nodes) == set(walked_nodes) and sorted(edges) == sorted(walked_edges)
    with pytest.raises(ValueError, match="layout must be one of"):
        to_svg(y, layout="neato")


@needs_dot
def test_dot_failure_is_reported(tmp_path):
    _, _, y = small_mlp()
    with pytest.raises(RuntimeError, match="dot -Tpng` failed"):
        draw(y, tmp_path / "no-such-folder" / "graph.png", format="png")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_html_page_is_self_contained_svg_of_the_same_walk(tmp_path, layout):
    model, x, y = small_mlp()
    path = draw_to_html(y, str(tmp_path / "model"), params=dict(model.named_parameters()), layout=layout)
    assert path.endswith("model.html")
    page = open(path, encoding="utf-8").read()
    # Nothing to fetch: no scripts, no links, no URLs at all (not even SVG namespace names).
    for reference in ["http", "<script", "src=", "<link", "@import", "xlink"]:
        assert reference not in page, reference
    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)  # namespace back, to parse it
    nodes, edges = svg_parts(ET.ElementTree(ET.fromstring(svg)))
    walked_nodes, walked_edges = graph_of(y, params=dict(model.named_parameters()))
    assert {name: lines for name, (_, lines) in nodes.items()} == {
        name: lines for name, (_, lines) in walked_nodes.items()}
    assert sorted(edges) == sorted(walked_edges)


def test_mermaid_text_uses_the_same_walk():
    model, x, y = small_mlp()
    nodes, edges = graph_of(y, params=dict(model.named_parameters()))
    mermaid = to_mermaid(y, params=dict(model.named_parameters()))
    node_lines = re.findall(r'^    (n\d+)\["(.*)"\]:::(\w+)$', mermaid, flags=re.M)
    assert [(name, kind) for name, _, kind in node_lines] == [(name, kind) for name, (kind, _) in nodes.items()]
    for name, label, _ in node_lines:
        assert label == "<br/>".join(nodes[name][1])
    assert re.findall(r"^    (n\d+) --> (n\d+)$", mermaid, flags=re.M) == edges


@pytest.mark.parametrize("layout", LAYOUTS)
def test_graph_objects_show_inline_in_jupyter(layout, monkeypatch):
    if layout == "builtin":
        monkeypatch.setenv("PATH", "")  # _repr_svg_ uses layout="auto": the built-in one without dot
    model, x, y = small_mlp()
    graph = draw(y)  # no path: a Graph, which Jupyter renders through _repr_svg_
    assert isinstance(graph, Graph) and graph == graph_of(y)
    nodes, edges = graph
    assert graph.nodes is nodes and graph.edges is edges
    svg_nodes, svg_edges = svg_parts(ET.ElementTree(ET.fromstring(graph._repr_svg_())))
    assert set(svg_nodes) == set(nodes) and sorted(svg_edges) == sorted(edges)
    html_svg = graph._repr_html_()  # the same drawing for HTML front ends, with nothing to fetch
    assert "http" not in html_svg and len(re.findall(r'<g [^>]*class="node', html_svg)) == len(nodes)
    assert microtorch.draw is draw


def test_show_value_summarises_large_values_the_root_and_params():
    values = np.arange(6.0).reshape(2, 3)
    x = microtorch.tensor(values, requires_grad=True)
    h = x * 2.0
    y = h.sum()

    def summary(a):
        return f"mean {a.mean():.4g} std {a.std():.4g} min {a.min():.4g} max {a.max():.4g}"

    labels = [lines for _, lines in graph_of(y, show_value=True, params={"x": x, "h": h}).nodes.values()]
    assert ["x", "(2, 3) float64", summary(values)] in labels
    assert ["h", "Mul(b=2.0)", "(2, 3) float64", summary(values * 2)] in labels
    assert ["Sum(dim=None, keepdim=False)", "() float64", f"val {(values * 2).sum():.4g}"] in labels
    # without show_value, only small arrays show values
    assert ["x", "(2, 3) float64"] in [lines for _, lines in graph_of(y, params={"x": x}).nodes.values()]


def test_mermaid_escapes_quotes_and_markup():
    x = microtorch.randn(2, requires_grad=True)
    text = to_mermaid(Tagged.apply(x, '<b>"x"</b>'))
    assert "Tagged(tag='&lt;b&gt;#quot;x#quot;&lt;/b&gt;')<br/>(2,) float32" in text


def test_params_must_match_the_root():
    x = microtorch.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match="params must map names to Tensors.*'w' is a ndarray"):
        to_dot(x * 2, params={"w": np.ones(2)})
    with pytest.raises(TypeError, match="params must map names to Vars.*'x' is a Tensor"):
        to_dot(Var(1.0, requires_grad=True) * 2, params={"x": x})
