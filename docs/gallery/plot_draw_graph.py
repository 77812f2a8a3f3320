"""
Drawing a graph
===============

``microtorch.draw(t)`` returns the graph that produced ``t``; a notebook (and this page) shows it
inline. Each node shows its op with its arguments, its output's shape and dtype; leaves are blue,
constants grey, ops yellow. ``show_grad=True`` adds gradients after ``backward(retain_graph=True)``,
``show_value=True`` value summaries. ``microtorch.draw_to_html(t, "graph")`` writes the same drawing
to a page that opens offline.
"""
import microtorch
from microtorch import nn

microtorch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
x = microtorch.randn(5, 4)
loss = nn.functional.cross_entropy(model(x), microtorch.tensor([0, 1, 1, 0, 1]))
loss.backward(retain_graph=True)
microtorch.draw(loss, show_grad=True, params=dict(model.named_parameters()))

# %%
# A scalar ``Var`` graph draws the same way, with each node's value:
from microtorch import Var

a, b = Var(1.5, requires_grad=True), Var(-0.5, requires_grad=True)
out = (a * b + a.exp()).relu()
out.backward(retain_graph=True)
microtorch.draw(out, show_grad=True, params={"a": a, "b": b})
