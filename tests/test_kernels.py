"""The Numba kernels agree with the NumPy reference."""

import numpy as np
import pytest

from w2vcli import reference as ref
from w2vcli.kernels import (BatchParams, Tables, batch_kernel, context_combining_update,
                            sgns_pair_update)

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
    loss = sgns_pair_update(w_in, w_out, center, outside, negs, alpha)
    np.testing.assert_allclose(w_in, exp_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w_out, exp_out, rtol=1e-5, atol=1e-6)
    assert loss == pytest.approx(exp_loss, rel=1e-5)


def test_pair_update_descends_the_loss():
    w_in, w_out = _weights(1)
    negs = np.array([5, 6, 7], dtype=np.int32)
    losses = [sgns_pair_update(w_in, w_out, 0, 1, negs, 0.05) for _ in range(50)]
    assert losses[-1] < 0.2 * losses[0]
    assert all(b <= a + 1e-9 for a, b in zip(losses, losses[1:]))


def _batch(seed, chunk_starts, window=3, negative=4, words_before=0, kind="pair", group=1):
    rng = np.random.default_rng(7)
    ids = rng.integers(0, V, size=400).astype(np.int32)
    ends = np.arange(40, 401, 40, dtype=np.int64)
    keep = np.ones(V, dtype=np.float32)
    threshold = np.full(V, 2**32 - 1, dtype=np.uint32)
    alias = np.arange(V, dtype=np.int32)
    w_in, w_out = _weights()
    params = BatchParams(window, negative, 0.025, 0.0001, words_before, 4000, seed, group=group)
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


def _assert_step_close(got_in, got_out, before_in, before_out, exp_in, exp_out):
    """Up to the sigmoid table (about 3e-3 in sigmoid), the step is the reference's, and rows
    the reference leaves alone do not move."""
    for got, before, expected in ((got_in, before_in, exp_in), (got_out, before_out, exp_out)):
        step, exp_step = got - before, expected - before
        assert np.abs(exp_step).max() > 0
        assert np.abs(step - exp_step).max() <= 0.01 * np.abs(exp_step).max()
        assert not step[np.abs(exp_step).sum(axis=1) == 0].any()


@pytest.mark.parametrize(
    "context,center,negatives",
    [
        ([1, 2, 4, 5], 3, [6, 7, 8, 9, 10]),
        ([1, 1, 2], 0, [5, 5, 6]),  # repeated outside and noise words: gradients summed
        ([2, 4], 7, [7, 8, 7]),  # noise equal to the centre word: skipped
    ],
)
def test_group_of_one_is_the_hogbatch_window_step(context, center, negatives):
    w_in, w_out = _weights(2)
    alpha = 0.1
    exp_in, exp_out, exp_loss = ref.window_sgd_step(w_in, w_out, context, center, negatives, alpha)
    before_in, before_out = w_in.copy(), w_out.copy()
    sentence = np.array([center] + context, dtype=np.int32)  # the window: all of the sentence
    loss, pairs = context_combining_update(w_in, w_out, sentence, 0, 1,
                                           np.array([len(context)]),
                                           np.array(negatives, dtype=np.int32), alpha)
    _assert_step_close(w_in, w_out, before_in, before_out, exp_in, exp_out)
    assert pairs == len(context)
    assert loss == pytest.approx(exp_loss, rel=1e-2)


@pytest.mark.parametrize(
    "sentence,first,radii,negatives",
    [
        ([0, 1, 2, 3, 4, 5, 6, 7], 2, [1, 3, 2, 2], [8, 9, 10, 11, 8]),
        ([3, 3, 4, 3, 5, 3], 0, [2, 1, 5, 2, 1, 3], [3, 4, 9, 9]),  # repeats; noise = centres
        ([1, 2], 1, [4], [5]),  # a window cut by the sentence's start
        (list(range(12)) * 6, 3, [5] * 64, [1, 2, 3]),  # the largest group, 64 centre words
    ],
)
def test_context_combining_step_equals_reference(sentence, first, radii, negatives):
    w_in, w_out = _weights(3)
    alpha = 0.05
    exp_in, exp_out, exp_loss, exp_pairs = ref.combined_sgd_step(
        w_in, w_out, sentence, first, radii, negatives, alpha)
    before_in, before_out = w_in.copy(), w_out.copy()
    loss, pairs = context_combining_update(
        w_in, w_out, np.array(sentence, dtype=np.int32), first, len(radii),
        np.array(radii, dtype=np.int64), np.array(negatives, dtype=np.int32), alpha)
    _assert_step_close(w_in, w_out, before_in, before_out, exp_in, exp_out)
    assert pairs == exp_pairs
    assert loss == pytest.approx(exp_loss, rel=1e-2)


def test_nan_weights_give_a_nan_loss_not_a_bad_table_read():
    """Diverged weights (NaN, inf) reach the divergence check as a NaN loss."""
    for bad in (np.nan, np.inf, -np.inf):
        w_in, w_out = _weights(4)
        w_in[1, :] = bad
        w_out[3, :] = bad
        loss, _ = context_combining_update(
            w_in, w_out, np.array([1, 3, 2, 1, 3], dtype=np.int32), 1, 3,
            np.array([1, 2, 1]), np.array([3, 5], dtype=np.int32), 0.1)
        assert np.isnan(loss)


@pytest.mark.parametrize("kind,group,rel", [("hogbatch", 1, 0.05), ("context-combining", 4, 0.05),
                                            ("context-combining", 16, 0.15)])
def test_batch_trains_like_pair_batch(kind, group, rel):
    """Same data and seed: every rule sees about the same pairs and reaches a similar loss (in
    a batch this small, groups of 16 take 16 times fewer, larger steps, so lag further)."""
    pair = _batch(5, [0, 10])[2]
    other = _batch(5, [0, 10], kind=kind, group=group)[2]
    assert other[0, 1] == pytest.approx(pair[0, 1], rel=0.1)
    assert other[0, 0] / other[0, 1] == pytest.approx(pair[0, 0] / pair[0, 1], rel=rel)
    assert other[0, 0] / other[0, 1] < 5 * np.log(2)  # below the loss at the start: it learns


def test_flops_counted_from_the_work_done():
    """Per pair, the exact rule scores K + 1 rows (6 d flops each, plus d to apply the centre
    row's step), less the noise words equal to the outside word (skipped, and frequent with 12
    words). HogBatch scores as many; context combining fewer, more so with larger groups."""
    pair = _batch(5, [0, 10])[2]
    assert pair[0, 2] % D == 0
    assert (6 * 3 + 1) * D * pair[0, 1] < pair[0, 2] <= (6 * 5 + 1) * D * pair[0, 1]
    flops = [_batch(5, [0, 10], kind="context-combining", group=g)[2][0, 2] for g in (1, 4, 16)]
    assert flops[0] == pytest.approx(pair[0, 2], rel=0.15)
    assert flops[0] > flops[1] > flops[2] > 0
