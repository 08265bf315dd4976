"""The NumPy reference is checked against central finite differences."""

import numpy as np
import pytest

from w2vcli import reference as ref

V, D = 7, 5


@pytest.fixture
def vectors():
    rng = np.random.default_rng(42)
    return rng.normal(size=(V, D)), rng.normal(size=(V, D))


def _check(loss_fn, center_vectors, outside_vectors):
    """Analytic gradients of loss_fn(center, outside) equal numerical ones."""
    _, g_center, g_outside = loss_fn(center_vectors, outside_vectors)
    num_center = ref.numerical_gradient(lambda x: loss_fn(x, outside_vectors)[0], center_vectors.copy())
    num_outside = ref.numerical_gradient(lambda x: loss_fn(center_vectors, x)[0], outside_vectors.copy())
    assert ref.relative_error(g_center, num_center) < 1e-7
    assert ref.relative_error(g_outside, num_outside) < 1e-7


def test_naive_softmax_gradient(vectors):
    center, outside = vectors

    def loss_fn(c, o):
        loss, g_c, g_o = ref.naive_softmax_loss_and_gradient(c[3], 2, o)
        g_center = np.zeros_like(c)
        g_center[3] = g_c
        return loss, g_center, g_o

    _check(loss_fn, center, outside)


def test_neg_sampling_gradient_with_repeated_negatives(vectors):
    center, outside = vectors
    negatives = [4, 5, 4, 6, 0]  # 4 drawn twice: its gradient counts twice

    def loss_fn(c, o):
        loss, g_c, g_o = ref.neg_sampling_loss_and_gradient(c[1], 3, o, negatives)
        g_center = np.zeros_like(c)
        g_center[1] = g_c
        return loss, g_center, g_o

    _check(loss_fn, center, outside)
    _, _, g_outside = ref.neg_sampling_loss_and_gradient(center[1], 3, outside, negatives)
    once = ref.sigmoid(outside[4] @ center[1]) * center[1]
    np.testing.assert_allclose(g_outside[4], 2 * once)
    assert not g_outside[2].any()


@pytest.mark.parametrize("loss", ["softmax", "neg"])
def test_skipgram_window_gradient(vectors, loss):
    center, outside = vectors
    outside_ids = [0, 2, 2, 6]
    if loss == "softmax":
        fn, negatives = ref.naive_softmax_loss_and_gradient, None
    else:
        fn, negatives = ref.neg_sampling_loss_and_gradient, [[1, 3], [4, 4], [5, 0], [1, 1]]

    def loss_fn(c, o):
        return ref.skipgram(5, outside_ids, c, o, fn, negatives)

    _check(loss_fn, center, outside)


def test_skipgram_is_sum_over_window(vectors):
    center, outside = vectors
    total, _, _ = ref.skipgram(1, [0, 4], center, outside)
    a = ref.naive_softmax_loss_and_gradient(center[1], 0, outside)[0]
    b = ref.naive_softmax_loss_and_gradient(center[1], 4, outside)[0]
    assert total == pytest.approx(a + b)


def test_loss_values():
    # With all-zero outside vectors, every score is 0: softmax is uniform, sigmoid is 1/2.
    c, o = np.ones((3, 2)), np.zeros((3, 2))
    assert ref.naive_softmax_loss_and_gradient(c[0], 1, o)[0] == pytest.approx(np.log(3))
    assert ref.neg_sampling_loss_and_gradient(c[0], 1, o, [0, 2])[0] == pytest.approx(3 * np.log(2))


def test_sigmoid_is_stable():
    x = np.array([-800.0, -1.0, 0.0, 1.0, 800.0])
    s = ref.sigmoid(x)
    assert np.isfinite(s).all()
    np.testing.assert_allclose(s, [0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1])
    np.testing.assert_allclose(ref.log_sigmoid(np.array([-800.0, 0.0])), [-800.0, -np.log(2)])
