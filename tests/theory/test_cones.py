import itertools
import json

import numpy as np
import pytest

from boundcalc.cli import main
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.theory.cones import (
    ChordCone,
    FinitelyGeneratedCone,
    L1DescentCone,
    NonnegativeOrthant,
    PolyhedralCone,
    Subspace,
    gaussian_width,
    gordon_lower_bound,
    l1_kernel_test,
    l1_statistical_dimension,
    restricted_min_singular_value,
    statistical_dimension,
)


def brute_force_polyhedral(A, G):
    """Exact λ_min(A; {Gz ≥ 0}) for small sizes: on every face (set I of active rows) the minimiser
    over the face's span is an eigenvector of the restricted Gram; keep those that are feasible."""
    n = A.shape[1]
    best = np.inf
    for r in range(G.shape[0] + 1):
        for I in itertools.combinations(range(G.shape[0]), r):
            if I:
                _, sv, Vt = np.linalg.svd(G[list(I)])
                rank = int(np.sum(sv > 1e-10))
                basis = Vt[rank:].T
            else:
                basis = np.eye(n)
            if basis.shape[1] == 0:
                continue
            lam, vecs = np.linalg.eigh(basis.T @ A.T @ A @ basis)
            for j in range(lam.size):
                for sgn in (1, -1):
                    z = sgn * basis @ vecs[:, j]
                    if np.all(G @ z >= -1e-9):
                        best = min(best, np.linalg.norm(A @ z))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_orthant_bracket_contains_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 6
    A = rng.standard_normal((4, n))
    exact = brute_force_polyhedral(A, np.eye(n))
    res = restricted_min_singular_value(A, NonnegativeOrthant(n))
    assert res.status == "optimal"
    assert res.lower - 1e-9 <= exact <= res.upper + 1e-9
    assert res.lower <= res.upper
    assert NonnegativeOrthant(n).contains(res.witness)
    assert np.linalg.norm(A @ res.witness) == pytest.approx(res.upper)


@pytest.mark.parametrize("seed", [0, 1])
def test_polyhedral_bracket_contains_brute_force(seed):
    rng = np.random.default_rng(10 + seed)
    n = 5
    A = rng.standard_normal((6, n))
    G = rng.standard_normal((4, n))
    exact = brute_force_polyhedral(A, G)
    res = restricted_min_singular_value(A, PolyhedralCone(G), solver="SCS", fallback="CLARABEL")
    assert res.status == "optimal"
    assert res.lower - 1e-7 <= exact <= res.upper + 1e-9


def test_subspace_is_exact():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((7, 10))
    U = rng.standard_normal((10, 4))
    res = restricted_min_singular_value(A, Subspace(U))
    Q, _ = np.linalg.qr(U)
    s = np.linalg.svd(A @ Q, compute_uv=False)[-1]
    assert res.lower == pytest.approx(s, rel=1e-8) and res.upper == pytest.approx(s, rel=1e-8)


def test_l1_cone_zero_when_kernel_direction_in_cone():
    rng = np.random.default_rng(4)
    n = 8
    x = np.zeros(n)
    x[:2] = [1.0, 1.0]
    z = np.zeros(n)
    z[:2] = [-1.0, -1.0]
    z[2:4] = [0.5, -0.5]           # sgᵀz_S + ‖z_Sc‖₁ = −2 + 1 < 0: z is in the cone
    B = rng.standard_normal((5, n))
    A = B - np.outer(B @ z, z) / (z @ z)  # A z = 0
    found, w, val = l1_kernel_test(A, x)
    assert found and val < 0 and np.linalg.norm(A @ w) < 1e-8
    res = restricted_min_singular_value(A, L1DescentCone(x))
    assert res.upper < 1e-6 and res.lower <= res.upper


def test_l1_cone_positive_for_gaussian_above_transition():
    rng = np.random.default_rng(5)
    n, s = 20, 2
    x = np.zeros(n)
    x[:s] = [1.0, -1.0]
    delta = l1_statistical_dimension(n, s).delta
    m = int(np.ceil(delta)) + 8
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    assert not l1_kernel_test(A, x)[0]
    res = restricted_min_singular_value(A, L1DescentCone(x), solver="SCS", fallback="CLARABEL")
    assert res.status == "optimal" and res.lower > 0
    assert res.gap < 1e-3  # the relaxation is tight on random instances (docs/numerics.md "Cone brackets")


def test_statistical_dimension_closed_forms_vs_montecarlo():
    n = 30
    orth = statistical_dimension(NonnegativeOrthant(n), "montecarlo", samples=4000, seed=1)
    assert abs(orth.delta - n / 2) < 4 * orth.stderr
    U = np.random.default_rng(0).standard_normal((n, 7))
    sub = statistical_dimension(Subspace(U), "montecarlo", samples=4000, seed=2)
    assert abs(sub.delta - 7) < 4 * sub.stderr
    x = np.zeros(60)
    x[:6] = 1.0
    cone = L1DescentCone(x)
    mc = statistical_dimension(cone, "montecarlo", samples=3000, seed=3)
    exact = statistical_dimension(cone, "almt-bound")
    lo, hi = exact.bracket
    # ALMT: nψ − 2√(n/s) ≤ δ ≤ nψ; the Monte-Carlo mean must be inside, up to 4 standard errors.
    assert lo - 4 * mc.stderr <= mc.delta <= hi + 4 * mc.stderr


def test_psi_matches_known_values():
    # ψ(1) = 1 (s = n: the cone is a half-space, δ = n − 1/2 → 1) and ψ → 0 as ρ → 0.
    assert l1_statistical_dimension(1000, 1000).delta / 1000 == pytest.approx(1.0, abs=1e-6)
    assert l1_statistical_dimension(10000, 1).delta / 10000 < 0.01
    with pytest.raises(ValueError, match="s must be"):
        l1_statistical_dimension(10, 11)


@pytest.mark.parametrize("cone", [NonnegativeOrthant(7),
                                  PolyhedralCone(np.random.default_rng(0).standard_normal((4, 7))),
                                  FinitelyGeneratedCone(np.random.default_rng(1).standard_normal((7, 5))),
                                  L1DescentCone(np.r_[1.0, -2.0, 0, 0, 0, 0, 0]),
                                  Subspace(np.random.default_rng(2).standard_normal((7, 3)))],
                         ids=["orthant", "polyhedral", "generated", "l1", "subspace"])
def test_moreau_decomposition_and_membership(cone):
    rng = np.random.default_rng(7)
    for _ in range(20):
        v = rng.standard_normal(7) * 3
        p, q = cone.project(v), cone.project_polar(v)
        np.testing.assert_allclose(p + q, v, atol=1e-12)
        assert abs(p @ q) < 1e-7 * (1 + v @ v)
        assert cone.contains(p, 1e-7)
        # projection is idempotent and no point of the cone is closer (checked on random members)
        np.testing.assert_allclose(cone.project(p), p, atol=1e-7)
        for _ in range(5):
            w = cone.project(rng.standard_normal(7))
            assert np.linalg.norm(v - p) <= np.linalg.norm(v - w) + 1e-9


def test_moreau_identity_gives_polar_statdim():
    cone = L1DescentCone(np.r_[np.ones(3), np.zeros(9)])
    rng = np.random.default_rng(0)
    g = rng.standard_normal((500, 12))
    a = np.array([np.sum(cone.project(v) ** 2) for v in g])
    b = np.array([np.sum(cone.project_polar(v) ** 2) for v in g])
    np.testing.assert_allclose(a + b, np.sum(g**2, axis=1), rtol=1e-10)  # δ(C) + δ(C°) = n per sample


def test_solver_failure_gives_status_not_number():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 6))
    res = restricted_min_singular_value(A, NonnegativeOrthant(6), solver="SCS", fallback=None, max_iters=2)
    assert res.status != "optimal" and np.isnan(res.lower)
    assert np.isfinite(res.upper)  # the feasible-point upper bound needs no solver
    both = restricted_min_singular_value(A, NonnegativeOrthant(6), solver="SCS", fallback="CLARABEL", max_iters=2)
    assert both.status == "SCS: optimal_inaccurate; CLARABEL: user_limit" and np.isnan(both.lower)
    assert both.route == "" and np.isnan(both.certificate_residual)


def test_gaussian_width_and_gordon():
    cone = NonnegativeOrthant(40)
    w, se = gaussian_width(cone, samples=2000, seed=0)
    d = statistical_dimension(cone, "exact").delta
    assert w**2 - 4 * se * 2 * w <= d <= w**2 + 1 + 4 * se * 2 * w
    g = gordon_lower_bound(cone, 200, t=2.0, width=w)
    assert g.lower == pytest.approx((np.sqrt(199) - w - 2) / np.sqrt(200))
    assert g.probability == pytest.approx(1 - np.exp(-2))
    # Empirically the bound holds for a Gaussian draw (probability ≥ 0.86).
    A = np.random.default_rng(1).standard_normal((200, 40)) / np.sqrt(200)
    assert restricted_min_singular_value(A, cone, lower=False).upper >= g.lower


def test_chord_cone_is_labelled_inner_approximation():
    net = TwoLayerDIP(3, 2, 50, seed=0)
    cone = ChordCone(net, net.theta0, radius=1.0, samples=30, seed=0)
    A = np.random.default_rng(0).standard_normal((5, 3))
    res = restricted_min_singular_value(A, cone)
    assert "estimate from above" in res.note
    assert res.lower == pytest.approx(np.linalg.svd(A, compute_uv=False)[-1])  # J onto: cone is R^3


def test_bad_cone_input():
    with pytest.raises(ValueError, match="nonzero"):
        L1DescentCone(np.zeros(4))
    with pytest.raises(ValueError, match="dimension"):
        restricted_min_singular_value(np.eye(3), NonnegativeOrthant(4))
    with pytest.raises(ValueError, match="finite"):
        PolyhedralCone(np.array([[np.nan, 1.0]]))


def test_cli_cone_and_statdim(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "A.npy", rng.standard_normal((12, 10)) / np.sqrt(12))
    x = np.zeros(10)
    x[:2] = 1.0
    np.save(tmp_path / "x.npy", x)
    assert main(["cone", "--operator", str(tmp_path / "A.npy"), "--cone", "l1-descent", "--x",
                 str(tmp_path / "x.npy"), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"lower", "upper", "method", "status", "gap", "solver", "seconds"} <= set(d)
    assert d["lower"] <= d["upper"]
    assert main(["cone", "--operator", str(tmp_path / "A.npy"), "--cone", "orthant", "--json"]) == 0
    capsys.readouterr()
    assert main(["statdim", "--cone", "l1-descent", "--n", "100", "--s", "10", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"delta", "method"} <= set(d) and 26 < d["delta"] < 33
    assert main(["cone", "--operator", str(tmp_path / "A.npy"), "--cone", "l1-descent"]) == 2


def test_statdim_closed_form_is_called_an_upper_bound(capsys):
    sd = l1_statistical_dimension(100, 10)
    assert "upper bound" in sd.method and sd.bracket[1] == sd.delta > sd.bracket[0]
    assert main(["statdim", "--cone", "l1-descent", "--n", "100", "--s", "10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "upper bound" in out["method"] and len(out["bracket"]) == 2


def test_gordon_uses_the_upper_confidence_end_of_the_width():
    x = np.zeros(40)
    x[:4] = 1.0
    cone = L1DescentCone(x)
    w, se = gaussian_width(cone, samples=500, seed=0)
    g = gordon_lower_bound(cone, 24, t=1.0, samples=500, seed=0)
    assert g.width == w and g.width_stderr == se and g.width_used > w + 2 * se
    exact = gordon_lower_bound(cone, 24, t=1.0, width=w)
    assert g.lower < exact.lower and g.probability < exact.probability


def test_statdim_methods_are_named_for_what_they_compute(run_cli):
    import json
    x = np.zeros(12)
    x[:3] = 1.0
    with pytest.raises(ValueError, match="no closed-form statistical dimension"):
        statistical_dimension(L1DescentCone(x), "exact")
    assert statistical_dimension(NonnegativeOrthant(7), "closed-form").delta == 3.5  # odd n: n/2, not n//2
    for n, s in ((4, 3), (3, 3), (12, 1), (12, 11)):  # ALMT's lower end is negative here: clipped at 0
        r = statistical_dimension(L1DescentCone(np.r_[np.ones(s), np.zeros(n - s)]), "almt-bound")
        assert 0.0 <= r.bracket[0] <= r.delta <= n and r.method.startswith("almt-bound")
    code, out, _ = run_cli("statdim", "--cone", "l1-descent", "--n", "100", "--s", "10", "--json")
    data = json.loads(out)
    assert code == 0 and data["method"].startswith("almt-bound") and data["bracket"][0] >= 0
    code, _, err = run_cli("statdim", "--cone", "l1-descent", "--n", "100", "--s", "10", "--method", "exact")
    assert code == 2 and "no closed-form" in err
