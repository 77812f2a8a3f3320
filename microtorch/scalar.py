"""Scalar neural nets on Var, micrograd-style: Neuron, Layer, MLP.

    model = MLP(2, [16, 16, 1])               # tanh hidden layers, linear output
    score = model([Var(0.5), Var(-1.0)])      # one Var; a list when the last layer has several outputs
    loss = (score - 1.0) ** 2
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.val -= 0.05 * p.grad
"""
import operator
import random

from microtorch._scalar import Var

__all__ = ["Var", "Module", "Neuron", "Layer", "MLP"]

_ACTIVATIONS = ("tanh", "relu")


class Module:
    """Base of the scalar nets: parameters() lists the leaf Vars, zero_grad() clears their grads."""

    def parameters(self):
        return []

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """act(w . x + b) for nin inputs; weights uniform in [-1, 1], bias 0, as in micrograd.

    act is "tanh" (the default) or "relu"; nonlin=False makes the neuron linear.
    """

    def __init__(self, nin, nonlin=True, act="tanh"):
        if act not in _ACTIVATIONS:
            raise ValueError(f"Neuron(act): expected one of {_ACTIVATIONS}, got {act!r}")
        self.w = [Var(random.uniform(-1, 1), requires_grad=True) for _ in range(nin)]
        self.b = Var(0.0, requires_grad=True)
        self.nonlin = nonlin
        self.act = act

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        # map and sum loop in C; each step is still one Var op
        out = sum(map(operator.mul, self.w, x), self.b)
        if not self.nonlin:
            return out
        return out.tanh() if self.act == "tanh" else out.relu()

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        kind = self.act if self.nonlin else "linear"
        return f"{kind.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    """nout neurons over the same nin inputs; returns a list, or one Var when nout == 1."""

    def __init__(self, nin, nout, nonlin=True, act="tanh"):
        self.neurons = [Neuron(nin, nonlin=nonlin, act=act) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes nouts after nin inputs; hidden layers use act, the last layer is linear."""

    def __init__(self, nin, nouts, act="tanh"):
        sizes = [nin] + list(nouts)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1, act=act)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer([x] if isinstance(x, Var) else x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
