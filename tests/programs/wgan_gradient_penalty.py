"""A WGAN-GP critic and generator on a 2-D ring, in the idiom of the PyTorch WGAN-GP implementations:
the penalty's gradient comes from torch.autograd.grad(..., grad_outputs=torch.ones_like(...),
create_graph=True, retain_graph=True, only_inputs=True), is flattened with .view and its
.norm(2, dim=1) is pushed towards 1, so the critic's step is a backward through a backward.

float64 throughout (torch.set_default_dtype), and few iterations: adversarial training amplifies
rounding differences, and the corpus compares the final losses of the two engines closely.
"""
import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(0)
LAMBDA, CRITIC_ITERS, BATCH = 0.1, 5, 64
angles = np.arange(8) * np.pi / 4
centres = 2 * np.stack([np.cos(angles), np.sin(angles)], 1)


def make(sizes):
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layer = nn.Linear(n_in, n_out)
        with torch.no_grad():   # numpy draws the weights, so both engines start equal
            layer.weight.copy_(torch.from_numpy(rng.uniform(-1, 1, (n_out, n_in)) / np.sqrt(n_in)))
            layer.bias.copy_(torch.from_numpy(rng.uniform(-0.1, 0.1, n_out)))
        layers += [layer, nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def calc_gradient_penalty(netD, real_data, fake_data):
    alpha = torch.from_numpy(rng.uniform(0, 1, (BATCH, 1))).expand(real_data.size())
    interpolates = (alpha * real_data + (1 - alpha) * fake_data).requires_grad_(True)
    disc_interpolates = netD(interpolates)
    gradients = torch.autograd.grad(outputs=disc_interpolates, inputs=interpolates,
                                    grad_outputs=torch.ones_like(disc_interpolates),
                                    create_graph=True, retain_graph=True, only_inputs=True)[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean() * LAMBDA


netG, netD = make([2, 32, 32, 2]), make([2, 32, 32, 1])
optimizerD = torch.optim.Adam(netD.parameters(), lr=1e-3, betas=(0.5, 0.9))
optimizerG = torch.optim.Adam(netG.parameters(), lr=1e-3, betas=(0.5, 0.9))

for iteration in range(40):
    for p in netD.parameters():
        p.requires_grad = True
    for _ in range(CRITIC_ITERS):
        real = torch.from_numpy(centres[rng.integers(0, 8, BATCH)] + 0.05 * rng.standard_normal((BATCH, 2)))
        noise = torch.from_numpy(rng.standard_normal((BATCH, 2)))
        with torch.no_grad():
            fake = netG(noise)
        netD.zero_grad()
        D_real, D_fake = netD(real).mean(), netD(fake).mean()
        gradient_penalty = calc_gradient_penalty(netD, real, fake)
        D_cost = D_fake - D_real + gradient_penalty
        D_cost.backward()
        optimizerD.step()
    for p in netD.parameters():
        p.requires_grad = False   # the generator's step leaves the critic alone
    netG.zero_grad()
    G_cost = -netD(netG(torch.from_numpy(rng.standard_normal((BATCH, 2))))).mean()
    G_cost.backward()
    optimizerG.step()
    if iteration % 10 == 0:
        print(iteration, D_cost.item(), G_cost.item(), gradient_penalty.item())

print(f"final loss: {D_cost.item():.10f}")
