import numpy as np
import pytest

from w2vcli.errors import UnknownWordError, W2VError
from w2vcli.keyedvectors import KeyedVectors


@pytest.fixture
def compass() -> KeyedVectors:
    # Directions in the plane: cosines are known exactly.
    angles = {"east": 0, "northeast": 45, "north": 90, "northwest": 135, "west": 180, "south": 270}
    words = list(angles)
    rad = np.deg2rad([angles[w] for w in words])
    vectors = np.stack([np.cos(rad), np.sin(rad)], axis=1) * np.arange(1, len(words) + 1)[:, None]
    return KeyedVectors(words, vectors)


@pytest.fixture
def royals() -> KeyedVectors:
    # Planted offsets: royal = king - man = queen - woman, so king - man + woman = queen.
    rng = np.random.default_rng(0)
    base = {w: rng.standard_normal(50) for w in ["man", "boy", "paris", "france", "apple"]}
    royal, female = rng.standard_normal(50), rng.standard_normal(50)
    base["woman"] = base["man"] + female
    base["king"] = base["man"] + royal
    base["queen"] = base["man"] + female + royal
    base["girl"] = base["boy"] + female
    return KeyedVectors(list(base), np.array(list(base.values())))


def test_construction_converts_to_contiguous_float32():
    vectors = np.arange(12, dtype=np.float64).reshape(4, 3)[:, ::-1]
    kv = KeyedVectors(["a", "b", "c", "d"], vectors, counts=[9, 5, 2, 1])
    assert kv.vectors.dtype == np.float32 and kv.vectors.flags.c_contiguous
    assert kv.counts.dtype == np.int64 and kv.counts.tolist() == [9, 5, 2, 1]
    assert kv.vector_size == 3 and len(kv) == 4
    assert kv.key_to_index == {"a": 0, "b": 1, "c": 2, "d": 3}
    assert "c" in kv and "z" not in kv
    np.testing.assert_array_equal(kv["b"], [5, 4, 3])
    assert kv["b"].dtype == np.float32


@pytest.mark.parametrize(
    "words, vectors, counts, match",
    [
        (["a", "b"], np.zeros((3, 2)), None, "2 words but 3 vector rows"),
        (["a", "b"], np.zeros(2), None, "2-D"),
        (["a", "b", "a"], np.zeros((3, 2)), None, "'a' appears twice"),
        (["a", "b"], np.zeros((2, 2)), [1, 2, 3], "counts must have shape"),
    ],
)
def test_construction_errors(words, vectors, counts, match):
    with pytest.raises(ValueError, match=match):
        KeyedVectors(words, vectors, counts)


def test_unit_vectors_are_unit_and_zero_rows_stay_zero():
    kv = KeyedVectors(["a", "zero", "b"], [[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]])
    unit = kv.unit_vectors
    assert unit.dtype == np.float32 and unit.shape == (3, 2)
    np.testing.assert_allclose(unit, [[0.6, 0.8], [0.0, 0.0], [0.0, -1.0]], rtol=1e-6)
    assert not np.isnan(unit).any()
    assert kv.unit_vectors is unit  # cached
    assert kv.similarity("a", "zero") == 0.0
    assert kv.most_similar("zero", topn=2) == [("a", 0.0), ("b", 0.0)]


def test_most_similar_ranks_by_cosine_and_excludes_query(compass):
    result = compass.most_similar("east", topn=10)
    assert [w for w, _ in result] == ["northeast", "north", "south", "northwest", "west"]
    np.testing.assert_allclose(
        [s for _, s in result], [np.sqrt(0.5), 0, 0, -np.sqrt(0.5), -1], atol=1e-6
    )
    assert all(isinstance(s, float) for _, s in result)
    assert compass.most_similar(["east"], topn=2) == result[:2]


def test_most_similar_combines_positive_and_negative(compass):
    # mean(unit(north), unit(east)) points northeast; both query words are excluded
    assert compass.most_similar(["north", "east"], topn=1)[0][0] == "northeast"
    # north - east points northwest
    (word, score), *_ = compass.most_similar(["north"], negative=["east"], topn=3)
    assert word == "northwest" and score == pytest.approx(1.0, abs=1e-6)


def test_most_similar_restrict_vocab_and_topn(compass):
    result = compass.most_similar("west", restrict_vocab=3)
    assert [w for w, _ in result] == ["north", "northeast", "east"]
    assert len(compass.most_similar("east", topn=2)) == 2
    assert compass.most_similar("east", topn=0) == []
    # the query word is excluded even when it is inside the restricted vocabulary
    assert [w for w, _ in compass.most_similar("east", restrict_vocab=2)] == ["northeast"]
    with pytest.raises(ValueError, match="restrict_vocab"):
        compass.most_similar("east", restrict_vocab=0)
    with pytest.raises(ValueError, match="at least one"):
        compass.most_similar([])


def test_similarity(compass):
    assert compass.similarity("east", "north") == pytest.approx(0.0, abs=1e-6)
    assert compass.similarity("east", "northeast") == pytest.approx(np.sqrt(0.5), abs=1e-6)
    assert compass.similarity("east", "west") == pytest.approx(-1.0, abs=1e-6)


def test_analogy_planted_offset(royals):
    (word, score), *_ = royals.analogy("man", "king", "woman")
    assert word == "queen"
    assert score > 0.9
    assert royals.analogy("boy", "girl", "man", topn=1)[0][0] == "woman"
    # query words never come back as answers
    answers = [w for w, _ in royals.analogy("man", "king", "woman", topn=10)]
    assert not {"man", "king", "woman"} & set(answers)
    assert royals.analogy("man", "king", "woman") == royals.most_similar(
        positive=["king", "woman"], negative=["man"]
    )


def test_unknown_word_error_suggests_close_words():
    kv = KeyedVectors(["troll2", "troll", "trolls", "gymkata", "great"], np.eye(5))
    with pytest.raises(UnknownWordError) as info:
        kv["trol2"]
    assert str(info.value) == (
        "'trol2' is not in the vocabulary (5 words); did you mean: troll2, troll, trolls?"
    )
    assert isinstance(info.value, KeyError) and isinstance(info.value, W2VError)

    with pytest.raises(UnknownWordError) as info:
        kv.most_similar(["gymkat", "great", "xyz"])
    assert str(info.value) == (
        "'gymkat', 'xyz' are not in the vocabulary (5 words); "
        "did you mean: 'gymkat' -> gymkata; 'xyz' -> (no close word)?"
    )
    with pytest.raises(UnknownWordError, match="no vocabulary word is close"):
        kv.similarity("great", "qqqqqqq")
    with pytest.raises(UnknownWordError, match="empty string"):
        kv.check_words(["great", ""])
    kv.check_words(["great", "troll"])  # no error


def test_suggest_prefers_case_variants():
    kv = KeyedVectors(["paris", "parish", "pairs", "london"], np.eye(4))
    assert kv.suggest("Paris")[0] == "paris"
    assert kv.suggest("londn", n=1) == ["london"]
    assert kv.suggest("zzzzzz") == []
    assert kv.suggest("paris", n=0) == []


def test_suggest_finds_the_word_in_a_large_vocabulary():
    """(Its speed, ~0.1-0.2 s on 100k words, is not asserted here: a busy machine would fail a
    wall-clock bound.)"""
    rng = np.random.default_rng(1)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    spellings = ("".join(rng.choice(letters, rng.integers(3, 12))) for _ in range(100_000))
    words = list(dict.fromkeys(spellings))
    words[50_000:50_000] = ["government", "governments", "Government"]
    kv = KeyedVectors(words, np.zeros((len(words), 1)))
    assert kv.suggest("governmnt")[:2] == ["government", "governments"]
    assert kv.suggest("GOVERNMENT")[0] == "government"


def test_find_takes_a_word_as_written_else_its_only_case_variant():
    words = ["king", "queen", "Apple", "APPLE", "paris", "Paris", "straße", "Bank"]
    kv = KeyedVectors(words, np.eye(len(words)))
    assert kv.find("king") == "king" and kv.find("KING") == "king" and kv.find("King") == "king"
    assert kv.find("Paris") == "Paris" and kv.find("paris") == "paris"
    assert kv.find("PARIS") is None  # two case variants and neither as written
    assert kv.find("apple") is None and kv.find("Apple") == "Apple"
    assert kv.find("STRASSE") == "straße"  # case folding, not just lower()
    assert kv.find("bank") == "Bank"  # the variant need not be lowercase
    assert kv.find("qwerty") is None and kv.find("") is None
    # with a limit only the most frequent words count: Paris (index 5) is beyond 5
    assert kv.find("king", limit=0) is None
    assert kv.find("PARIS", limit=5) == "paris" and kv.find("Paris", limit=5) == "paris"


def test_lookup_skips_unknown_words_and_says_what_it_did():
    kv = KeyedVectors(["king", "queen", "director", "directory", "man"], np.eye(5))
    found = kv.lookup(["KING", "directorate", "queen", "king", "qwertyuiop", "Queen"])
    assert found.found == ("king", "queen")
    assert found.renamed == (("KING", "king"), ("Queen", "queen"))
    assert found.unknown == ("directorate", "qwertyuiop")
    assert found.notes() == [
        "note: KING -> king, Queen -> queen",
        "note: not in the vocabulary (5 words), skipped: 'directorate' (did you mean director, "
        "directory?); 'qwertyuiop' (no close word)",
    ]
    assert kv.lookup(["man"]).notes() == []
    assert str(kv.unknown_error(found.unknown)) == (
        "'directorate', 'qwertyuiop' are not in the vocabulary (5 words); did you mean: "
        "'directorate' -> director, directory; 'qwertyuiop' -> (no close word)?"
    )
    with pytest.raises(UnknownWordError, match="empty string"):
        kv.lookup(["king", ""])
    with pytest.raises(TypeError):
        kv.lookup(["king", 3])
