"""CBOW, hierarchical softmax and exact softmax: references, kernels against them, quality."""

import heapq

import numpy as np
import pytest

from w2vcli import reference as ref
from w2vcli.errors import W2VError
from w2vcli.kernels import HS, NS, SOFTMAX, Tables, block_update
from w2vcli.training import TrainConfig, output_tables
from w2vcli.vocab import Vocab, huffman_tree

V, D = 9, 12


def test_huffman_tree_is_an_optimal_prefix_code():
    counts = np.array([50, 30, 20, 10, 8, 5, 3, 2, 1])
    codes, points, lengths = huffman_tree(counts)
    words = ["".join(map(str, codes[i, : lengths[i]])) for i in range(len(counts))]
    # Prefix-free, complete (Kraft equality), root first, inner nodes in range.
    assert not any(a != b and b.startswith(a) for a in words for b in words)
    assert sum(2.0 ** -len(w) for w in words) == pytest.approx(1.0)
    assert (points[:, 0] == len(counts) - 2).all()
    assert points.max() <= len(counts) - 2 and points.min() >= 0
    # Optimal: the weighted path length equals Huffman's, computed independently with a heap.
    heap = [int(c) for c in counts]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    assert int((lengths * counts).sum()) == cost
    # Rarer words get codes at least as long.
    assert (np.diff(lengths) >= 0).all()


def test_huffman_tree_guards():
    with pytest.raises(ValueError, match="at least two words"):
        huffman_tree(np.array([3]))
    fib = [1, 1]
    while len(fib) < 45:
        fib.append(fib[-1] + fib[-2])
    with pytest.raises(ValueError, match="exceeds 40"):
        huffman_tree(np.array(fib[::-1]))


@pytest.fixture
def vectors():
    rng = np.random.default_rng(5)
    return rng.normal(scale=0.5, size=(V, D)), rng.normal(scale=0.5, size=(V, D))


def _gradcheck(loss_fn, *arrays):
    """Each analytic gradient returned by loss_fn equals central differences."""
    _, *grads = loss_fn(*arrays)
    for k, (array, grad) in enumerate(zip(arrays, grads)):
        def f(x, k=k):
            args = list(arrays)
            args[k] = x
            return loss_fn(*args)[0]
        assert ref.relative_error(grad, ref.numerical_gradient(f, array.copy())) < 1e-7


def test_hierarchical_softmax_gradient(vectors):
    w_in, w_out = vectors
    codes, points, lengths = huffman_tree(np.arange(V, 0, -1) * 10)
    word = 6
    c, p = codes[word, : lengths[word]], points[word, : lengths[word]]
    _gradcheck(lambda v, u: ref.hierarchical_softmax_loss_and_gradient(v, c, p, u), w_in[2], w_out[: V - 1])


def test_hierarchical_softmax_is_a_distribution(vectors):
    w_in, w_out = vectors
    codes, points, lengths = huffman_tree(np.arange(V, 0, -1) * 10)
    probs = [np.exp(-ref.hierarchical_softmax_loss_and_gradient(w_in[0], codes[w, : lengths[w]], points[w, : lengths[w]], w_out[: V - 1])[0])
             for w in range(V)]
    assert sum(probs) == pytest.approx(1.0)


@pytest.mark.parametrize("mean", [True, False])
@pytest.mark.parametrize("loss", ["softmax", "neg"])
def test_cbow_gradient(vectors, mean, loss):
    w_in, w_out = vectors
    context = [1, 4, 4, 7]
    if loss == "softmax":
        fn, extra = ref.naive_softmax_loss_and_gradient, {}
    else:
        fn, extra = ref.neg_sampling_loss_and_gradient, {"negative_indices": [2, 5, 5]}

    def loss_fn(a, b):
        total, g_in, g_out, _ = ref.cbow(3, context, a, b, fn, mean=mean, **extra)
        return total, g_in, g_out

    _gradcheck(loss_fn, w_in, w_out)


def _tables(counts=None):
    codes, points, lengths = huffman_tree(np.arange(V, 0, -1) * 10 if counts is None else counts)
    return Tables(np.zeros(1, np.uint32), np.zeros(1, np.int32), codes, points, lengths), (codes, points, lengths)


@pytest.mark.parametrize(
    "rows,mean,loss_kind",
    [
        ([3], True, HS),  # skip-gram, hierarchical softmax
        ([1, 4, 4, 7], True, HS),  # CBOW mean, repeated context word
        ([1, 4, 7], False, HS),  # CBOW sum
        ([1, 4, 7], True, NS),
        ([2, 5], False, NS),
        ([3], True, SOFTMAX),
        ([1, 2, 8], True, SOFTMAX),
    ],
)
def test_block_update_equals_reference_step(vectors, rows, mean, loss_kind):
    w_in64, w_out64 = vectors
    target, negatives, alpha = 6, [0, 2, 6, 2], 0.2
    tables, (codes, points, lengths) = _tables()
    out_rows = V - 1 if loss_kind == HS else V
    w_in = w_in64.astype(np.float32)
    w_out = w_out64[:out_rows].astype(np.float32)
    hidden = w_in[rows].mean(axis=0) if mean else w_in[rows].sum(axis=0)
    if loss_kind == HS:
        def f(h, u):
            return ref.hierarchical_softmax_loss_and_gradient(h, codes[target, : lengths[target]], points[target, : lengths[target]], u)
    elif loss_kind == NS:
        def f(h, u):
            return ref.neg_sampling_loss_and_gradient(h, target, u, [k for k in negatives if k != target])
    else:
        def f(h, u):
            return ref.naive_softmax_loss_and_gradient(h, target, u)
    exp_in, exp_out, exp_loss = ref.output_sgd_step(w_in, w_out, rows, hidden, f, alpha)
    before_in, before_out = w_in.copy(), w_out.copy()
    loss = block_update(w_in, w_out, np.array(rows, np.int32), target, np.array(negatives, np.int32), tables, alpha, mean, loss_kind)
    if loss_kind in (HS, NS):  # sigmoid table: equal up to its resolution (about 3e-3 in sigmoid)
        for got, before, expected in ((w_in, before_in, exp_in), (w_out, before_out, exp_out)):
            step, exp_step = got - before, expected - before
            assert np.abs(step - exp_step).max() <= 0.01 * np.abs(exp_step).max()
            assert not step[np.abs(exp_step).sum(axis=1) == 0].any()
        assert loss == pytest.approx(exp_loss, rel=1e-2)
        return
    np.testing.assert_allclose(w_in, exp_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w_out, exp_out, rtol=1e-5, atol=1e-6)
    assert loss == pytest.approx(exp_loss, rel=1e-5)


def test_softmax_refuses_large_vocabularies():
    vocab = Vocab([f"w{i}" for i in range(10_001)], np.arange(10_001, 0, -1))
    with pytest.raises(W2VError) as err:
        output_tables(vocab, TrainConfig(loss="softmax"))
    assert str(err.value) == (
        "--loss softmax computes all 10,001 output scores for every prediction, about 1,666x the "
        "work of negative sampling with --neg 5; it is limited to 10,000 words: use --loss ns or "
        "hs, or --max-vocab 10000"
    )


def test_cbow_default_learning_rate_is_word2vec_c_s():
    assert TrainConfig(model="cbow").alpha == 0.05
    assert TrainConfig(model="sg").alpha == 0.025
    assert TrainConfig(model="cbow", alpha=0.01).alpha == 0.01
