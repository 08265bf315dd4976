import numpy as np

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
    assert corpus.sentence_starts().tolist() == [0, 10, 20]


def test_first_appearance_breaks_ties(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("zeta alpha zeta alpha mid\n")
    vocab, _ = read_corpus([path], make_tokenizer(), min_count=1)
    assert vocab.words == ["zeta", "alpha", "mid"]
