"""Drawings of computational graphs: mermaid HTML (draw_to_html).

The graph is read from a result back to its leaves: op nodes are the
Contexts recorded by the engine, leaves are tensors that require grad, and
constants are the other inputs of an op (numbers, arrays, tensors without grad).
"""
import html

import numpy as np

from microtorch import _engine

__all__ = ["draw_to_html", "graph_of"]

_COLOURS = {"op": "#fde68a", "leaf": "#93c5fd", "constant": "#e5e7eb", "result": "#86efac"}


def _describe_constant(value):
    if isinstance(value, np.ndarray):
        return f"const {value.shape} {value.dtype}" if value.size > 1 else f"const {value.item()!r}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return repr(value)


def graph_of(root):
    """Nodes and edges of root's graph: (nodes, edges) with nodes[id] = (kind, label)."""
    if hasattr(root, "_graph_nodes"):      # the scalar engine draws itself the same way
        return root._graph_nodes()
    nodes, edges, ids = {}, [], {}

    def node_id(obj):
        return ids.setdefault(id(obj), f"n{len(ids)}")

    def leaf_label(t, kind):
        return f"{kind} {t.shape} {t.dtype}"

    top = node_id(root)
    if root.grad_fn is None:
        nodes[top] = ("leaf" if root.requires_grad else "constant", leaf_label(root, "tensor"))
        return nodes, edges
    stack = [root.grad_fn]
    seen = set()
    keep = [root.grad_fn]  # hold objects so id() stays unique during the walk
    while stack:
        ctx = stack.pop()
        if id(ctx) in seen:
            continue
        seen.add(id(ctx))
        me = node_id(ctx)
        args = [_describe_constant(v) for v in ctx.inputs
                if not isinstance(v, (_engine.Context, _engine.TensorBase)) and not isinstance(v, np.ndarray)]
        label = f"{ctx.name}({', '.join(args)}) {ctx.output_shape} {ctx.output_dtype}"
        nodes[me] = ("op", label)
        for value in ctx.inputs:
            if isinstance(value, np.ndarray) or not isinstance(value, (_engine.Context, _engine.TensorBase)):
                if not isinstance(value, np.ndarray):
                    continue  # plain arguments are shown in the op's label
                keep.append(value)
                child = node_id(value)
                nodes[child] = ("constant", _describe_constant(value))
            elif isinstance(value, _engine.Context):
                keep.append(value)
                child = node_id(value)
                stack.append(value)
            else:
                keep.append(value)
                child = node_id(value)
                nodes[child] = ("leaf", leaf_label(value, "leaf"))
            edges.append((child, me))
    return nodes, edges


def to_mermaid(root):
    nodes, edges = graph_of(root)
    lines = ["graph LR"]
    for name, (kind, label) in nodes.items():
        lines.append(f'    {name}["{html.escape(label)}"]:::{kind}')
    for child, parent in edges:
        lines.append(f"    {child} --> {parent}")
    for kind, colour in _COLOURS.items():
        lines.append(f"    classDef {kind} fill:{colour},stroke:#333")
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
mermaid.initialize({{ startOnLoad: true, maxTextSize: 10000000 }});
</script>
</body>
</html>
"""


def draw_to_html(root, name):
    """Write name.html: a mermaid drawing of the graph that produced root."""
    path = name if str(name).endswith(".html") else f"{name}.html"
    with open(path, "w", encoding="utf-8") as file:
        file.write(_PAGE.format(title=html.escape(str(name)), diagram=to_mermaid(root)))
    return path
