"""Drawings of computational graphs: SVG (Graphviz, or a built-in layout), DOT and offline HTML.

    y = model(x)
    draw(y)                              # a Graph: Jupyter shows it inline (SVG)
    draw(y, "graph.svg")                 # writes the file; "graph.png" needs Graphviz's `dot`
    draw_to_html(y, "graph")             # graph.html: one self-contained page, no network needed
    to_dot(y)                            # Graphviz DOT text

One walk, graph_of(), reads the graph of a Tensor or a scalar Var back to its
leaves, and every format prints what it returns. It is iterative, so a graph
100,000 ops deep draws like any other. Nodes are of three kinds:

- op: a recorded op, labelled with its name, its non-tensor arguments
  (`Sum(dim=1, keepdim=False)`), and its output's shape and dtype;
- leaf: a tensor that requires grad (a parameter, an input you differentiate);
- constant: any other tensor or array an op read.

Scalar Vars are labelled with their value instead of a shape and dtype (a Var
is always one float64); a number operand is part of the op's label (`* 2.0`).

Small arrays (up to 4 values) show their values. show_value=True adds a
summary (mean, std, min, max) for larger leaves and constants, and for the
root and the tensors passed in `params`, whose values are known.

show_grad=True adds gradients after backward. A leaf shows its .grad. An op
node shows the gradient of its output only where that gradient was kept: for
the root, or for a tensor passed in `params`, when retain_grad() was called on
it before backward (the engine keeps no other intermediate gradients, so a
scalar Var op node shows none). Drawing after backward needs
backward(retain_graph=True), since backward frees the graph it walks.

SVG comes from Graphviz's `dot` when it is on PATH, and otherwise from a
simple layered layout written here (columns by depth, boxes and curved
arrows), so drawings work on any machine. Graphviz lays out a 10,000-op chain
in a few seconds. Graphs where a few leaves feed ops far apart (a weight
shared by every step of a long loop) make many long edges, and `dot` can take
minutes on those; to_dot() and layout="builtin" stay fast.

`params` maps names to tensors (or Vars), e.g. dict(model.named_parameters()),
and puts those names on their nodes.
"""
import html
import inspect
import os
import re
import shutil
import subprocess
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from microtorch import _engine
from microtorch._scalar import Var

if TYPE_CHECKING:  # only for annotations: tensor.py imports nothing from here, and this must not import it
    from microtorch.tensor import Tensor

__all__ = ["Graph", "draw", "to_dot", "to_svg", "to_mermaid", "draw_to_html", "graph_of"]

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


class Graph(tuple):
    """The graph that produced a Tensor or a Var, as ``(nodes, edges)``; Jupyter draws it inline.

    Returned by :func:`graph_of` and by :func:`draw` without a path. It is a tuple, so
    ``nodes, edges = graph_of(y)`` unpacks it.

    Attributes
    ----------
    nodes : dict
        Node name -> ``(kind, lines)``: kind is "op", "leaf" or "constant", lines the label.
    edges : list of tuple of str
        ``(input, consumer)`` node names, one per use (an op reading a tensor twice has two).

    Examples
    --------
    >>> import microtorch as torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> graph = torch.draw((x * 2).sum())
    >>> [lines[0] for kind, lines in graph.nodes.values()]
    ['Sum(dim=None, keepdim=False)', 'Mul(b=2)', 'leaf [1, 1]']
    """

    __slots__ = ()

    def __new__(cls, nodes, edges):
        return super().__new__(cls, (nodes, edges))

    nodes = property(lambda self: self[0], doc="Node name -> (kind, label lines).")
    edges = property(lambda self: self[1], doc="(input, consumer) node names.")

    def to_dot(self) -> str:
        """Return the Graphviz DOT text of the graph.

        Returns
        -------
        str
        """
        return _dot_text(self.nodes, self.edges)

    def to_svg(self, layout: str = "auto") -> str:
        """Return the graph drawn as SVG text.

        Parameters
        ----------
        layout : {'auto', 'dot', 'builtin'}, default 'auto'
            'dot' runs Graphviz (an error without it), 'builtin' uses microtorch's own
            layered layout, 'auto' uses Graphviz when `dot` is on PATH and the built-in one otherwise.

        Returns
        -------
        str
            A standalone ``<svg>`` document (no external references).
        """
        if layout not in _LAYOUTS:
            raise ValueError(f"draw: layout must be one of {_LAYOUTS}, got {layout!r}")
        if layout == "builtin" or (layout == "auto" and shutil.which("dot") is None):
            return _builtin_svg(self.nodes, self.edges)
        return _run_dot(self.to_dot(), "svg").decode("utf-8")

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def _repr_html_(self) -> str:
        # For HTML front ends (sphinx-gallery, nbconvert): the same drawing, inline.
        # max-width: none, so a page's `svg {max-width: 100%}` scrolls a wide graph instead of shrinking it.
        svg = _inline_svg(self.to_svg()).replace("<svg", '<svg style="max-width: none"', 1)
        return f'<div class="microtorch-graph" style="overflow: auto">{svg}</div>'


def graph_of(root: "Tensor | Var", show_grad: bool = False, params: "Mapping[str, Any] | None" = None,
             show_value: bool = False) -> Graph:
    """Walk the graph that produced root (a Tensor or a Var) back to its leaves.

    Parameters
    ----------
    root : Tensor or Var
    show_grad : bool, default False
        Add gradient summaries (after ``backward(retain_graph=True)``).
    params : dict, optional
        Names for tensors (or Vars) of the graph, e.g. ``dict(model.named_parameters())``.
    show_value : bool, default False
        Add a value summary (mean, std, min, max) to large leaves and constants, and to the
        root and the ``params`` tensors.

    Returns
    -------
    Graph
        ``(nodes, edges)``: nodes maps a node name to ``(kind, lines)`` (kind "op", "leaf" or
        "constant"; lines the label, one string a line); edges lists ``(input, consumer)`` names.
    """
    kind = Var if isinstance(root, Var) else _engine.TensorBase
    if not isinstance(root, kind):
        raise TypeError(f"draw: expected a Tensor or a Var, got {type(root).__name__}")
    params = dict(params or {})
    for name, value in params.items():
        if not isinstance(value, kind):
            raise TypeError(f"draw: params must map names to {'Vars' if kind is Var else 'Tensors'}, "
                            f"like the graph's root; {name!r} is a {type(value).__name__}")
    if kind is Var:
        graph = _var_graph(root, show_grad, params)
    else:
        graph = _tensor_graph(root, show_grad, params, show_value)
    return Graph(graph.nodes, graph.edges)


def _tensor_graph(root, show_grad, params, show_value):
    # The graph holds a tensor as its grad_fn (an op's output), itself (a leaf needing
    # grad) or its array (a constant); names and known gradients are keyed the same way.
    named, known_grads, known_values = {}, {}, {}
    for name, t in params.items():
        named[id(_tensor_key(t))] = name
    for t in (root, *params.values()):
        if t.grad_fn is not None and t.grad is not None:
            known_grads[id(t.grad_fn)] = t.grad._array
        if t.grad_fn is not None and show_value:
            known_values[id(t.grad_fn)] = t._array

    graph = _Graph()
    if root.grad_fn is None:  # a leaf or a constant on its own
        key = _tensor_key(root)
        top, _ = graph.name_of(key)
        graph.nodes[top] = _input_node(key, show_grad, named.get(id(key)), show_value)
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
        if id(ctx) in known_values:
            lines.append(_value_summary(known_values[id(ctx)]))
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
                    graph.nodes[child] = _input_node(value, show_grad, named.get(id(value)), show_value)
            else:
                continue  # a number, a dim, a shape: shown in the op's label
            graph.edges.append((child, me))
    return graph


def _tensor_key(t):
    if t.grad_fn is not None:
        return t.grad_fn
    return t if t.requires_grad else t._array


def _input_node(value, show_grad, name, show_value):
    if isinstance(value, np.ndarray):
        return "constant", _value_lines("constant", value, name, show_value)
    lines = _value_lines("leaf", value._array, name, show_value)
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

_ARG_NAMES: dict[type, tuple[str, ...]] = {}  # Function class -> names of forward's parameters after ctx, up to any *args


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


def _value_lines(kind, array, name, show_value):
    first = name or kind
    if array.size <= _SMALL:
        first = f"{first} {_array_text(array)}"
    lines = [first, _shape_text(array.shape, array.dtype)]
    if show_value and array.size > _SMALL:
        lines.append(_value_summary(array))
    return lines


def _value_summary(array):
    if array.size <= _SMALL:
        return f"val {_array_text(array)}"
    if array.dtype.kind not in "biuf":
        return f"val {array.dtype.name}"
    values = array.astype(np.float64)
    return (f"mean {values.mean():.4g} std {values.std():.4g} "
            f"min {values.min():.4g} max {values.max():.4g}")


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

def to_dot(root: "Tensor | Var", show_grad: bool = False, params: "Mapping[str, Any] | None" = None,
           show_value: bool = False) -> str:
    """Return Graphviz DOT text for the graph that produced root (a Tensor or a Var).

    Parameters are those of :func:`graph_of`. Needs no program: paste the text into
    any Graphviz viewer.

    Returns
    -------
    str
    """
    return graph_of(root, show_grad, params, show_value).to_dot()


def _dot_text(nodes, edges):
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
_LAYOUTS = ("auto", "dot", "builtin")


def _run_dot(source, format, path=None):
    """Run Graphviz's `dot` on DOT source; returns its output (or writes path)."""
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            "draw: Graphviz's `dot` program was not found on PATH. Install Graphviz "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
            "conda: conda install graphviz), or draw SVG with layout='builtin', which needs no program.")
    command = [dot, f"-T{format}"] + (["-o", path] if path else [])
    result = subprocess.run(command, input=source.encode("utf-8"), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"draw: `dot -T{format}` failed (exit code {result.returncode}): "
                           f"{result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout


def to_svg(root: "Tensor | Var", show_grad: bool = False, params: "Mapping[str, Any] | None" = None,
           show_value: bool = False, layout: str = "auto") -> str:
    """Return the graph that produced root drawn as SVG text.

    Parameters
    ----------
    root, show_grad, params, show_value
        As for :func:`graph_of`.
    layout : {'auto', 'dot', 'builtin'}, default 'auto'
        Graphviz's `dot` when it is on PATH ('auto') or required ('dot'); otherwise
        microtorch's own layered layout ('builtin'): columns by depth, inputs on the left.

    Returns
    -------
    str
    """
    return graph_of(root, show_grad, params, show_value).to_svg(layout)


def draw(root: "Tensor | Var", path: "str | os.PathLike[str] | None" = None, format: str = "svg",
         show_grad: bool = False, params: "Mapping[str, Any] | None" = None, show_value: bool = False,
         layout: str = "auto") -> "Graph | str":
    """Draw the graph that produced root: inline (no path) or to an SVG or PNG file.

    Parameters
    ----------
    root : Tensor or Var
    path : str or os.PathLike, optional
        Where to write; a path without a suffix gets ``.svg`` or ``.png``. Without a path,
        return a :class:`Graph`, which Jupyter shows inline.
    format : {'svg', 'png'}, default 'svg'
        PNG needs Graphviz's `dot`; SVG falls back to the built-in layout without it.
    show_grad, params, show_value
        As for :func:`graph_of`.
    layout : {'auto', 'dot', 'builtin'}, default 'auto'
        As for :func:`to_svg`.

    Returns
    -------
    Graph or str
        The graph (no path), or the path written.

    Notes
    -----
    PyTorch has no drawing of its own (torchviz is a separate package); this is microtorch's.

    Examples
    --------
    >>> import microtorch as torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> graph = torch.draw((x * x).sum())     # in a notebook, the cell shows the drawing
    >>> len(graph.nodes), len(graph.edges)
    (3, 3)
    """
    if format not in _FORMATS:
        raise ValueError(f"draw: format must be one of {_FORMATS}, got {format!r}")
    graph = graph_of(root, show_grad, params, show_value)
    if path is None:
        return graph
    path = os.fspath(path)
    if not os.path.splitext(path)[1]:
        path = f"{path}.{format}"
    if format == "png":
        _run_dot(graph.to_dot(), "png", path)
    else:
        svg = graph.to_svg(layout)  # before opening the file, so a failure leaves no empty file
        with open(path, "w", encoding="utf-8") as file:
            file.write(svg)
    return path


# ---------------------------------------------------------------- the built-in layout

_CHAR_WIDTH, _LINE_HEIGHT, _PAD, _GAP_X, _GAP_Y = 6.2, 13, 7, 44, 14


def _columns(names, edges):
    """Each node's column: the longest path to it from an input (Kahn's order, no recursion)."""
    index = {name: i for i, name in enumerate(names)}
    consumers = [[] for _ in names]
    waiting = [0] * len(names)
    for child, consumer in edges:
        consumers[index[child]].append(index[consumer])
        waiting[index[consumer]] += 1
    column = [0] * len(names)
    ready = [i for i, count in enumerate(waiting) if count == 0]
    while ready:
        i = ready.pop()
        for j in consumers[i]:
            column[j] = max(column[j], column[i] + 1)
            waiting[j] -= 1
            if waiting[j] == 0:
                ready.append(j)
    for i, users in enumerate(consumers):  # inputs sit just left of their first consumer
        if users and not any(child == names[i] for _, child in edges):
            column[i] = min(column[j] for j in users) - 1
    return column, consumers


def _mean(values):
    return sum(values) / len(values) if values else 0.0


def _builtin_svg(nodes, edges):
    """SVG of the graph, laid out in columns by depth (inputs left), in walk order within a column."""
    names = list(nodes)
    column, consumers = _columns(names, edges)
    size = {}
    for name, (_, lines) in nodes.items():
        size[name] = (max(len(line) for line in lines) * _CHAR_WIDTH + 2 * _PAD,
                      len(lines) * _LINE_HEIGHT + 2 * _PAD)
    stacks = [[] for _ in range(max(column, default=0) + 1)]
    for name, c in zip(names, column):
        stacks[c].append(name)
    # Right to left (the root is rightmost): order each column by where its consumers sit.
    row = {}
    index = {name: i for i, name in enumerate(names)}
    for stack in reversed(stacks):
        stack.sort(key=lambda name: _mean([row[names[j]] for j in consumers[index[name]] if names[j] in row]))
        row.update((name, r / max(len(stack), 1)) for r, name in enumerate(stack))
    widths = [max(size[name][0] for name in stack) for stack in stacks]
    heights = [sum(size[name][1] for name in stack) + _GAP_Y * (len(stack) - 1) for stack in stacks]
    total_height = max(heights) + 2 * _GAP_Y
    box = {}
    x = _GAP_Y
    for stack, width, height in zip(stacks, widths, heights):
        y = (total_height - height) / 2
        for name in stack:
            w, h = size[name]
            box[name] = (x + (width - w) / 2, y, w, h)
            y += h + _GAP_Y
        x += width + _GAP_X
    total_width = x - _GAP_X + _GAP_Y

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:.0f}pt" height="{total_height:.0f}pt" '
           f'viewBox="0 0 {total_width:.1f} {total_height:.1f}">',
           '<defs><marker id="microtorch-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
           '<g class="graph">']
    for child, consumer in edges:
        cx, cy, cw, ch = box[child]
        tx, ty, _, th = box[consumer]
        x1, y1, x2, y2 = cx + cw, cy + ch / 2, tx, ty + th / 2
        bend = max((x2 - x1) / 2, 20)
        out.append(f'<g class="edge"><title>{child}-&gt;{consumer}</title>'
                   f'<path d="M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} '
                   f'{x2:.1f},{y2:.1f}" fill="none" stroke="#333" marker-end="url(#microtorch-arrow)"/></g>')
    for name, (kind, lines) in nodes.items():
        x, y, w, h = box[name]
        out.append(f'<g class="node {kind}"><title>{name}</title>'
                   f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5" '
                   f'fill="{COLOURS[kind]}" stroke="#333"/>')
        for row, line in enumerate(lines):
            baseline = y + _PAD + (row + 0.8) * _LINE_HEIGHT
            out.append(f'<text x="{x + w / 2:.1f}" y="{baseline:.1f}" text-anchor="middle" '
                       f'font-family="monospace" font-size="10">{html.escape(line, quote=False)}</text>')
        out.append("</g>")
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- mermaid text and the HTML page

def to_mermaid(root: "Tensor | Var", show_grad: bool = False, params: "Mapping[str, Any] | None" = None,
               show_value: bool = False) -> str:
    """Return mermaid flowchart text for the graph that produced root.

    For Markdown renderers that draw mermaid (GitHub, GitLab); :func:`draw_to_html` needs no renderer.

    Returns
    -------
    str
    """
    nodes, edges = graph_of(root, show_grad, params, show_value)
    lines = ["graph LR"]
    for name, (kind, label) in nodes.items():
        text = "<br/>".join(html.escape(line, quote=False).replace('"', "#quot;") for line in label)
        lines.append(f'    {name}["{text}"]:::{kind}')
    lines.extend(f"    {child} --> {consumer}" for child, consumer in edges)
    lines.extend(f"    classDef {kind} fill:{colour},stroke:#333" for kind, colour in COLOURS.items())
    return "\n".join(lines)


_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
.legend span {{ display: inline-block; padding: 0.1em 0.6em; margin-right: 0.5em; border: 1px solid #333;
                border-radius: 4px; font-size: 0.9em; }}
.drawing {{ overflow: auto; }}
</style>
</head>
<body>
<p class="legend">{legend}</p>
<div class="drawing">
{svg}
</div>
</body>
</html>
"""


def _inline_svg(svg):
    """The <svg> element alone, for an HTML page: no XML prolog, doctype, comments or namespace URLs."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)


def draw_to_html(root: "Tensor | Var", name: "str | os.PathLike[str]", show_grad: bool = False,
                 params: "Mapping[str, Any] | None" = None, show_value: bool = False, layout: str = "auto") -> str:
    """Write ``name.html``: one self-contained page with the graph drawn as inline SVG.

    The page loads nothing (no script, font, stylesheet or image from the network), so it
    opens offline. The SVG comes from Graphviz's `dot` when it is on PATH, and from
    microtorch's built-in layered layout otherwise (``layout`` chooses, as in :func:`to_svg`).

    Parameters
    ----------
    root : Tensor or Var
    name : str or os.PathLike
        The file name; ``.html`` is added when missing.
    show_grad, params, show_value
        As for :func:`graph_of`.
    layout : {'auto', 'dot', 'builtin'}, default 'auto'

    Returns
    -------
    str
        The path written.
    """
    name = os.fspath(name)
    path = name if name.endswith(".html") else f"{name}.html"
    svg = _inline_svg(graph_of(root, show_grad, params, show_value).to_svg(layout))
    legend = "".join(f'<span style="background: {colour}">{kind}</span>' for kind, colour in COLOURS.items())
    with open(path, "w", encoding="utf-8") as file:
        file.write(_PAGE.format(title=html.escape(os.path.basename(name)), legend=legend, svg=svg))
    return path
