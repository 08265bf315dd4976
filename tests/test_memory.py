"""Memory of training and writing: same results, without whole-matrix temporaries.

Allocation sizes are measured with :mod:`tracemalloc`, which sees NumPy's array buffers; they
are deterministic, unlike resident-set figures or timings.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from w2vcli.io import load_word2vec_format, save_word2vec_format, write_vectors
from w2vcli.keyedvectors import KeyedVectors
from w2vcli.training import all_finite, init_weights, release_free_memory


def _peak_bytes(fn, *args, **kwargs):
    """(result, peak bytes traced while ``fn`` ran, above what was allocated before)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.mark.parametrize("seed", [1, 7, 123456789])
@pytest.mark.parametrize("vocab_size,dim,out_rows", [(50, 8, None), (1000, 300, 999), (1, 1, 1)])
def test_init_weights_bits_unchanged(seed, vocab_size, dim, out_rows):
    # The out-of-place expression the initialisation always was: same bits for a seed, so
    # `--threads 1 --seed S` runs stay reproducible across versions.
    rng = np.random.default_rng(seed)
    expected = (rng.random((vocab_size, dim), dtype=np.float32) - np.float32(0.5)) / np.float32(dim)
    w_in, w_out = init_weights(vocab_size, dim, seed, out_rows)
    assert w_in.dtype == np.float32 and w_in.flags.c_contiguous
    assert w_in.tobytes() == expected.tobytes()
    assert w_out.shape == (vocab_size if out_rows is None else out_rows, dim)
    assert w_out.dtype == np.float32 and w_out.flags.c_contiguous and not w_out.any()
    assert np.abs(w_in).max() <= 0.5 / dim


def test_init_weights_makes_no_matrix_temporaries():
    vocab_size, dim = 4000, 250  # 4 MB per matrix
    matrix = vocab_size * dim * 4
    (w_in, w_out), peak = _peak_bytes(init_weights, vocab_size, dim, 1)
    # The two results and small change; an out-of-place (u - 0.5) / d would add a matrix.
    assert peak < 2 * matrix + matrix // 4
    del w_in, w_out


def test_all_finite_finds_any_non_finite_value():
    a = np.zeros((3000, 700), dtype=np.float32)  # 2.1M values: several blocks
    assert all_finite(a)
    for value in (np.nan, np.inf, -np.inf):
        for where in ((0, 0), (1500, 3), (2999, 699)):
            a[where] = value
            assert not all_finite(a)
            a[where] = 0
    assert all_finite(np.zeros((0, 5), dtype=np.float32))
    assert all_finite(np.full((4, 4), np.finfo(np.float32).max, dtype=np.float32))
    b = np.ones((200, 300), dtype=np.float32)[:, ::2]  # not contiguous
    assert all_finite(b)
    b[-1, -1] = np.nan
    assert not all_finite(b)


def test_all_finite_temporary_is_bounded():
    a = np.zeros((4096, 1024), dtype=np.float32)  # 4.2M values
    ok, peak = _peak_bytes(all_finite, a)
    assert ok
    assert peak < (1 << 20) + (1 << 16)  # one block's booleans, not a.size bytes


def test_release_free_memory_is_harmless():
    release_free_memory()
    release_free_memory()


def _words(n):
    return [f"w{i}" for i in range(n)]


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("rows,dim", [(1, 1), (5, 3), (2500, 300)])
def test_write_vectors_same_file_as_save_word2vec_format(tmp_path, binary, rows, dim):
    rng = np.random.default_rng(rows)
    vectors = rng.standard_normal((rows, dim)).astype(np.float32)
    words = _words(rows)
    write_vectors(tmp_path / "a", words, vectors, binary=binary)
    save_word2vec_format(KeyedVectors(words, vectors), tmp_path / "b", binary=binary)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    kv = load_word2vec_format(tmp_path / "a")
    assert kv.index_to_key == words
    np.testing.assert_array_equal(kv.vectors, vectors)


def test_write_vectors_rejects_a_mismatch(tmp_path):
    with pytest.raises(ValueError, match="one row per word"):
        write_vectors(tmp_path / "v.txt", _words(3), np.zeros((4, 2), np.float32))
    with pytest.raises(ValueError, match="one row per word"):
        write_vectors(tmp_path / "v.txt", _words(3), np.zeros(3, np.float32))
    assert not (tmp_path / "v.txt").exists()


@pytest.mark.parametrize("binary", [False, True])
def test_write_vectors_holds_no_copy_of_the_matrix(tmp_path, binary):
    rows, dim = 20000, 200  # 16 MB of float32; about 40 MB as text
    vectors = np.random.default_rng(0).standard_normal((rows, dim)).astype(np.float32)
    words = _words(rows)
    write_vectors(tmp_path / "warm", words[:2], vectors[:2], binary=binary)  # compile first
    _, peak = _peak_bytes(write_vectors, tmp_path / "v", words, vectors, binary=binary)
    assert peak < 6 << 20  # a few MiB of text in flight, whatever the matrix's size


def _saved_model(tmp_path, words=4, dim=3):
    from w2vcli.model import SavedModel, save_model

    rng = np.random.default_rng(0)
    model = SavedModel(_words(words), np.arange(words, 0, -1, dtype=np.int64),
                       rng.standard_normal((words, dim)).astype(np.float32),
                       rng.standard_normal((words, dim)).astype(np.float32),
                       {"config": {"epochs": 2}, "epochs_done": 1})
    save_model(tmp_path / "model", model)
    return model


def test_continuing_a_model_trains_its_arrays_in_place(tmp_path):
    from w2vcli.model import continued_weights, load_model, trainable
    from w2vcli.session import position_from_meta
    from w2vcli.training import TrainConfig
    from w2vcli.vocab import Vocab

    original = _saved_model(tmp_path)
    saved = load_model(tmp_path / "model")
    w_in, w_out = trainable(saved.w_in), trainable(saved.w_out)
    assert position_from_meta(saved.meta).epoch == 2
    assert w_in is saved.w_in and w_out is saved.w_out  # no second copy of the model
    assert w_in.flags.writeable and w_in.flags.c_contiguous and w_in.dtype == np.float32
    np.testing.assert_array_equal(w_in, original.w_in)
    vocab = Vocab(list(saved.words), saved.counts)
    w_in, w_out = continued_weights(saved, vocab, TrainConfig(dim=3))
    assert w_in is saved.w_in and w_out is saved.w_out


def test_continuing_a_mapped_model_copies_it(tmp_path):
    from w2vcli.model import load_model, trainable

    original = _saved_model(tmp_path)
    saved = load_model(tmp_path / "model", mmap=True)  # read-only mappings
    w_in, w_out = trainable(saved.w_in), trainable(saved.w_out)
    assert w_in.flags.writeable and w_out.flags.writeable
    assert not np.shares_memory(w_in, saved.w_in)
    np.testing.assert_array_equal(w_out, original.w_out)
    w_in += 1  # trainable; the file is untouched
    np.testing.assert_array_equal(load_model(tmp_path / "model").w_in, original.w_in)
