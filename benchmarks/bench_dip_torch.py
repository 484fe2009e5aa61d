"""The convolutional DIP in torch: ms per iteration of (1) a bare torch loop on the module (forward, loss,
backward, Adam step), (2) boundcalc's loop ``train_torch`` (functional_call on the flat θ, A in torch, the metrics
recorded at every iteration), and (3) a ``torch.func`` version of the bare loop (grad of a functional_call), in
float32 and float64, on the same network, and the ratio of (2) to (1). The target is ratio ≤ 1.3.
Run: python benchmarks/bench_dip_torch.py [size, default 64] [iterations, default 30]
"""

import sys
import time

import torch

from boundcalc.dynamics.torch_training import train_torch
from boundcalc.linalg.torch_operator import torch_operator
from boundcalc.nets.conv import conv_decoder
from boundcalc.nets.torch import TorchGenerator
from boundcalc.problems import deblurring_problem


def bare(module, u, apply, y, iterations):
    opt = torch.optim.Adam(module.parameters(), lr=1e-2)
    t = time.perf_counter()
    for _ in range(iterations):
        opt.zero_grad()
        r = apply(module(u).reshape(-1)) - y
        loss = 0.5 * torch.dot(r, r)
        loss.backward()
        opt.step()
    return (time.perf_counter() - t) / iterations


def functional(module, u, apply, y, iterations):
    names = [n for n, _ in module.named_parameters()]
    params = {n: p.detach().clone() for n, p in module.named_parameters()}

    def loss(ps):
        r = apply(torch.func.functional_call(module, ps, (u,)).reshape(-1)) - y
        return 0.5 * torch.dot(r, r)
    g = torch.func.grad(loss)
    t = time.perf_counter()
    for _ in range(iterations):
        grads = g(params)
        params = {n: params[n] - 1e-4 * grads[n] for n in names}
    return (time.perf_counter() - t) / iterations


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    its = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    prob = deblurring_problem((size, size))
    print(f"{size}x{size} deblurring, ConvDecoder (32 channels, depth 3), {its} iterations, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'dtype':<8} {'bare (ms)':>10} {'train_torch (ms)':>17} {'torch.func (ms)':>16} {'ratio':>6}")
    for dtype in (torch.float32, torch.float64):
        module, u = conv_decoder((size, size), seed=0, dtype=dtype)
        apply = torch_operator(prob.A, dtype=dtype)
        y = torch.as_tensor(prob.y, dtype=dtype)
        bare(module, u, apply, y, 3)  # warm-up
        t_bare = bare(module, u, apply, y, its)
        module, u = conv_decoder((size, size), seed=0, dtype=dtype)
        t_func = functional(module, u, apply, y, its)
        net = TorchGenerator(*conv_decoder((size, size), seed=0, dtype=dtype), dtype=dtype)
        t = time.perf_counter()
        train_torch(net, prob.A, prob.y, optimizer="adam", iterations=its, x_bar=prob.x_bar)
        t_loop = (time.perf_counter() - t) / its
        print(f"{str(dtype).replace('torch.', ''):<8} {1e3 * t_bare:10.1f} {1e3 * t_loop:17.1f} {1e3 * t_func:16.1f} "
              f"{t_loop / t_bare:6.2f}")


if __name__ == "__main__":
    main()
