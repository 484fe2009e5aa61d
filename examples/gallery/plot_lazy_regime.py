"""
Is my DIP in the lazy regime?
=============================

The theorem's proof keeps the parameters where the Jacobian stays well conditioned: σ_min(J(θ_ℓ)) ≥ σ₀/2 inside
B(θ₀, R′). A convolutional DIP has no certified Lipschitz Jacobian, so boundcalc measures that mechanism along
the run instead: certified brackets of σ_min(J(θ_ℓ)) at log-spaced checkpoints, and ‖θ_ℓ − θ₀‖ against R′.
Here a small ConvDecoder on a 16×16 blurred image, trained by gradient descent and by Adam (needs PyTorch).
"""

import boundcalc as bc

problem = bc.deblurring_problem((16, 16), blur_sigma=1.0, seed=0)
results = {}
for optimizer, options in (("gd", {}), ("adam", {"lr": 1e-2})):  # GD: s = 1/λ by default
    net = bc.TorchGenerator(*bc.conv_decoder((16, 16), channels=8, depth=2, seed=0))
    run = bc.train_torch(net, problem.A, problem.y, optimizer=optimizer, iterations=200, x_bar=problem.x_bar,
                         keep_theta=bc.log_checkpoints(200, 4), **options)
    results[optimizer] = bc.mechanism(net, problem, run)
    print(f"{optimizer}: {results[optimizer].verdict}")

fig = bc.plot_mechanism(results)
