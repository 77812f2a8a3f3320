"""The original scalar example: a small expression, its value and its gradients.

    python examples/scalar_readme.py
    24.7041
    222.1341
    978.7784
"""
from microtorch.scalar import Var


def main():
    a = Var(-4.0, req_grad=True)
    b = Var(2.0, req_grad=True)
    c_5 = Var(5)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += c_5 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    print(f"{g.val:.4f}")   # the value of the forward pass
    print(f"{a.grad:.4f}")  # dg/da
    print(f"{b.grad:.4f}")  # dg/db
    return g, a, b


if __name__ == "__main__":
    main()
