"""fastText's subword model: the reference gradient against finite differences, the Numba steps
and batch walkers against the reference, the compiled n-gram table against w2vcli.subwords."""

import numpy as np
import pytest

from w2vcli import reference as ref
from w2vcli.kernels import HS, NS, BatchParams, Tables
from w2vcli.subword_kernels import (SubwordLayout, ngram_table, subword_batch_kernel,
                                    subword_sg_update, subword_tables)
from w2vcli.subwords import mean_rows, subword_table
from w2vcli.vocab import huffman_tree

V, BUCKET, D = 9, 13, 16
#: Each word's input rows: its own, then n-gram rows V + b (b < BUCKET), one repeated.
ROWS = [[0, 9, 12, 9], [1, 10, 11], [2, 13, 9, 20], [3, 14], [4, 15, 16, 17], [5, 18],
        [6, 19, 21, 21], [7, 12], [8, 10, 13]]


def _table():
    offsets = np.cumsum([0] + [len(r) for r in ROWS]).astype(np.int64)
    rows = np.array([r for word in ROWS for r in word], dtype=np.int32)
    return offsets, rows


def _tables(loss_kind=NS):
    codes, points, lengths = huffman_tree(np.arange(V, 0, -1) * 10)
    if loss_kind == NS:
        threshold = np.full(V, 2**32 - 1, dtype=np.uint32)
        alias = np.arange(V, dtype=np.int32)
    else:
        threshold, alias = np.zeros(1, np.uint32), np.zeros(1, np.int32)
    return subword_tables(Tables(threshold, alias, codes, points, lengths), *_table())


def _weights(out_rows=V, seed=3):
    rng = np.random.default_rng(seed)
    return (rng.normal(scale=0.3, size=(V + BUCKET, D)).astype(np.float32),
            rng.normal(scale=0.3, size=(out_rows, D)).astype(np.float32))


def _ns(target, negatives):
    negs = [k for k in negatives if k != target]
    return lambda h, u: ref.neg_sampling_loss_and_gradient(h, target, u, negs)


def _hs(target, tables):
    n = tables.code_lengths[target]
    codes, points = tables.codes[target, :n], tables.points[target, :n]
    return lambda h, u: ref.hierarchical_softmax_loss_and_gradient(h, codes, points, u)


# -- the reference ----------------------------------------------------------------------------


def test_subword_gradient_is_the_gradient_of_the_mean():
    w_in, w_out = (w.astype(np.float64) for w in _weights())
    rows = ROWS[6]  # a repeated n-gram row
    predictions = [_ns(1, [2, 5, 5]), _ns(4, [1, 8]), _ns(1, [3])]

    def loss_of(w_in_, w_out_):
        return ref.subword_loss(w_in_, w_out_, rows, predictions)[0]

    _, grad_in, grad_out, grad_hidden = ref.subword_loss(w_in, w_out, rows, predictions)
    num_in = ref.numerical_gradient(lambda x: loss_of(x, w_out), w_in.copy())
    num_out = ref.numerical_gradient(lambda x: loss_of(w_in, x), w_out.copy())
    assert ref.relative_error(grad_in, num_in) < 1e-7
    assert ref.relative_error(grad_out, num_out) < 1e-7
    # The repeated row has twice the gradient of the others: (count / n) dJ/dh.
    np.testing.assert_allclose(num_in[21], 2 / 4 * grad_hidden, atol=1e-8)
    np.testing.assert_allclose(num_in[6], 1 / 4 * grad_hidden, atol=1e-8)
    assert not num_in[[r for r in range(V + BUCKET) if r not in rows]].any()


def test_fasttext_step_is_n_times_the_gradient_step_of_every_input_row():
    w_in, w_out = (w.astype(np.float64) for w in _weights())
    rows, alpha = ROWS[2], 0.1
    predictions = [_ns(5, [0, 7]), _ns(3, [7, 7])]
    new_in, new_out, loss = ref.subword_sgd_step(w_in, w_out, rows, predictions, alpha)
    exact, grad_in, grad_out, _ = ref.subword_loss(w_in, w_out, rows, predictions)
    assert loss == exact
    num_in = ref.numerical_gradient(
        lambda x: ref.subword_loss(x, w_out, rows, predictions)[0], w_in.copy())
    # fastText's Model::update without normalizeGradient: the direction of the gradient, a
    # step len(rows) times the gradient step.
    np.testing.assert_allclose(w_in - new_in, alpha * len(rows) * num_in, atol=1e-8)
    np.testing.assert_allclose(w_out - new_out, alpha * grad_out, atol=1e-12)
    # And the step descends the loss of the mean.
    assert ref.subword_loss(new_in, new_out, rows, predictions)[0] < loss


# -- one skip-gram window: kernel against the reference ---------------------------------------


def _assert_step_close(got, before, expected):
    """Equal up to the sigmoid table (about 3e-3 in sigmoid); rows that should not move do not."""
    step, exp_step = got - before, expected - before
    assert np.abs(step - exp_step).max() <= 0.01 * np.abs(exp_step).max()
    assert not step[np.abs(exp_step).sum(axis=1) == 0].any()


@pytest.mark.parametrize("center,outside,noise,per_pair,loss_kind", [
    (6, [1, 4, 1], [2, 5, 5], False, NS),  # repeated outside word, shared noise, repeated noise
    (2, [5, 3], [5, 0, 7, 3], False, NS),  # a noise word equal to some outside words
    (0, [3, 8], [7, 3, 8, 2, 2, 8], True, NS),  # noise per pair, one equal to its target
    (4, [1, 7, 8], [], False, HS),
])
def test_sg_window_equals_reference_step(center, outside, noise, per_pair, loss_kind):
    out_rows = V - 1 if loss_kind == HS else V
    w_in, w_out = _weights(out_rows)
    tables = _tables(loss_kind)
    alpha = 0.2
    k = len(noise) // len(outside) if per_pair else len(noise)
    predictions = []
    for j, o in enumerate(outside):
        if loss_kind == HS:
            predictions.append(_hs(o, tables))
        else:
            predictions.append(_ns(o, noise[j * k:(j + 1) * k] if per_pair else noise))
    exp_in, exp_out, exp_loss = ref.subword_sgd_step(w_in, w_out, ROWS[center], predictions,
                                                     alpha)
    before_in, before_out = w_in.copy(), w_out.copy()
    loss = subword_sg_update(w_in, w_out, tables, center, np.array(outside, np.int32),
                             np.array(noise, np.int32), alpha, per_pair, loss_kind)
    assert loss == pytest.approx(exp_loss, rel=0.01)
    _assert_step_close(w_in, before_in, exp_in)
    _assert_step_close(w_out, before_out, exp_out)


# -- whole batches: hierarchical softmax draws nothing, so a batch is a sequence of steps -----


def _hs_batch(model):
    sentence = np.array([3, 0, 6, 1, 8, 2], dtype=np.int32)
    window, alpha = 2, 0.1
    tables = _tables(HS)
    w_in, w_out = _weights(V - 1)
    exp_in, exp_out = w_in.astype(np.float64), w_out.astype(np.float64)
    exp_loss = 0.0
    offsets, rows = tables.offsets, tables.rows
    for p, center in enumerate(sentence):
        ctx = [sentence[q] for q in range(max(0, p - window), min(len(sentence), p + window + 1))
               if q != p]
        if model == "sg":
            step_rows = list(rows[offsets[center]:offsets[center + 1]])
            predictions = [_hs(o, tables) for o in ctx]
        else:
            step_rows = [r for o in ctx for r in rows[offsets[o]:offsets[o + 1]]]
            predictions = [_hs(center, tables)]
        exp_in, exp_out, loss = ref.subword_sgd_step(exp_in, exp_out, step_rows, predictions,
                                                     alpha)
        exp_loss += loss
    params = BatchParams(window, 0, alpha, alpha, 0, 1000, 5, shrink_windows=False)
    before_in, before_out = w_in.copy(), w_out.copy()
    stats = subword_batch_kernel(D, model, "hs")(
        w_in, w_out, sentence, np.array([len(sentence)], np.int64), np.array([0, 1], np.int64),
        np.ones(V, np.float32), tables, params)
    return (w_in, before_in, exp_in), (w_out, before_out, exp_out), stats, exp_loss


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_hs_batch_is_the_sequence_of_reference_steps(model):
    ins, outs, stats, exp_loss = _hs_batch(model)
    _assert_step_close(*ins)
    _assert_step_close(*outs)
    assert stats[0, 0] == pytest.approx(exp_loss, rel=0.01)
    pairs = 2 + 3 + 4 + 4 + 3 + 2 if model == "sg" else 6
    assert stats[0, 1] == pairs


def _ns_batch(model, seed, kernel_group=1):
    rng = np.random.default_rng(7)
    ids = rng.integers(0, V, size=300).astype(np.int32)
    ends = np.arange(30, 301, 30, dtype=np.int64)
    w_in, w_out = _weights()
    params = BatchParams(3, 4, 0.05, 0.0001, 0, 3000, seed, group=kernel_group)
    stats = subword_batch_kernel(D, model, "ns")(
        w_in, w_out, ids, ends, np.array([0, 10], np.int64), np.ones(V, np.float32),
        _tables(NS), params)
    return w_in, w_out, stats


@pytest.mark.parametrize("model,group", [("sg", 1), ("sg", 0), ("cbow", 1)])
def test_ns_batch_is_deterministic_and_descends(model, group):
    a_in, a_out, a_stats = _ns_batch(model, 5, group)
    b_in, b_out, b_stats = _ns_batch(model, 5, group)
    assert np.array_equal(a_in, b_in) and np.array_equal(a_out, b_out)
    assert np.array_equal(a_stats, b_stats)
    assert not np.array_equal(a_in, _ns_batch(model, 6, group)[0])
    # The rows no word uses never move; every used one does.
    used = np.unique(np.concatenate(ROWS))
    unused = np.setdiff1d(np.arange(V + BUCKET), used)
    before_in, _ = _weights()
    assert np.array_equal(a_in[unused], before_in[unused])
    assert (a_in[used] != before_in[used]).any(axis=1).all()
    # Training the same batch again lowers its loss.
    w_in, w_out = a_in, a_out
    params = BatchParams(3, 4, 0.05, 0.0001, 0, 3000, 5, group=group)
    rng = np.random.default_rng(7)
    ids = rng.integers(0, V, size=300).astype(np.int32)
    losses = []
    for _ in range(4):
        stats = subword_batch_kernel(D, model, "ns")(
            w_in, w_out, ids, np.arange(30, 301, 30, dtype=np.int64), np.array([0, 5, 10]),
            np.ones(V, np.float32), _tables(NS), params)
        losses.append(stats[:, 0].sum() / stats[:, 1].sum())
    assert losses[-1] < losses[0] < a_stats[0, 0] / a_stats[0, 1]


# -- the n-gram table ---------------------------------------------------------------------------

WORDS = ["the", "a", "où", "naïve", "</s>", "日本語", "x", "ab", "supercalifragilistic", "é"]


@pytest.mark.parametrize("minn,maxn,bucket", [(3, 6, 2_000_000), (1, 2, 7), (2, 4, 1), (3, 0, 5)])
def test_compiled_ngram_table_equals_the_python_one(minn, maxn, bucket):
    got = ngram_table(WORDS, minn, maxn, bucket)
    expected = subword_table(WORDS, minn, maxn, bucket)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
    assert got[1].dtype == np.int32 and got[0].dtype == np.int64


def test_ngram_table_refuses_more_rows_than_int32_ids():
    with pytest.raises(ValueError, match="smaller --bucket"):
        ngram_table(WORDS, 3, 6, 2**31 - 5)
    with pytest.raises(ValueError, match="minn"):
        ngram_table(WORDS, 4, 3, 10)


def test_layout_compacts_the_used_buckets_and_expands_back():
    layout = SubwordLayout.build(WORDS, 2, 4, 50)
    full_offsets, full_rows = subword_table(WORDS, 2, 4, 50)
    n = len(WORDS)
    assert np.array_equal(layout.offsets, full_offsets)
    assert layout.input_rows == n + len(np.unique(full_rows[full_rows >= n]))
    # Compact row V + i stands for full row V + buckets[i].
    back = np.where(layout.rows < n, layout.rows, n + layout.buckets[layout.rows - n])
    assert np.array_equal(back, full_rows)
    rng = np.random.default_rng(0)
    full = rng.normal(size=(n + 50, 3)).astype(np.float32)
    compact = layout.compact(full)
    assert compact.shape == (layout.input_rows, 3)
    expanded = layout.expand(compact)
    used = np.zeros(n + 50, bool)
    used[full_rows] = True
    assert np.array_equal(expanded[used], full[used]) and not expanded[~used].any()
    # The composed vectors are the same from either layout.
    np.testing.assert_array_equal(mean_rows(compact, layout.offsets, layout.rows),
                                  mean_rows(full, full_offsets, full_rows))
    with pytest.raises(ValueError, match="rows"):
        layout.compact(full[:-1])
