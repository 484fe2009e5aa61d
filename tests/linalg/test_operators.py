import numpy as np
import pytest
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg as spla
from hypothesis import given, settings
from hypothesis import strategies as st

from boundcalc import Convolution2D, Gradient2D, Mask, adjoint_test, gaussian, spectrum
from boundcalc.linalg.operators import _lanczos_gram

SHAPES = [(4, 4), (5, 3), (6, 7), (8, 8)]


def dense_sv(op):
    return scipy.linalg.svdvals(op.toarray())


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("boundary", ["periodic", "neumann"])
def test_gradient_closed_form_matches_dense_svd(shape, boundary):
    op = Gradient2D(shape, boundary=boundary)
    np.testing.assert_allclose(op.singular_values(), dense_sv(op), rtol=1e-10, atol=1e-12)
    denom = 1 if boundary == "periodic" else 2
    res = spectrum(op)
    assert res.method == "exact-structured"
    assert res.rank == op.shape[1] - 1  # kernel = constants
    np.testing.assert_allclose(res.sigma_A, 2 * np.sin(np.pi / (denom * max(shape))), rtol=1e-10)
    np.testing.assert_allclose(res.norm_A, dense_sv(op)[0], rtol=1e-10)


@pytest.mark.parametrize("boundary", ["periodic", "neumann"])
def test_gradient_kernel_is_constants(boundary):
    op = Gradient2D((5, 6), boundary=boundary)
    np.testing.assert_allclose(op @ np.full(30, 3.7), 0, atol=1e-14)
    null = scipy.linalg.null_space(op.toarray())
    assert null.shape[1] == 1
    np.testing.assert_allclose(np.abs(null[:, 0]), 1 / np.sqrt(30), rtol=1e-10)


def test_gradient_matches_explicit_formula_periodic():
    op = Gradient2D((4, 5))
    x = np.arange(20.0).reshape(4, 5) ** 2
    out = op @ x.ravel()
    np.testing.assert_allclose(out[:20].reshape(4, 5), np.roll(x, -1, 0) - x)
    np.testing.assert_allclose(out[20:].reshape(4, 5), np.roll(x, -1, 1) - x)


@pytest.mark.parametrize("shape", SHAPES)
def test_convolution_closed_form_matches_dense_and_direct(shape):
    rng = np.random.default_rng(1)
    kernel = rng.standard_normal((3, 3))
    op = Convolution2D(kernel, shape)
    np.testing.assert_allclose(op.singular_values(), dense_sv(op), rtol=1e-10, atol=1e-12)
    # Independent computation: direct periodic convolution sum.
    x = rng.standard_normal(shape)
    direct = np.zeros(shape)
    for a in range(3):
        for b in range(3):
            direct += kernel[a, b] * np.roll(x, (a - 1, b - 1), axis=(0, 1))
    np.testing.assert_allclose((op @ x.ravel()).reshape(shape), direct, rtol=1e-10, atol=1e-12)


def test_box_blur_has_exact_zeros_and_rank_deficit():
    op = Convolution2D(np.ones((2, 2)) / 4, (6, 6))
    res = spectrum(op)
    s = dense_sv(op)
    tol = 36 * np.finfo(float).eps * s[0]
    assert res.rank == int(np.sum(s > tol))
    assert res.rank < 36
    np.testing.assert_allclose(res.sigma_A, s[s > tol][-1], rtol=1e-10)


def test_mask():
    mask = np.zeros((4, 4), dtype=bool)
    mask[::2, 1::2] = True
    op = Mask(mask)
    assert op.shape == (4, 16)
    res = spectrum(op)
    assert (res.sigma_A, res.norm_A, res.kappa_A, res.rank) == (1.0, 1.0, 1.0, 4)
    np.testing.assert_allclose(dense_sv(op), 1.0)


@pytest.mark.parametrize("op", [
    Gradient2D((5, 4)), Gradient2D((5, 4), "neumann"), Convolution2D(np.arange(6.0).reshape(2, 3), (5, 4)),
    Mask(np.eye(4, dtype=bool)),
], ids=["grad-per", "grad-neu", "conv", "mask"])
def test_adjoints_of_structured_operators(op):
    assert adjoint_test(op, seed=3) < 1e-12
    dense = op.toarray()
    y = np.random.default_rng(0).standard_normal(op.shape[0])
    np.testing.assert_allclose(op.rmatvec(y), dense.T @ y, atol=1e-12)
    np.testing.assert_allclose(op.T @ y, dense.T @ y, atol=1e-12)


def test_rank_deficient_dense_with_known_spectrum():
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    V, _ = np.linalg.qr(rng.standard_normal((9, 9)))
    s = np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.1, 0, 0, 0])
    A = U[:, :9] @ np.diag(s) @ V.T
    res = spectrum(A)
    assert res.rank == 6
    np.testing.assert_allclose(res.sigma_A, 0.1, rtol=1e-10)
    np.testing.assert_allclose(res.norm_A, 5.0, rtol=1e-12)
    np.testing.assert_allclose(res.kappa_A, 50.0, rtol=1e-10)
    assert res.gap > 1e6


def test_rtol_changes_rank_decision():
    A = np.diag([1.0, 1e-3, 1e-9])
    assert spectrum(A).rank == 3
    res = spectrum(A, rtol=1e-6)
    assert res.rank == 2 and res.sigma_A == pytest.approx(1e-3)
    assert res.gap == pytest.approx(1e6)


def test_gaussian_is_seeded_and_scaled():
    A1, A2 = gaussian(200, 50, seed=4), gaussian(200, 50, seed=4)
    np.testing.assert_array_equal(A1, A2)
    assert abs(A1.var() * 200 - 1) < 0.05


def test_matrix_free_and_sparse_routes_agree_with_dense():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((30, 20))
    A[:, -1] = A[:, 0]  # rank 19
    exact = spectrum(A)
    lin = spla.aslinearoperator(A)
    via_op = spectrum(lin)
    via_sparse = spectrum(scipy.sparse.csr_matrix(A))
    for r in (via_op, via_sparse):
        assert r.rank == 19
        np.testing.assert_allclose(r.sigma_A, exact.sigma_A, rtol=1e-10)
    lan = _lanczos_gram(lin, None)
    lan_sp = _lanczos_gram(scipy.sparse.csr_matrix(A), None)
    for r in (lan, lan_sp):
        assert r.method == "lanczos-gram" and r.rank == 19
        np.testing.assert_allclose(r.sigma_A, exact.sigma_A, rtol=1e-8)
        np.testing.assert_allclose(r.norm_A, exact.norm_A, rtol=1e-10)


def test_lanczos_on_large_sparse_gradient():
    # 50x50 Neumann gradient as a sparse matrix: min(m, n) = 2500 > 2048 takes the Lanczos route.
    op = Gradient2D((50, 50), "neumann")
    S = scipy.sparse.csr_matrix(op.toarray())
    res = spectrum(S)
    assert res.method == "lanczos-gram"
    np.testing.assert_allclose(res.sigma_A, 2 * np.sin(np.pi / 100), rtol=1e-9)
    assert res.rank == 2499


def test_bad_adjoint_is_an_error():
    A = np.arange(12.0).reshape(4, 3)
    bad = spla.LinearOperator((4, 3), matvec=lambda x: A @ x, rmatvec=lambda y: 2 * A.T @ y, dtype=float)
    with pytest.raises(ValueError, match="adjoint test failed"):
        spectrum(bad)


@pytest.mark.parametrize("bad, exc, match", [
    (np.array([[1.0, np.nan]]), ValueError, "finite"),
    (np.array([[1.0, np.inf]]), ValueError, "finite"),
    (np.zeros((0, 3)), ValueError, "empty"),
    (np.ones(3), ValueError, "2-D"),
    (np.zeros((3, 3)), ValueError, "zero operator"),
    (np.array([["a", "b"]]), TypeError, "real numbers"),
    (np.array([[1 + 1j]]), TypeError, "real numbers"),
])
def test_bad_input(bad, exc, match):
    with pytest.raises(exc, match=match):
        spectrum(bad)


def test_bad_structured_input():
    with pytest.raises(ValueError, match="boundary"):
        Gradient2D((4, 4), boundary="dirichlet")
    with pytest.raises(ValueError, match="kernel"):
        Convolution2D(np.ones((5, 5)), (4, 4))
    with pytest.raises(ValueError, match="zero"):
        Convolution2D(np.zeros((2, 2)), (4, 4))
    with pytest.raises(ValueError, match="at least one"):
        Mask(np.zeros((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="shape"):
        Gradient2D((4,))
    with pytest.raises(ValueError, match="rtol"):
        spectrum(np.eye(3), rtol=2.0)


@settings(max_examples=30, deadline=None)
@given(c=st.floats(min_value=-1e3, max_value=1e3).filter(lambda c: abs(c) > 1e-3),
       seed=st.integers(0, 2**16))
def test_scaling_property(c, seed):
    A = np.random.default_rng(seed).standard_normal((6, 4))
    r1, r2 = spectrum(A), spectrum(c * A)
    np.testing.assert_allclose(r2.sigma_A, abs(c) * r1.sigma_A, rtol=1e-10)
    np.testing.assert_allclose(r2.norm_A, abs(c) * r1.norm_A, rtol=1e-10)
    np.testing.assert_allclose(r2.kappa_A, r1.kappa_A, rtol=1e-9)


@pytest.mark.parametrize("op", [Convolution2D(np.arange(12.0).reshape(3, 4) - 5, (6, 7)),
                                Convolution2D(np.ones((2, 3)), (5, 4)),
                                Gradient2D((5, 7), boundary="neumann"), Gradient2D((6, 5))])
def test_block_products_equal_column_by_column_products(op):
    """The batched FFT / difference route for an n × c block (used for A V₀ with k columns) equals
    the operator applied to each column, on odd and even sides and a non-symmetric kernel."""
    rng = np.random.default_rng(3)
    m, n = op.shape
    X, Y = rng.standard_normal((n, 5)), rng.standard_normal((m, 4))
    cols = np.stack([op.matvec(x) for x in X.T], axis=1)
    rcols = np.stack([op.rmatvec(y) for y in Y.T], axis=1)
    assert np.allclose(op.matmat(X), cols, rtol=0, atol=1e-13)
    assert np.allclose(op.rmatmat(Y), rcols, rtol=0, atol=1e-13)
    assert np.allclose(op.T @ Y, rcols, rtol=0, atol=1e-13)
    dense = op.toarray()
    assert np.allclose(cols, dense @ X, rtol=0, atol=1e-12)
