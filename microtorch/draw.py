"""Drawings of computational graphs: Graphviz DOT (to_dot, draw) and mermaid HTML (draw_to_html).

    y = model(x)
    draw(y, "graph.svg")                 # needs Graphviz's `dot`; to_dot(y) needs nothing
    draw_to_html(y, "graph")             # graph.html, drawn by mermaid in the browser

One walk, graph_of(), reads the graph of a Tensor or a scalar Var back to its
leaves, and every format prints what it returns. It is iterative, so a graph
100,000 ops deep draws like any other. Nodes are of three kinds:

- op: a recorded op, labelled with its name, its non-tensor arguments
  (`Sum(dim=1, keepdim=False)`), and its output's shape and dtype;
- leaf: a tensor that requires grad (a parameter, an input you differentiate);
- constant: any other tensor or array an op read.

Scalar Vars are labelled with their value instead of a shape and dtype (a Var
is always one float64); a number operand is part of the op's label (`* 2.0`).

show_grad=True adds gradients after backward. A leaf shows its .grad. An op
node shows the gradient of its output only where that gradient was kept: for
the root, or for a tensor passed in `params`, when retain_grad() was called on
it before backward (the engine keeps no other intermediate gradients, so a
scalar Var op node shows none). Drawing after backward needs
backward(retain_graph=True), since backward frees the graph it walks.

Graphviz lays out a 10,000-op chain in a few seconds. Graphs where a few
leaves feed ops far apart (a weight shared by every step of a long loop) make
many long edges, and `dot` can take minutes on those; to_dot() stays fast.

`params` maps names to tensors (or Vars), e.g. dict(model.named_parameters()),
and puts those names on their nodes.
"""
import html
import inspect
import os
import shutil
import subprocess

import numpy as np

from microtorch import _engine
from microtorch._scalar import Var

__all__ = ["draw", "to_dot", "to_mermaid", "draw_to_html", "graph_of"]

COLOURS = {"op": "#fde68a", "leaf": "#93c5fd", "constant": "#e5e7eb"}
_SMALL = 4  # arrays with at most this many values show them


# ---------------------------------------------------------------- the walk

class _Graph:
    """Nodes (name -> (kind, label lines)) and edges (input name, consumer name), built once."""

    def __init__(self):
        self.nodes = {}
        self.edges = []
        self._names = {}
        self._alive = []  # keeps every visited object alive, so no id() is reused mid-walk

    def name_of(self, obj):
        """The node name of obj, and whether obj is new to the walk."""
        key = id(obj)
        name = self._names.get(key)
        if name is not None:
            return name, False
        name = self._names[key] = f"n{len(self._names)}"
        self._alive.append(obj)
        return name, True


def graph_of(root, show_grad=False, params=None):
    """The graph that produced root (a Tensor or a Var): (nodes, edges).

    nodes maps a node name to (kind, lines): kind is "op", "leaf" or "constant",
    lines is the label, one string a line. edges lists (input, consumer) names.
    """
    kind = Var if isinstance(root, Var) else _engine.TensorBase
    if not isinstance(root, kind):
        raise TypeError(f"draw: expected a Tensor or a Var, got {type(root).__name__}")
    params = dict(params or {})
    for name, value in params.items():
        if not isinstance(value, kind):
            raise TypeError(f"draw: params must map names to {'Vars' if kind is Var else 'Tensors'}, "
                            f"like the graph's root; {name!r} is a {type(value).__name__}")
    graph = (_var_graph if kind is Var else _tensor_graph)(root, show_grad, params)
    return graph.nodes, graph.edges


def _tensor_graph(root, show_grad, params):
    # The graph holds a tensor as its grad_fn (an op's output), itself (a leaf needing
    # grad) or its array (a constant); names and known gradients are keyed the same way.
    named, known_grads = {}, {}
    for name, t in params.items():
        named[id(_tensor_key(t))] = name
    for t in (root, *params.values()):
        if t.grad_fn is not None and t.grad is not None:
            known_grads[id(t.grad_fn)] = t.grad._array

    graph = _Graph()
    if root.grad_fn is None:  # a leaf or a constant on its own
        key = _tensor_key(root)
        top, _ = graph.name_of(key)
        graph.nodes[top] = _input_node(key, show_grad, named.get(id(key)))
        return graph

    graph.name_of(root.grad_fn)
    stack = [root.grad_fn]
    while stack:
        ctx = stack.pop()
        if ctx.is_released:
            raise RuntimeError(
                f"draw: the graph was freed by backward (at {ctx.op_name}); call "
                "backward(retain_graph=True) to draw the graph after backward")
        me, _ = graph.name_of(ctx)
        lines = [_op_text(ctx), _shape_text(ctx.output_shape, ctx.output_dtype)]
        if id(ctx) in named:
            lines.insert(0, named[id(ctx)])
        if show_grad and id(ctx) in known_grads:
            lines.append(_grad_text(known_grads[id(ctx)]))
        graph.nodes[me] = ("op", lines)
        for value in ctx.inputs:
            if isinstance(value, _engine.Context):
                child, new = graph.name_of(value)
                if new:
                    stack.append(value)
            elif isinstance(value, (_engine.TensorBase, np.ndarray)):
                child, new = graph.name_of(value)
                if new:
                    graph.nodes[child] = _input_node(value, show_grad, named.get(id(value)))
            else:
                continue  # a number, a dim, a shape: shown in the op's label
            graph.edges.append((child, me))
    return graph


def _tensor_key(t):
    if t.grad_fn is not None:
        return t.grad_fn
    return t if t.requires_grad else t._array


def _input_node(value, show_grad, name):
    if isinstance(value, np.ndarray):
        return "constant", _value_lines("constant", value, name)
    lines = _value_lines("leaf", value._array, name)
    if show_grad:
        lines.append(_grad_text(value.grad._array if value.grad is not None else None))
    return "leaf", lines


def _var_graph(root, show_grad, params):
    named = {id(v): name for name, v in params.items()}
    graph = _Graph()
    graph.name_of(root)
    stack = [root]
    while stack:
        var = stack.pop()
        me, _ = graph.name_of(var)
        inputs = var.inputs
        if var.op and not inputs:
            raise RuntimeError(
                f"draw: the graph was freed by backward (at a '{var.op}' Var); call "
                "backward(retain_graph=True) to draw the graph after backward")
        if var.op_args != var.op:
            # A number operand is already in op_args ("* 2.0"); inputs holds it as a fresh
            # constant Var that needs no grad, next to the one real input, which does.
            inputs = [v for v in inputs if v.requires_grad]
        kind = "op" if var.op else ("leaf" if var.requires_grad else "constant")
        lines = [var.op_args] if var.op else [named.get(id(var), kind)]
        if var.op and id(var) in named:
            lines.insert(0, named[id(var)])
        lines.append(f"val {var.val:.4g}")
        if show_grad and kind == "leaf":
            lines.append(f"grad {var.grad:.4g}")
        graph.nodes[me] = (kind, lines)
        for value in inputs:
            child, new = graph.name_of(value)
            if new:
                stack.append(value)
            graph.edges.append((child, me))
    return graph


# ---------------------------------------------------------------- labels

_ARG_NAMES = {}  # Function class -> names of forward's parameters after ctx, up to any *args


def _arg_names(fn):
    names = _ARG_NAMES.get(fn)
    if names is None:
        try:
            parameters = list(inspect.signature(fn.forward).parameters.values())[1:]
        except (TypeError, ValueError):
            parameters = []
        names = []
        for p in parameters:
            if p.kind is p.VAR_POSITIONAL:
                break
            names.append(p.name)
        names = _ARG_NAMES[fn] = tuple(names)
    return names


def _op_text(ctx):
    """`Name(arg=value, ...)` for the op's non-tensor inputs."""
    names = _arg_names(ctx.fn)
    args = []
    for position, value in enumerate(ctx.inputs):
        if isinstance(value, (_engine.Context, _engine.TensorBase, np.ndarray)):
            continue
        text = _format_arg(value)
        args.append(f"{names[position]}={text}" if position < len(names) else text)
    return f"{ctx.op_name}({', '.join(args)})" if args else ctx.op_name


def _format_arg(value):
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, slice):
        parts = ["" if part is None else str(part) for part in (value.start, value.stop, value.step)]
        return ":".join(parts[:2] if value.step is None else parts)
    if value is Ellipsis:
        return "..."
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_format_arg(v) for v in value)
        if isinstance(value, list):
            text = f"[{inner}]"
        else:
            text = f"({inner},)" if len(value) == 1 else f"({inner})"
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, str):
        return repr(value)
    return type(value).__name__  # a generator, a module: its type says enough


def _shape_text(shape, dtype):
    return f"{tuple(shape)} {np.dtype(dtype).name}"


def _value_lines(kind, array, name):
    first = name or kind
    if array.size <= _SMALL:
        first = f"{first} {_array_text(array)}"
    return [first, _shape_text(array.shape, array.dtype)]


def _array_text(array):
    text = np.array2string(array, separator=", ", formatter={"float_kind": lambda v: f"{v:.4g}"})
    return " ".join(text.split()).replace("[ ", "[")  # one line, without numpy's sign padding


def _grad_text(grad):
    if grad is None:
        return "grad None"
    if grad.size <= _SMALL:
        return f"grad {_array_text(grad)}"
    return f"grad norm {float(np.linalg.norm(grad)):.4g}"


# ---------------------------------------------------------------- DOT and Graphviz

def to_dot(root, show_grad=False, params=None):
    """Graphviz DOT text for the graph that produced root (a Tensor or a Var)."""
    nodes, edges = graph_of(root, show_grad, params)
    out = ["digraph microtorch {",
           "  rankdir=LR;",
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];']
    for name, (kind, lines) in nodes.items():
        label = "\\n".join(_dot_escape(line) for line in lines)
        out.append(f'  {name} [label="{label}", fillcolor="{COLOURS[kind]}", class="{kind}"];')
    out.extend(f"  {child} -> {consumer};" for child, consumer in edges)
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


_FORMATS = ("svg", "png")


def draw(root, path, format="svg", show_grad=False, params=None):
    """Render root's graph to path with Graphviz's `dot`; returns the path written.

    A path without a suffix gets `.svg` or `.png`. Without Graphviz installed,
    to_dot() and draw_to_html() still work.
    """
    if format not in _FORMATS:
        raise ValueError(f"draw: format must be one of {_FORMATS}, got {format!r}")
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            "draw: Graphviz's `dot` program was not found on PATH. Install Graphviz "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
            "conda: conda install graphviz), or use to_dot() or draw_to_html(), which need no program.")
    path = os.fspath(path)
    if not os.path.splitext(path)[1]:
        path = f"{path}.{format}"
    source = to_dot(root, show_grad, params)
    result = subprocess.run([dot, f"-T{format}", "-o", path], input=source.encode("utf-8"),
                            capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"draw: `dot -T{format}` failed (exit code {result.returncode}): "
                           f"{result.stderr.decode('utf-8', 'replace').strip()}")
    return path


# ---------------------------------------------------------------- mermaid HTML

def to_mermaid(root, show_grad=False, params=None):
    """Mermaid flowchart text for the graph that produced root."""
    nodes, edges = graph_of(root, show_grad, params)
    lines = ["graph LR"]
    for name, (kind, label) in nodes.items():
        text = "<br/>".join(html.escape(line, quote=False).replace('"', "#quot;") for line in label)
        lines.append(f'    {name}["{text}"]:::{kind}')
    lines.extend(f"    {child} --> {consumer}" for child, consumer in edges)
    lines.extend(f"    classDef {kind} fill:{colour},stroke:#333" for kind, colour in COLOURS.items())
    return "\n".join(lines)


_PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<pre class="mermaid">
{diagram}
</pre>
<script type="module">
import mermaid from "https://cdn.jsdelivr.net/npm/mermaid@10/dist/mermaid.esm.min.mjs";
mermaid.initialize({{ startOnLoad: true, maxTextSize: 10000000, maxEdges: 1000000 }});
</script>
</body>
</html>
"""


def draw_to_html(root, name, show_grad=False, params=None):
    """Write name.html: a mermaid drawing of the graph that produced root (mermaid loads from a CDN)."""
    path = name if str(name).endswith(".html") else f"{name}.html"
    with open(path, "w", encoding="utf-8") as file:
        file.write(_PAGE.format(title=html.escape(str(name)), diagram=to_mermaid(root, show_grad, params)))
    return path
