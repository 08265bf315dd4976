r"""A slow, obviously correct NumPy reference for the word2vec losses and gradients.

This is the oracle every fast kernel is tested against, written in the shapes of the CS224n
word2vec assignment (Stanford CS224n, assignment 2): a centre word ``c`` with centre ("input")
vector :math:`v_c` (a row of ``center_vectors``, shape ``(V, d)``), an outside word ``o`` with
outside ("output") vector :math:`u_o` (a row of ``outside_vectors``, shape ``(V, d)``; the
handout's :math:`U` transposed).

Naive softmax (Mikolov et al. 2013a; CS224n eq. 2):

.. math::
    \hat y = \mathrm{softmax}(U v_c), \quad J = -\log \hat y_o, \quad
    \frac{\partial J}{\partial v_c} = U^\top(\hat y - y), \quad
    \frac{\partial J}{\partial u_w} = (\hat y_w - y_w)\, v_c

Negative sampling with noise words :math:`w_1..w_K` (Mikolov et al. 2013b, eq. 4):

.. math::
    J = -\log\sigma(u_o^\top v_c) - \sum_k \log\sigma(-u_{w_k}^\top v_c)

    \frac{\partial J}{\partial v_c} = (\sigma(u_o^\top v_c) - 1)\,u_o
        + \sum_k \sigma(u_{w_k}^\top v_c)\,u_{w_k}, \quad
    \frac{\partial J}{\partial u_o} = (\sigma(u_o^\top v_c) - 1)\,v_c, \quad
    \frac{\partial J}{\partial u_{w_k}} = \sigma(u_{w_k}^\top v_c)\,v_c

where a noise word drawn more than once contributes once per draw (its gradients are summed).
Skip-gram sums :math:`J` over the outside words of a centre word's window. fastText's subword
model (Bojanowski et al. 2017) replaces :math:`v_c` with the mean of the word's input rows
(its own and its character n-grams'): :func:`subword_loss` and :func:`subword_sgd_step`.
Everything here is float64 and allocates freely; use it for checking, not training.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

LossAndGradient = Callable[..., tuple[float, np.ndarray, np.ndarray]]


def sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    """The logistic function 1 / (1 + exp(-x)), computed without overflow for large |x|."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out if out.ndim else float(out)


def log_sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    """log(sigmoid(x)) = -log(1 + exp(-x)), stable for large |x|."""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax of a 1-D array, shifted by its maximum for stability."""
    z = np.exp(x - np.max(x))
    return z / z.sum()


def naive_softmax_loss_and_gradient(
    center_vec: np.ndarray, outside_idx: int, outside_vectors: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Cross-entropy loss of the full softmax for one (centre, outside) pair.

    Args:
        center_vec: float ``(d,)`` centre vector :math:`v_c`.
        outside_idx: id of the outside word ``o``.
        outside_vectors: float ``(V, d)`` outside vectors (rows :math:`u_w`).

    Returns:
        ``(loss, grad_center_vec (d,), grad_outside_vectors (V, d))``.
    """
    y_hat = softmax(outside_vectors @ center_vec)
    loss = -float(np.log(y_hat[outside_idx]))
    delta = y_hat.copy()
    delta[outside_idx] -= 1.0
    return loss, outside_vectors.T @ delta, np.outer(delta, center_vec)


def neg_sampling_loss_and_gradient(
    center_vec: np.ndarray,
    outside_idx: int,
    outside_vectors: np.ndarray,
    negative_indices: Sequence[int],
) -> tuple[float, np.ndarray, np.ndarray]:
    """Negative-sampling loss for one (centre, outside) pair and K given noise words.

    Args:
        center_vec: float ``(d,)`` centre vector :math:`v_c`.
        outside_idx: id of the outside word ``o``.
        outside_vectors: float ``(V, d)`` outside vectors.
        negative_indices: ``K`` noise-word ids; repeats count once per occurrence.

    Returns:
        ``(loss, grad_center_vec (d,), grad_outside_vectors (V, d))``; rows of words that are
        neither ``o`` nor a noise word are zero.
    """
    grad_outside = np.zeros_like(outside_vectors, dtype=np.float64)
    score = float(outside_vectors[outside_idx] @ center_vec)
    loss = -float(log_sigmoid(score))
    g = sigmoid(score) - 1.0
    grad_center = g * outside_vectors[outside_idx]
    grad_outside[outside_idx] += g * center_vec
    for k in negative_indices:
        score = float(outside_vectors[k] @ center_vec)
        loss -= float(log_sigmoid(-score))
        g = sigmoid(score)
        grad_center = grad_center + g * outside_vectors[k]
        grad_outside[k] += g * center_vec
    return loss, grad_center, grad_outside


def hierarchical_softmax_loss_and_gradient(
    center_vec: np.ndarray,
    codes: Sequence[int],
    points: Sequence[int],
    outside_vectors: np.ndarray,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Hierarchical softmax loss of one word given an input vector (Mikolov et al. 2013, 2.1).

    The word's probability is the product, over the inner nodes ``points[k]`` on its Huffman
    path, of ``sigmoid(s_k u_{points[k]}.v)`` with ``s_k = 1 - 2 codes[k]`` (word2vec.c's
    convention: label ``1 - code``), so ``J = -sum_k log sigmoid(s_k u_k.v)``.

    Args:
        center_vec: float ``(d,)`` input vector ``v``.
        codes, points: the word's code bits and inner-node ids (see
            :func:`w2vcli.vocab.huffman_tree`).
        outside_vectors: float ``(V - 1, d)`` inner-node vectors.

    Returns:
        ``(loss, grad_center_vec (d,), grad_outside_vectors (V - 1, d))``.
    """
    grad_outside = np.zeros_like(outside_vectors, dtype=np.float64)
    grad_center = np.zeros_like(center_vec, dtype=np.float64)
    loss = 0.0
    for code, node in zip(codes, points):
        score = float(outside_vectors[node] @ center_vec)
        label = 1.0 - code
        loss -= float(log_sigmoid(score if label else -score))
        g = sigmoid(score) - label
        grad_center = grad_center + g * outside_vectors[node]
        grad_outside[node] += g * center_vec
    return loss, grad_center, grad_outside


def cbow(
    center_idx: int,
    context_indices: Sequence[int],
    input_vectors: np.ndarray,
    outside_vectors: np.ndarray,
    loss_and_gradient: LossAndGradient = naive_softmax_loss_and_gradient,
    mean: bool = True,
    **loss_args,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """CBOW loss: the mean (or sum) ``h`` of the context's input vectors predicts the centre word.

    ``loss_and_gradient(h, target, outside_vectors, *args)`` is any of the losses above; for
    hierarchical softmax pass ``codes=`` and ``points=`` and a wrapper taking them.

    Returns:
        ``(loss, grad_input_vectors (V, d), grad_outside_vectors, grad_hidden (d,))``: the exact
        gradients (with ``mean``, each context row gets ``grad_hidden / n``, repeated rows
        summed) and the gradient with respect to ``h`` itself.
    """
    rows = input_vectors[list(context_indices)]
    hidden = rows.mean(axis=0) if mean else rows.sum(axis=0)
    loss, grad_hidden, grad_outside = loss_and_gradient(
        hidden, center_idx, outside_vectors, **loss_args
    )
    grad_input = np.zeros_like(input_vectors, dtype=np.float64)
    share = grad_hidden / len(context_indices) if mean else grad_hidden
    for i in context_indices:
        grad_input[i] += share
    return loss, grad_input, grad_outside, grad_hidden


def output_sgd_step(
    input_vectors: np.ndarray,
    output_vectors: np.ndarray,
    context_indices: Sequence[int],
    hidden: np.ndarray,
    loss_and_gradient: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray, np.ndarray]],
    alpha: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """word2vec.c's SGD step for an input vector ``hidden`` that stands for context rows.

    The output rows take ``-alpha * dJ/du``; every row in ``context_indices`` takes
    ``-alpha * dJ/dhidden``. For skip-gram (one context row, ``hidden`` = that row) this is the
    exact SGD step; for CBOW with ``--cbow-sum`` too; for CBOW with the mean it is word2vec.c's
    update, ``n`` times the exact gradient step of each context row (:func:`cbow` gives the
    exact gradients).

    Args:
        loss_and_gradient: ``f(hidden, output_vectors) -> (loss, grad_hidden, grad_output)``.

    Returns:
        ``(new_input_vectors, new_output_vectors, loss)``, float64 copies.
    """
    w_in = input_vectors.astype(np.float64)
    w_out = output_vectors.astype(np.float64)
    loss, grad_hidden, grad_out = loss_and_gradient(hidden.astype(np.float64), w_out)
    for i in context_indices:
        w_in[i] -= alpha * grad_hidden
    return w_in, w_out - alpha * grad_out, loss


def skipgram(
    center_idx: int,
    outside_indices: Sequence[int],
    center_vectors: np.ndarray,
    outside_vectors: np.ndarray,
    loss_and_gradient: LossAndGradient = naive_softmax_loss_and_gradient,
    negatives: Sequence[Sequence[int]] | None = None,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Skip-gram loss of one centre word: the sum over the outside words of its window.

    Args:
        center_idx: id of the centre word.
        outside_indices: ids of the outside words in the window (any length, repeats allowed).
        center_vectors: float ``(V, d)`` centre vectors (rows :math:`v_w`).
        outside_vectors: float ``(V, d)`` outside vectors (rows :math:`u_w`).
        loss_and_gradient: :func:`naive_softmax_loss_and_gradient` or
            :func:`neg_sampling_loss_and_gradient`.
        negatives: with negative sampling, the noise ids for each outside word in turn.

    Returns:
        ``(loss, grad_center_vectors (V, d), grad_outside_vectors (V, d))``.
    """
    loss = 0.0
    grad_center = np.zeros_like(center_vectors, dtype=np.float64)
    grad_outside = np.zeros_like(outside_vectors, dtype=np.float64)
    v_c = center_vectors[center_idx]
    for j, o in enumerate(outside_indices):
        extra = () if negatives is None else (negatives[j],)
        pair_loss, g_c, g_out = loss_and_gradient(v_c, o, outside_vectors, *extra)
        loss += pair_loss
        grad_center[center_idx] += g_c
        grad_outside += g_out
    return loss, grad_center, grad_outside


def sgns_sgd_step(
    center_vectors: np.ndarray,
    outside_vectors: np.ndarray,
    center_idx: int,
    outside_idx: int,
    negative_indices: Sequence[int],
    alpha: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """One SGD step of skip-gram negative sampling on a single (centre, outside) pair.

    ``theta <- theta - alpha * grad`` for :math:`v_c`, :math:`u_o` and the noise rows, all
    gradients taken at the parameters before the step. Noise ids equal to ``outside_idx`` are
    skipped, as word2vec.c does (``if (target == word) continue``).

    Returns:
        ``(new_center_vectors, new_outside_vectors, loss)``: float64 copies, and the pair's loss
        before the step.
    """
    negs = [k for k in negative_indices if k != outside_idx]
    loss, g_c, g_out = neg_sampling_loss_and_gradient(
        center_vectors[center_idx].astype(np.float64),
        outside_idx,
        outside_vectors.astype(np.float64),
        negs,
    )
    new_center = center_vectors.astype(np.float64)
    new_center[center_idx] -= alpha * g_c
    return new_center, outside_vectors.astype(np.float64) - alpha * g_out, loss


def window_sgd_step(
    input_vectors: np.ndarray,
    output_vectors: np.ndarray,
    context_indices: Sequence[int],
    center_idx: int,
    negative_indices: Sequence[int],
    alpha: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """One minibatch SGD step over a window with shared noise words (HogBatch, Ji et al. 2016).

    The loss is the sum, over the window's outside words ``i``, of the negative-sampling loss of
    predicting the centre word from ``input_vectors[i]`` against the same noise words (word2vec.c's
    skip-gram orientation). All gradients are taken before the step; noise ids equal to the
    centre word are skipped.

    Returns:
        ``(new_input_vectors, new_output_vectors, loss)``: float64 copies and the loss before
        the step.
    """
    negs = [k for k in negative_indices if k != center_idx]
    w_in = input_vectors.astype(np.float64)
    w_out = output_vectors.astype(np.float64)
    grad_in = np.zeros_like(w_in)
    grad_out = np.zeros_like(w_out)
    loss = 0.0
    for i in context_indices:
        pair_loss, g_in, g_out = neg_sampling_loss_and_gradient(w_in[i], center_idx, w_out, negs)
        loss += pair_loss
        grad_in[i] += g_in
        grad_out += g_out
    return w_in - alpha * grad_in, w_out - alpha * grad_out, loss


def combined_sgd_step(
    input_vectors: np.ndarray,
    output_vectors: np.ndarray,
    sentence: Sequence[int],
    first: int,
    radii: Sequence[int],
    negative_indices: Sequence[int],
    alpha: float,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """One minibatch SGD step of context combining (Rengasamy et al. 2017, "pSGNScc").

    The centre words are ``sentence[first + g]`` for ``g < len(radii)``; centre ``g``'s window
    holds the words of ``sentence`` within ``radii[g]`` positions of it. The loss is the sum,
    over every (outside, centre) pair of every window, of the negative-sampling loss of
    predicting the centre word from the outside word's input vector (word2vec.c's skip-gram
    orientation) against the noise words shared by the whole group, less those equal to that
    centre word. All gradients are taken before the step. With one centre word this is
    :func:`window_sgd_step`.

    Returns:
        ``(new_input_vectors, new_output_vectors, loss, pairs)``: float64 copies, the loss
        before the step and the number of (outside, centre) pairs.
    """
    w_in = input_vectors.astype(np.float64)
    w_out = output_vectors.astype(np.float64)
    grad_in = np.zeros_like(w_in)
    grad_out = np.zeros_like(w_out)
    loss = 0.0
    pairs = 0
    n = len(sentence)
    for g, radius in enumerate(radii):
        p = first + g
        center = sentence[p]
        negs = [k for k in negative_indices if k != center]
        for q in range(max(0, p - radius), min(n, p + radius + 1)):
            if q == p:
                continue
            pair_loss, g_in, g_out = neg_sampling_loss_and_gradient(
                w_in[sentence[q]], center, w_out, negs)
            loss += pair_loss
            pairs += 1
            grad_in[sentence[q]] += g_in
            grad_out += g_out
    return w_in - alpha * grad_in, w_out - alpha * grad_out, loss, pairs


def subword_hidden(input_vectors: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    """A word's input representation in fastText's subword model (Bojanowski et al. 2017): the
    mean of its input rows (its own row and its n-gram rows, repeats counted), float64 ``(d,)``.
    For CBOW, ``rows`` is every row of every context word, one list (fastText's ``bow``)."""
    return np.asarray(input_vectors, dtype=np.float64)[list(rows)].mean(axis=0)


def subword_loss(
    input_vectors: np.ndarray,
    output_vectors: np.ndarray,
    rows: Sequence[int],
    predictions: Sequence[Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray, np.ndarray]]],
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The loss of the mean representation ``h`` of ``rows`` and its exact gradients.

    ``J = sum_p f_p(h, output_vectors)[0]`` over the predictions ``f_p`` (each
    ``f(h, U) -> (loss, dJ/dh, dJ/dU)``: one per outside word for skip-gram, one for CBOW's
    centre word). Since ``h = (1/n) sum_i W[rows[i]]``, a row appearing ``k`` times in ``rows``
    has gradient ``(k/n) dJ/dh``.

    Returns:
        ``(loss, grad_input_vectors, grad_output_vectors, grad_hidden)``, float64.
    """
    w_in = np.asarray(input_vectors, dtype=np.float64)
    w_out = np.asarray(output_vectors, dtype=np.float64)
    hidden = subword_hidden(w_in, rows)
    loss = 0.0
    grad_hidden = np.zeros_like(hidden)
    grad_out = np.zeros_like(w_out)
    for f in predictions:
        term, g_h, g_out = f(hidden, w_out)
        loss += term
        grad_hidden += g_h
        grad_out += g_out
    grad_in = np.zeros_like(w_in)
    for r in rows:
        grad_in[r] += grad_hidden / len(rows)
    return loss, grad_in, grad_out, grad_hidden


def subword_sgd_step(
    input_vectors: np.ndarray,
    output_vectors: np.ndarray,
    rows: Sequence[int],
    predictions: Sequence[Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray, np.ndarray]]],
    alpha: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """fastText's SGD step of the subword model for one window (skip-gram: the centre word's
    rows and one prediction per outside word; CBOW: all the context's rows, one prediction).

    All gradients are taken before the step. The output rows take ``-alpha dJ/dU``; every
    entry of ``rows`` takes ``-alpha dJ/dh``, the *whole* gradient with respect to the mean, as
    fastText's ``Model::update`` does for its unsupervised models (it divides by ``len(rows)``
    only with ``normalizeGradient``, which ``FastText::buildModel`` sets for the supervised model
    alone). So each input row moves ``n = len(rows)`` times its gradient step of the loss of the
    mean (:func:`subword_loss`): the same direction, a step ``n`` times longer. One prediction
    per outside word with the window's ``h`` fixed is the HogBatch form of fastText's
    skip-gram, which recomputes ``h`` after each outside word.

    Returns:
        ``(new_input_vectors, new_output_vectors, loss)``: float64 copies, the loss before the
        step.
    """
    loss, _, grad_out, grad_hidden = subword_loss(input_vectors, output_vectors, rows,
                                                  predictions)
    w_in = np.asarray(input_vectors, dtype=np.float64).copy()
    for r in rows:
        w_in[r] -= alpha * grad_hidden
    return w_in, np.asarray(output_vectors, dtype=np.float64) - alpha * grad_out, loss


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central finite-difference gradient of a scalar function of a float64 array.

    ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element ``i``; ``x`` is restored.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest elementwise ``|a - b| / max(1, |a|, |b|)``, the gradient-check criterion."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))))
