#!/usr/bin/env python3
"""A synthetic corpus with planted structure, for checking that word2vec recovers it.

Run as a script to write one sentence per line::

    python examples/synthetic.py -o out/synthetic.txt --tokens 1000000 --seed 0
    python examples/synthetic.py -o out/synthetic.txt --questions out/synthetic_questions.txt

or import it (``generate_corpus``, ``PLANTED_GROUPS``, ``PLANTED_RELATIONS``, ``group_recall``,
``analogy_accuracy``). Only NumPy is needed; the output is a pure function of
``(n_tokens, seed)``.

What is planted (all words are real English, so neighbour lists read naturally):

Every sentence is about one subject, which occurs in it exactly once; its other tokens are
filler words (half of them) and content words that go with the subject:

(a) Topic groups. ``PLANTED_GROUPS`` has 10 topics (animals, colours, fruit, ...) of 8 member
    words; each topic also has 8 context words of its own (``TOPIC_CONTEXTS``: farm, barn, fur,
    ... for animals). A topic sentence's subject is a member of the topic and its content words
    are that topic's context words, so the members of a group are substitutes for each other
    (same contexts) and should end up as each other's nearest neighbours.
(b) Pairs with a consistent offset. ``PLANTED_RELATIONS`` has two relations of 10 pairs each:
    ``gender`` (king/queen, man/woman, ...) and ``capital`` (france/paris, ...). A pair
    sentence's subject is one word of a pair; its content words are context words shared by
    both words of that pair (``PAIR_CONTEXTS``: throne, crown, reign for king/queen) and marker
    words of the subject's side, the same for every pair of the relation
    (``RELATION_MARKERS``: he/his/him/himself vs she/her/hers/herself). So
    vec(queen) - vec(king) ~ vec(woman) - vec(man) ~ the marker direction, and analogies such
    as king : queen :: man : woman can be solved.
(c) Zipf-like frequencies. Filler words (the, of, and, ...) are drawn with probability
    ~ 1/(rank + 0.5)^1.1; topics, members within a topic, context words and pairs are also drawn
    with Zipf-like weights 1/rank^s, so the corpus's rank-frequency curve is close to a power
    law of slope -1 and word counts span more than two orders of magnitude. At 1M tokens every
    planted word occurs over 150 times, so ``--min-count 5`` keeps them all.

Sentences are bags of words in random order: what word2vec sees is which words share a window.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence

import numpy as np

# --------------------------------------------------------------------------------------------
# The planted truth
# --------------------------------------------------------------------------------------------

#: Topic -> member words (8 each). Members of one topic share contexts: the groups to recover.
PLANTED_GROUPS: dict[str, list[str]] = {
    "animals": ["dog", "cat", "horse", "cow", "sheep", "goat", "pig", "rabbit"],
    "colours": ["red", "blue", "green", "yellow", "purple", "grey", "pink", "brown"],
    "numbers": ["two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "fruit": ["apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "pear"],
    "vehicles": ["car", "bus", "truck", "train", "bicycle", "motorcycle", "van", "taxi"],
    "instruments": ["guitar", "piano", "violin", "drum", "flute", "trumpet", "cello", "harp"],
    "weather": ["rain", "snow", "wind", "fog", "hail", "storm", "thunder", "sleet"],
    "sports": [
        "football", "tennis", "golf", "hockey", "cricket", "rugby", "baseball", "basketball"
    ],
    "drinks": ["coffee", "tea", "milk", "juice", "lemonade", "cocoa", "soda", "water"],
    "emotions": ["happy", "sad", "angry", "calm", "nervous", "proud", "afraid", "excited"],
}

#: Topic -> context words that occur only in that topic's sentences.
TOPIC_CONTEXTS: dict[str, list[str]] = {
    "animals": ["farm", "barn", "fed", "pet", "tail", "fur", "vet", "fence"],
    "colours": ["paint", "colour", "shade", "bright", "dark", "painted", "wall", "dye"],
    "numbers": ["count", "times", "total", "dozen", "plus", "minus", "sum", "digits"],
    "fruit": ["ripe", "juicy", "peel", "orchard", "sweet", "basket", "slice", "fruit"],
    "vehicles": ["drive", "road", "wheels", "engine", "parked", "traffic", "fuel", "garage"],
    "instruments": ["played", "song", "concert", "melody", "band", "tune", "notes", "orchestra"],
    "weather": ["forecast", "sky", "cold", "clouds", "weather", "umbrella", "heavy", "outside"],
    "sports": ["match", "team", "score", "player", "won", "season", "coach", "league"],
    "drinks": ["cup", "drink", "glass", "poured", "hot", "sip", "mug", "brewed"],
    "emotions": ["felt", "feeling", "mood", "emotion", "became", "seemed", "suddenly", "deeply"],
}

#: Relation -> (a, b) pairs; within a relation b - a is (about) the same vector for every pair.
PLANTED_RELATIONS: dict[str, list[tuple[str, str]]] = {
    "gender": [
        ("king", "queen"),
        ("prince", "princess"),
        ("man", "woman"),
        ("boy", "girl"),
        ("father", "mother"),
        ("brother", "sister"),
        ("husband", "wife"),
        ("uncle", "aunt"),
        ("actor", "actress"),
        ("waiter", "waitress"),
    ],
    "capital": [
        ("france", "paris"),
        ("germany", "berlin"),
        ("italy", "rome"),
        ("spain", "madrid"),
        ("japan", "tokyo"),
        ("russia", "moscow"),
        ("china", "beijing"),
        ("egypt", "cairo"),
        ("greece", "athens"),
        ("canada", "ottawa"),
    ],
}

#: All planted pairs, relation by relation (analogies only make sense within one relation).
PLANTED_PAIRS: list[tuple[str, str]] = [p for pairs in PLANTED_RELATIONS.values() for p in pairs]

#: Pair -> context words shared by both of its words (what makes king and queen alike).
PAIR_CONTEXTS: dict[tuple[str, str], list[str]] = {
    ("king", "queen"): ["throne", "crown", "reign"],
    ("prince", "princess"): ["castle", "heir", "royal"],
    ("man", "woman"): ["street", "stranger", "crowd"],
    ("boy", "girl"): ["school", "playground", "toys"],
    ("father", "mother"): ["parents", "raised", "baby"],
    ("brother", "sister"): ["sibling", "twin", "older"],
    ("husband", "wife"): ["married", "wedding", "marriage"],
    ("uncle", "aunt"): ["nephew", "niece", "cousin"],
    ("actor", "actress"): ["film", "stage", "role"],
    ("waiter", "waitress"): ["restaurant", "menu", "tip"],
    ("france", "paris"): ["french", "croissant", "louvre"],
    ("germany", "berlin"): ["german", "pretzel", "bundestag"],
    ("italy", "rome"): ["italian", "pasta", "vatican"],
    ("spain", "madrid"): ["spanish", "paella", "flamenco"],
    ("japan", "tokyo"): ["japanese", "sushi", "yen"],
    ("russia", "moscow"): ["russian", "vodka", "kremlin"],
    ("china", "beijing"): ["chinese", "dumplings", "yuan"],
    ("egypt", "cairo"): ["egyptian", "pyramids", "nile"],
    ("greece", "athens"): ["greek", "feta", "acropolis"],
    ("canada", "ottawa"): ["canadian", "maple", "mounties"],
}

#: Relation -> (markers of side a, markers of side b): the same for every pair of the relation.
RELATION_MARKERS: dict[str, tuple[list[str], list[str]]] = {
    "gender": (["he", "his", "him", "himself"], ["she", "her", "hers", "herself"]),
    "capital": (["country", "nation", "border", "population"],
                ["capital", "city", "downtown", "mayor"]),
}

#: Function and other common words, most frequent first (drawn with p ~ 1 / (rank + 0.5)^1.1).
FILLER_WORDS: list[str] = """
the of and a to in is was it for that on with as at by this be from are or not they we you
i an which all but had has have were there been their one would will what about if out up
into some can more when who them then its than also only other could our just like over after
these first new any people because may did most where much should those through well even
back still way each many before same here both between under again never while last might
great old little around often always another something nothing every long own day made see
time year make know take come think look went said got good place thing world life hand part
week few yes quite very so too now today then how why because once upon such must does done
being far near next without within during against among toward every almost already enough
perhaps maybe really rather though although since until unless whether either neither
ago later soon yesterday tomorrow tonight everyone someone anyone nobody somebody everything
anything whatever whenever wherever however therefore thus hence indeed instead otherwise
besides meanwhile anyway sometimes usually rarely seldom nearly hardly barely simply mostly
""".split()
FILLER_WORDS = list(dict.fromkeys(FILLER_WORDS))  # drop repeats, keep first-seen order

# Mixture weights and sentence shape.
FILLER_RATE = 0.5  #: probability that a token (other than the subject) is a filler word
TOPIC_SENTENCE_RATE = 0.65  #: fraction of sentences about a topic; the rest are pair sentences
PAIR_CONTEXT_RATE = 0.5  #: in a pair sentence, a content token is a pair context, else a marker
MIN_LEN, MAX_LEN = 6, 18  #: sentence length in tokens, uniform (the last one may be shorter)
# Zipf exponents s (and offset q) of p_r ~ 1 / (r + q)^s for each kind of draw.
FILLER_ZIPF_S, FILLER_ZIPF_Q = 1.1, 0.5  #: filler words
TOPIC_ZIPF_S = 0.6  #: which topic a topic sentence is about
MEMBER_ZIPF_S = 0.8  #: members within a topic
CONTEXT_ZIPF_S = 0.5  #: topic context words within a topic
PAIR_ZIPF_S = 0.6  #: which pair (within a relation) a pair sentence is about


def planted_groups() -> dict[str, list[str]]:
    """Topic -> member words (a copy of :data:`PLANTED_GROUPS`)."""
    return {k: list(v) for k, v in PLANTED_GROUPS.items()}


def planted_pairs() -> dict[str, list[tuple[str, str]]]:
    """Relation -> (a, b) pairs (a copy of :data:`PLANTED_RELATIONS`)."""
    return {k: list(v) for k, v in PLANTED_RELATIONS.items()}


def planted_words() -> list[str]:
    """Every word whose vector the planted structure is about (group members and pair words)."""
    words = [w for ws in PLANTED_GROUPS.values() for w in ws]
    words += [w for pair in PLANTED_PAIRS for w in pair]
    return words


def _build_vocabulary() -> tuple[np.ndarray, dict[str, int]]:
    """All words of the generator, each once, as an object array and a word -> id map."""
    words: list[str] = list(FILLER_WORDS)
    for topic in PLANTED_GROUPS:
        words += PLANTED_GROUPS[topic] + TOPIC_CONTEXTS[topic]
    for relation, pairs in PLANTED_RELATIONS.items():
        for a, b in pairs:
            words += [a, b] + PAIR_CONTEXTS[(a, b)]
        words += RELATION_MARKERS[relation][0] + RELATION_MARKERS[relation][1]
    index: dict[str, int] = {}
    for w in words:
        if w in index:
            raise AssertionError(f"synthetic vocabulary uses {w!r} in two roles")
        index[w] = len(index)
    return np.array(words, dtype=object), index


VOCABULARY, _INDEX = _build_vocabulary()


def _zipf_weights(n: int, s: float = 1.0, q: float = 0.0) -> np.ndarray:
    """Normalised Zipf-Mandelbrot weights p_r ~ 1 / (r + q)^s for ranks r = 1..n."""
    w = 1.0 / (np.arange(1, n + 1, dtype=np.float64) + q) ** s
    return w / w.sum()


def _ids(words: Sequence[str]) -> np.ndarray:
    return np.array([_INDEX[w] for w in words], dtype=np.int32)


# Id tables used by the vectorised sampler: row t / p lists the ids of topic t / pair p.
_FILLER_IDS = _ids(FILLER_WORDS)
_MEMBER_IDS = np.stack([_ids(PLANTED_GROUPS[t]) for t in PLANTED_GROUPS])  # (topics, 8)
_TOPIC_CTX_IDS = np.stack([_ids(TOPIC_CONTEXTS[t]) for t in PLANTED_GROUPS])  # (topics, 8)
_PAIR_RELATION = np.array(
    [r for r, pairs in enumerate(PLANTED_RELATIONS.values()) for _ in pairs], dtype=np.int64
)
_PAIR_IDS = np.stack([_ids(p) for p in PLANTED_PAIRS])  # (pairs, 2)
_PAIR_CTX_IDS = np.stack([_ids(PAIR_CONTEXTS[p]) for p in PLANTED_PAIRS])  # (pairs, 3)
_MARKER_IDS = np.stack(
    [np.stack([_ids(side) for side in RELATION_MARKERS[r]]) for r in PLANTED_RELATIONS]
)  # (relations, 2 sides, 4)


def generate_ids(n_tokens: int = 1_000_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generate the corpus as word ids (indices into :data:`VOCABULARY`).

    Returns:
        ``(ids, ends)``: ``ids`` int32 of shape (n_tokens,); ``ends`` int64 of shape
        (n_sentences,), the exclusive end offset of each sentence in ``ids`` (the last one is
        ``n_tokens``). Exactly ``n_tokens`` tokens; every sentence has at least one token.

    Raises:
        ValueError: ``n_tokens`` is negative.
    """
    if n_tokens < 0:
        raise ValueError("n_tokens must be >= 0")
    rng = np.random.default_rng(seed)
    if n_tokens == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)

    # Sentence lengths: enough sentences to cover n_tokens, the last one trimmed to fit exactly.
    n_sent = n_tokens // MIN_LEN + 1
    lengths = rng.integers(MIN_LEN, MAX_LEN + 1, size=n_sent)
    ends = np.cumsum(lengths)
    n_sent = int(np.searchsorted(ends, n_tokens)) + 1
    ends = ends[:n_sent]
    ends[-1] = n_tokens
    starts = np.concatenate([[0], ends[:-1]])
    lengths = ends - starts

    def zipf_draw(n_choices: int, size: int, s: float, q: float = 0.0) -> np.ndarray:
        return rng.choice(n_choices, size=size, p=_zipf_weights(n_choices, s, q))

    # Per-sentence choices: topic sentence or pair sentence; which topic / pair / side.
    n_topics, group_size = _MEMBER_IDS.shape
    is_topic = rng.random(n_sent) < TOPIC_SENTENCE_RATE
    topic = zipf_draw(n_topics, n_sent, TOPIC_ZIPF_S)
    # Pairs: each relation equally likely, Zipf-ish over the pairs inside it.
    pair = np.empty(n_sent, dtype=np.int64)
    relation = rng.integers(0, len(PLANTED_RELATIONS), size=n_sent)
    offset = 0
    for r, pairs in enumerate(PLANTED_RELATIONS.values()):
        sel = relation == r
        pair[sel] = offset + zipf_draw(len(pairs), int(sel.sum()), PAIR_ZIPF_S)
        offset += len(pairs)
    side = rng.integers(0, 2, size=n_sent)

    # Per-token draws, vectorised over the whole corpus; each token then takes one of them.
    sent = np.repeat(np.arange(n_sent), lengths)  # sentence of each token
    tok_topic, tok_pair, tok_side = topic[sent], pair[sent], side[sent]
    u_kind = rng.random(n_tokens)
    u_sub = rng.random(n_tokens)
    filler = _FILLER_IDS[zipf_draw(len(_FILLER_IDS), n_tokens, FILLER_ZIPF_S, FILLER_ZIPF_Q)]
    member = _MEMBER_IDS[tok_topic, zipf_draw(group_size, n_tokens, MEMBER_ZIPF_S)]
    n_ctx = _TOPIC_CTX_IDS.shape[1]
    topic_ctx = _TOPIC_CTX_IDS[tok_topic, zipf_draw(n_ctx, n_tokens, CONTEXT_ZIPF_S)]
    pair_word = _PAIR_IDS[tok_pair, tok_side]
    pair_ctx = _PAIR_CTX_IDS[tok_pair, rng.integers(0, _PAIR_CTX_IDS.shape[1], size=n_tokens)]
    marker = _MARKER_IDS[
        _PAIR_RELATION[tok_pair], tok_side, rng.integers(0, _MARKER_IDS.shape[2], size=n_tokens)
    ]

    pair_content = np.where(u_sub < PAIR_CONTEXT_RATE, pair_ctx, marker)
    content = np.where(is_topic[sent], topic_ctx, pair_content)
    ids = np.where(u_kind < FILLER_RATE, filler, content).astype(np.int32)

    # Each sentence has exactly one subject word, at a random position: a member of its topic,
    # or its pair word. (One subject per sentence makes members substitutes for each other, as
    # in real text, rather than mere co-occurrers with their topic's context words.)
    subject = starts + (rng.random(n_sent) * lengths).astype(np.int64)
    ids[subject] = np.where(is_topic, member[subject], pair_word[subject])
    return ids, ends.astype(np.int64)


def generate_corpus(n_tokens: int = 1_000_000, seed: int = 0) -> list[list[str]]:
    """Generate the synthetic corpus as a list of sentences (lists of words).

    Deterministic: the same ``(n_tokens, seed)`` always gives the same corpus (NumPy's PCG64).
    Exactly ``n_tokens`` tokens in sentences of 6 to 18 words (the last may be shorter).

    Raises:
        ValueError: ``n_tokens`` is negative.
    """
    ids, ends = generate_ids(n_tokens, seed)
    tokens = VOCABULARY[ids].tolist()
    out: list[list[str]] = []
    start = 0
    for end in ends.tolist():
        out.append(tokens[start:end])
        start = end
    return out


def iter_lines(n_tokens: int = 1_000_000, seed: int = 0) -> Iterator[str]:
    """The corpus as text lines (one sentence each, words separated by one space, no newline)."""
    ids, ends = generate_ids(n_tokens, seed)
    tokens = VOCABULARY[ids].tolist()
    start = 0
    for end in ends.tolist():
        yield " ".join(tokens[start:end])
        start = end


def write_corpus(path: str, n_tokens: int = 1_000_000, seed: int = 0) -> int:
    """Write the corpus to ``path`` (``-`` for stdout), one sentence per line; return #lines."""
    lines = list(iter_lines(n_tokens, seed))
    text = "\n".join(lines) + ("\n" if lines else "")
    if path == "-":
        sys.stdout.write(text)
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return len(lines)


def analogy_questions() -> dict[str, list[tuple[str, str, str, str]]]:
    """Relation -> questions ``(a, b, c, d)``: "a is to b as c is to d", for every ordered pair
    of distinct pairs of the relation (10 pairs give 90 questions per relation)."""
    return {
        rel: [(a, b, c, d) for (a, b) in pairs for (c, d) in pairs if (a, b) != (c, d)]
        for rel, pairs in PLANTED_RELATIONS.items()
    }


def write_questions(path: str) -> int:
    """Write :func:`analogy_questions` in the ``questions-words.txt`` format; return #questions."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for rel, questions in analogy_questions().items():
            f.write(f": {rel}\n")
            for q in questions:
                f.write(" ".join(q) + "\n")
                n += 1
    return n


# --------------------------------------------------------------------------------------------
# Checking trained vectors against the truth
# --------------------------------------------------------------------------------------------


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms > 0, norms, 1.0)


def group_recall(
    words: Sequence[str], vectors: np.ndarray, k: int | None = None
) -> dict[str, float]:
    """Planted-group recall of trained vectors.

    For every member w of every planted group that is in ``words``, take w's ``k`` nearest
    neighbours by cosine over the whole vocabulary (w itself excluded) and count the fraction
    that belong to w's own group; average over the group's members.

    Args:
        words: the vocabulary, row order of ``vectors`` (e.g. ``kv.index_to_key``).
        vectors: float array (V, d).
        k: neighbours per word; default group size - 1 (7), so a perfect score of 1.0 means each
            member's nearest neighbours are exactly the rest of its group.

    Returns:
        Topic -> recall in [0, 1] (groups with no member in ``words`` are left out). A random
        embedding scores about k / V.
    """
    index = {w: i for i, w in enumerate(words)}
    unit = _unit_rows(vectors)
    result: dict[str, float] = {}
    for topic, members in PLANTED_GROUPS.items():
        present = [w for w in members if w in index]
        if not present:
            continue
        kk = k if k is not None else len(members) - 1
        member_ids = {index[w] for w in members if w in index}
        scores = []
        for w in present:
            i = index[w]
            sims = unit @ unit[i]
            sims[i] = -np.inf
            top = np.argpartition(-sims, kk)[:kk]
            scores.append(sum(int(j) in member_ids for j in top) / kk)
        result[topic] = float(np.mean(scores))
    return result


def analogy_accuracy(words: Sequence[str], vectors: np.ndarray) -> dict[str, float]:
    """Accuracy on :func:`analogy_questions` with 3CosAdd (d = argmax cos(x, b - a + c) over the
    vocabulary, a, b and c excluded), per relation. Questions with a word outside ``words``
    count as wrong."""
    index = {w: i for i, w in enumerate(words)}
    unit = _unit_rows(vectors)
    result: dict[str, float] = {}
    for rel, questions in analogy_questions().items():
        correct = 0
        for a, b, c, d in questions:
            if not all(w in index for w in (a, b, c, d)):
                continue
            target = unit[index[b]] - unit[index[a]] + unit[index[c]]
            sims = unit @ target
            sims[[index[a], index[b], index[c]]] = -np.inf
            correct += int(np.argmax(sims)) == index[d]
        result[rel] = correct / len(questions)
    return result


def report(words: Sequence[str], vectors: np.ndarray) -> str:
    """A short text report of :func:`group_recall` and :func:`analogy_accuracy`."""
    recall = group_recall(words, vectors)
    acc = analogy_accuracy(words, vectors)
    baseline = (len(next(iter(PLANTED_GROUPS.values()))) - 1) / max(len(words), 1)
    lines = ["planted-group recall (share of each word's 7 nearest neighbours in its own group):"]
    for topic, r in recall.items():
        lines.append(f"  {topic:<12} {r:6.1%}  {' '.join(PLANTED_GROUPS[topic])}")
    if recall:
        lines.append(f"  {'mean':<12} {np.mean(list(recall.values())):6.1%}  "
                     f"(random vectors: about {baseline:.1%})")
    lines.append("planted analogies (a : b :: c : ?, 3CosAdd, 90 questions per relation):")
    for rel, a in acc.items():
        lines.append(f"  {rel:<12} {a:6.1%}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a synthetic corpus with planted word groups and analogy pairs "
        "(one sentence per line)."
    )
    parser.add_argument("-o", "--output", default="-", help="output file, - for stdout (default)")
    parser.add_argument("--tokens", type=int, default=1_000_000, help="number of tokens (1000000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--questions", metavar="FILE",
                        help="also write the planted analogies in questions-words.txt format")
    args = parser.parse_args(argv)
    if args.tokens < 0:
        parser.error("--tokens must be >= 0")
    t0 = time.perf_counter()
    n_lines = write_corpus(args.output, args.tokens, args.seed)
    elapsed = time.perf_counter() - t0
    if args.output != "-":
        print(f"wrote {args.tokens:,} tokens in {n_lines:,} sentences to {args.output} "
              f"({elapsed:.1f} s)", file=sys.stderr)
    if args.questions:
        n_q = write_questions(args.questions)
        print(f"wrote {n_q} analogy questions to {args.questions}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
