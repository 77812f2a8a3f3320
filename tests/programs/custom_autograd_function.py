"""A custom autograd Function: the Legendre polynomial P3, as in "Learning PyTorch with Examples"
(PyTorch: Defining new autograd functions): forward/backward staticmethods, ctx.save_for_backward,
Function.apply, manual SGD under no_grad."""
import numpy as np
import torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


dtype = torch.float
grid = np.linspace(-np.pi, np.pi, 2000)
x = torch.tensor(grid, dtype=dtype)
y = torch.tensor(np.sin(grid), dtype=dtype)

a = torch.tensor(0.0, dtype=dtype, requires_grad=True)
b = torch.tensor(-1.0, dtype=dtype, requires_grad=True)
c = torch.tensor(0.0, dtype=dtype, requires_grad=True)
d = torch.tensor(0.3, dtype=dtype, requires_grad=True)

learning_rate = 5e-6
for t in range(1000):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = ((y_pred - y) ** 2).sum()
    if t % 250 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        for param in (a, b, c, d):
            param -= learning_rate * param.grad
            param.grad = None

print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")
print("final loss:", loss.item())
