import numpy as np
import pytest

import w2vcli.corpus
from w2vcli.corpus import Corpus

from w2vcli.corpus import read_corpus
from w2vcli.tokenize import make_tokenizer


def test_encodes_ids_and_sentence_ends(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("Troll2 is great!\nGymkata is great!\nrare\n\nis great\n")
    vocab, corpus = read_corpus([path], make_tokenizer(), min_count=2)
    assert vocab.words == ["is", "great"]  # troll2 and gymkata occur once
    assert vocab.counts.tolist() == [3, 3]
    # "troll2", "gymkata", "rare" are out of vocabulary and removed; the "rare" line vanishes.
    assert corpus.ids.tolist() == [0, 1, 0, 1, 0, 1]
    assert corpus.sentence_ends.tolist() == [2, 4, 6]
    assert corpus.raw_tokens == 9
    assert corpus.ids.dtype == np.int32 and corpus.sentence_ends.dtype == np.int64


def test_long_line_cut_into_sentences(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(" ".join(["a", "b"] * 12) + "\n")
    vocab, corpus = read_corpus([path], make_tokenizer(), min_count=1, max_sentence_length=10)
    assert len(corpus) == 24
    assert corpus.sentence_ends.tolist() == [10, 20, 24]
    assert [corpus.sentence_start(s) for s in range(4)] == [0, 10, 20, 24]


def test_first_appearance_breaks_ties(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("zeta alpha zeta alpha mid\n")
    vocab, _ = read_corpus([path], make_tokenizer(), min_count=1)
    assert vocab.words == ["zeta", "alpha", "mid"]


def test_blockwise_encoding_matches_in_memory_encoding(tmp_path, monkeypatch):
    """Blocks of 7 tokens exercise every boundary case of both passes."""
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(30)]
    lines = [" ".join(rng.choice(words, size=rng.integers(1, 12), p=np.arange(30, 0, -1) / 465))
             for _ in range(200)]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines) + "\n")
    big_vocab, big = read_corpus([path], make_tokenizer(), min_count=8)
    monkeypatch.setattr(w2vcli.corpus, "BLOCK_TOKENS", 7)
    vocab, small = read_corpus([path], make_tokenizer(), min_count=8)
    assert vocab.words == big_vocab.words and vocab.counts.tolist() == big_vocab.counts.tolist()
    assert np.array_equal(small.ids, big.ids)
    assert np.array_equal(small.sentence_ends, big.sentence_ends)
    # Against a plain Python encoding.
    expected = [[vocab.index[w] for w in line.split() if w in vocab] for line in lines]
    expected = [s for s in expected if s]
    assert small.ids.tolist() == sum(expected, [])
    assert small.sentence_ends.tolist() == np.cumsum([len(s) for s in expected]).tolist()


def test_plan_and_read_batch():
    ends = np.array([3, 5, 20, 21, 22, 30, 31], dtype=np.int64)
    corpus = Corpus.from_arrays(np.arange(31, dtype=np.int32), ends)
    cuts = corpus.plan(10)
    # Cut after the sentence that reaches each multiple of 10 tokens; every run is non-empty.
    assert cuts.tolist() == [0, 3, 6, 7]
    ids, local_ends, first = corpus.read_batch(3, 6)
    assert first == 20
    assert ids.tolist() == list(range(20, 30))
    assert local_ends.tolist() == [1, 2, 10]
    buffer = np.full(50, -1, dtype=np.int32)
    ids, _, _ = corpus.read_batch(0, 2, buffer)
    assert ids.tolist() == [0, 1, 2, 3, 4] and np.shares_memory(ids, buffer)
    assert corpus.plan(1000).tolist() == [0, 7]


def test_corpus_files_are_removed_on_close(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b a b\n")
    (tmp_path / "work").mkdir()
    _, corpus = read_corpus([path], make_tokenizer(), min_count=1, directory=tmp_path / "work")
    assert any((tmp_path / "work").iterdir())
    corpus.close()
    assert not any((tmp_path / "work").iterdir())


def test_failed_read_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b c\n")
    (tmp_path / "work").mkdir()
    with pytest.raises(Exception, match="min-count"):
        read_corpus([path], make_tokenizer(), min_count=5, directory=tmp_path / "work")
    assert not any((tmp_path / "work").iterdir())
