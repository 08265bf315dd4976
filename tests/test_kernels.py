"""The Numba kernels agree with the NumPy reference."""

import numpy as np
import pytest

from w2vcli import reference as ref
from w2vcli.kernels import BatchParams, Tables, batch_kernel, hogbatch_window_update, sgns_pair_update

V, D = 12, 16


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    w_in = rng.normal(scale=0.3, size=(V, D)).astype(np.float32)
    w_out = rng.normal(scale=0.3, size=(V, D)).astype(np.float32)
    return w_in, w_out


@pytest.mark.parametrize(
    "center,outside,negatives",
    [
        (0, 1, [2, 3, 4, 5, 6]),
        (3, 3, [7, 8, 9]),  # the centre word as its own outside word
        (4, 5, [6, 6, 2, 6]),  # repeated noise word: gradients summed
        (2, 9, [9, 1, 9, 3]),  # noise equal to the outside word: skipped
    ],
)
def test_pair_update_equals_reference_sgd_step(center, outside, negatives):
    w_in, w_out = _weights()
    alpha = 0.1
    exp_in, exp_out, exp_loss = ref.sgns_sgd_step(w_in, w_out, center, outside, negatives, alpha)
    negs = np.array(negatives, dtype=np.int32)
    grad = np.empty(D, dtype=np.float32)
    coef = np.empty(len(negs) + 1, dtype=np.float32)
    loss = sgns_pair_update(w_in, w_out, center, outside, negs, alpha, grad, coef)
    np.testing.assert_allclose(w_in, exp_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w_out, exp_out, rtol=1e-5, atol=1e-6)
    assert loss == pytest.approx(exp_loss, rel=1e-5)


def test_pair_update_descends_the_loss():
    w_in, w_out = _weights(1)
    negs = np.array([5, 6, 7], dtype=np.int32)
    grad = np.empty(D, dtype=np.float32)
    coef = np.empty(4, dtype=np.float32)
    losses = [sgns_pair_update(w_in, w_out, 0, 1, negs, 0.05, grad, coef) for _ in range(50)]
    assert losses[-1] < 0.2 * losses[0]
    assert all(b <= a + 1e-9 for a, b in zip(losses, losses[1:]))


def _batch(seed, chunk_starts, window=3, negative=4, words_before=0, kind="pair"):
    rng = np.random.default_rng(7)
    ids = rng.integers(0, V, size=400).astype(np.int32)
    ends = np.arange(40, 401, 40, dtype=np.int64)
    keep = np.ones(V, dtype=np.float32)
    threshold = np.full(V, 2**32 - 1, dtype=np.uint32)
    alias = np.arange(V, dtype=np.int32)
    w_in, w_out = _weights()
    params = BatchParams(window, negative, 0.025, 0.0001, words_before, 4000, seed)
    tables = Tables(threshold, alias, np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32), np.zeros(1, np.int32))
    stats = batch_kernel(D, "sg", "ns", kind)(w_in, w_out, ids, ends, np.array(chunk_starts, dtype=np.int64), keep, tables, params)
    return w_in, w_out, stats


def test_batch_is_deterministic_for_a_seed_and_changes_with_it():
    a_in, a_out, a_stats = _batch(5, [0, 10])
    b_in, b_out, b_stats = _batch(5, [0, 10])
    c_in, _, _ = _batch(6, [0, 10])
    assert np.array_equal(a_in, b_in) and np.array_equal(a_out, b_out)
    assert np.array_equal(a_stats, b_stats)
    assert not np.array_equal(a_in, c_in)


def test_batch_counts_pairs_of_the_shrunk_window():
    # No subsampling: each centre word pairs with at most 2 * window outside words.
    _, _, stats = _batch(5, [0, 4, 10])
    pairs = stats[:, 1]
    assert pairs[0] > 0 and pairs[1] > 0
    assert pairs.sum() <= 400 * 2 * 3
    # Window sizes are uniform in [1, 3]: on average about 2 * 2 outside words per centre word.
    assert 1200 < pairs.sum() < 2000
    mean_loss = stats[:, 0].sum() / pairs.sum()
    assert 0 < mean_loss < 20


def test_empty_chunks_train_nothing():
    w_in, w_out = _weights()
    before_in, before_out = w_in.copy(), w_out.copy()
    in2, out2, stats = _batch(5, [3, 3, 3])
    assert not stats.any()
    assert np.array_equal(in2, before_in) and np.array_equal(out2, before_out)


@pytest.mark.parametrize(
    "context,center,negatives",
    [
        ([1, 2, 4, 5], 3, [6, 7, 8, 9, 10]),
        ([1, 1, 2], 0, [5, 5, 6]),  # repeated outside and noise words: gradients summed
        ([2, 4], 7, [7, 8, 7]),  # noise equal to the centre word: skipped
    ],
)
def test_hogbatch_window_equals_reference_step(context, center, negatives):
    """Up to the sigmoid table (about 3e-3 in sigmoid), the update is the reference's."""
    w_in, w_out = _weights(2)
    alpha = 0.1
    exp_in, exp_out, exp_loss = ref.window_sgd_step(w_in, w_out, context, center, negatives, alpha)
    outs = np.array([center] + [-1 if k == center else k for k in negatives], dtype=np.int32)
    ctx = np.array(context, dtype=np.int32)
    coef = np.empty((len(ctx), len(outs)), dtype=np.float32)
    in_rows = np.empty((len(ctx), D), dtype=np.float32)
    out_rows = np.empty((len(outs), D), dtype=np.float32)
    before_in, before_out = w_in.copy(), w_out.copy()
    loss = hogbatch_window_update(w_in, w_out, ctx, outs, alpha, in_rows, out_rows, coef)
    for got, before, expected in ((w_in, before_in, exp_in), (w_out, before_out, exp_out)):
        step, exp_step = got - before, expected - before
        assert np.abs(step - exp_step).max() <= 0.01 * np.abs(exp_step).max()
        assert not step[np.abs(exp_step).sum(axis=1) == 0].any()  # untouched rows stay put
    assert loss == pytest.approx(exp_loss, rel=1e-2)


def test_hogbatch_batch_trains_like_pair_batch():
    """Same data and seed: both kernels see about the same pairs and reach a similar loss."""
    pair = _batch(5, [0, 10])[2]
    hog = _batch(5, [0, 10], kind="hogbatch")[2]
    assert hog[0, 1] == pytest.approx(pair[0, 1], rel=0.1)
    assert hog[0, 0] / hog[0, 1] == pytest.approx(pair[0, 0] / pair[0, 1], rel=0.05)
