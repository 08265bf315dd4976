"""Check that spaCy reads w2v's text vectors and agrees with w2v on neighbours and similarities.

    .venv/bin/python benchmarks/spacy_check.py [--vectors FILE] [--corpus FILE] [--out DIR]

Not part of the test suite (it installs spaCy, ~330 MB, and trains for a minute). What it does:

1. Installs spaCy into its own virtual environment, ``benchmarks/.venv-spacy`` (created when
   missing, reused after; ``pip install spacy``; log in ``OUT/install.log``). spaCy is no
   dependency of w2vcli.
2. Trains vectors with ``w2v train CORPUS -o OUT/vectors.txt --threads 1`` (one thread: the same
   vectors on every run), unless ``--vectors`` gives a word2vec text file.
3. Runs ``python -m spacy init vectors en OUT/vectors.txt OUT/spacy_model`` in spaCy's venv:
   spaCy 3's own reader of the word2vec text format.
4. In spaCy's venv, loads the pipeline (``spacy.load``) and records: every word's vector,
   ``nlp.vocab.vectors.most_similar`` (top 11: it returns the query word itself, which w2v
   leaves out, so that one is dropped), ``Token.similarity`` of word pairs and
   ``Doc.similarity`` of short texts.
5. Here, with w2v's library, compares them with what w2v computes: the vectors bit for bit
   (``w2vcli.io.load_vectors``); the neighbours and their cosines against
   ``KeyedVectors.most_similar(word, topn=10)``, the call ``w2v similar WORD -n 10`` prints;
   ``Token.similarity`` against ``KeyedVectors.similarity``; ``Doc.similarity`` against the
   cosine of the mean of w2v's vectors over the Doc's tokens, an unknown token counting as a
   zero vector (spaCy's ``Doc.vector``: w2v itself has no text similarity).

Tolerances: spaCy rounds ``most_similar``'s scores to 4 decimals, so those may differ by up to
5e-5 (plus float32 error); similarities by 1e-5 (float32 norms and dot products in another
order). Two neighbour lists count as equal if they hold the same words in the same order, or
if they differ only by swapping words whose w2v cosines are within 1e-5 (a float32 tie).
Exit status: 0 if everything agrees, 1 if something does not (each difference is printed), 2 if
a step could not run (install, training, ``spacy init vectors``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
SPACY_VENV = BENCH_DIR / ".venv-spacy"
DEFAULT_CORPUS = "../shared/data/corpora/text8_head.txt.gz"
DEFAULT_OUT = BENCH_DIR / "out" / "spacy"
QUERIES = ["king", "computer", "france", "music", "good", "war", "water"]
PAIRS = [("king", "queen"), ("man", "woman"), ("france", "paris"), ("computer", "software"),
         ("good", "bad"), ("music", "water"), ("king", "king")]
TEXTS = [("the king and the queen", "a prince and a princess"),
         ("music and art", "computer science"),
         ("the war in france", "the battle of paris"),
         ("the qqzzxq king", "the queen")]  # an unknown word: a zero vector in the mean
TOPN = 10
NEIGHBOUR_SCORE_TOL = 5e-5 + 1e-6  # spaCy rounds most_similar's scores to 4 decimals
SIMILARITY_TOL = 1e-5
TIE_TOL = 1e-5
INSTALL_TIMEOUT = 1800
STEP_TIMEOUT = 900


def run_logged(cmd: list[str], log, timeout: float) -> int:
    """Run ``cmd`` with output appended to ``log``; print and log the command line."""
    line = shlex.join(cmd)
    print(f"$ {line}", flush=True)
    log.write(f"$ {line}\n")
    log.flush()
    try:
        done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout:.0f} s")
        return -1
    except OSError as exc:
        print(f"  could not run: {exc}")
        return -1
    return done.returncode


def spacy_version(python: Path) -> str | None:
    try:
        done = subprocess.run([str(python), "-c", "import spacy; print(spacy.__version__)"],
                              capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_spacy(venv: Path, log_path: Path) -> Path | None:
    """The spaCy venv's python, installing spaCy first if needed; None if that failed."""
    python = venv / "bin" / "python"
    if python.exists() and spacy_version(python):
        return python
    print(f"Installing spaCy into {venv} (log: {log_path})")
    started = time.perf_counter()
    with open(log_path, "a") as log:
        if not python.exists() and run_logged([sys.executable, "-m", "venv", str(venv)], log,
                                              INSTALL_TIMEOUT) != 0:
            return None
        if run_logged([str(python), "-m", "pip", "install", "spacy"], log, INSTALL_TIMEOUT) != 0:
            return None
    print(f"  installed in {time.perf_counter() - started:.0f} s")
    return python if spacy_version(python) else None


# -- the spaCy side (runs in spaCy's venv: imports spacy and numpy only) ----------------------


def spacy_side(model_dir: str, words_file: str, request_file: str, out_dir: str) -> None:
    """Load the pipeline and write what spaCy says to ``out_dir`` (JSON and .npy)."""
    import numpy as np
    import spacy

    nlp = spacy.load(model_dir)
    request = json.loads(Path(request_file).read_text(encoding="utf-8"))
    words = Path(words_file).read_text(encoding="utf-8").split("\n")[:-1]
    vectors = nlp.vocab.vectors
    missing = [w for w in words if nlp.vocab.strings[w] not in vectors]
    table = np.stack([vectors[nlp.vocab.strings[w]] for w in words if w not in missing])
    np.save(Path(out_dir) / "spacy_vectors.npy", table.astype(np.float32))

    neighbours = {}
    for word in request["queries"]:
        query = np.array([vectors[nlp.vocab.strings[word]]], dtype=np.float32)  # a copy: it is
        keys, _rows, scores = vectors.most_similar(query, n=request["topn"] + 1)  # normalised
        neighbours[word] = [(nlp.vocab.strings[int(k)], float(s))
                            for k, s in zip(keys[0], scores[0])]
    tokens = {}
    for a, b in request["pairs"]:
        doc = nlp(f"{a} {b}")
        tokens[f"{a} {b}"] = float(doc[0].similarity(doc[1]))
    docs = {}
    for a, b in request["texts"]:
        doc_a, doc_b = nlp(a), nlp(b)
        docs[f"{a} | {b}"] = {"similarity": float(doc_a.similarity(doc_b)),
                              "tokens": [[t.text for t in doc_a], [t.text for t in doc_b]]}
    result = {"spacy": spacy.__version__, "n_keys": int(vectors.n_keys),
              "shape": list(vectors.shape), "missing": missing, "neighbours": neighbours,
              "tokens": tokens, "docs": docs}
    (Path(out_dir) / "spacy.json").write_text(json.dumps(result, indent=1), encoding="utf-8")


# -- the w2v side ---------------------------------------------------------------------------


def same_up_to_ties(ours: list[tuple[str, float]], theirs: list[str]) -> bool:
    """Whether ``theirs`` orders ``ours``' words differently only among float32 ties."""
    if sorted(w for w, _ in ours) != sorted(theirs):
        return False
    score = dict(ours)
    return all(abs(score[a] - score[b]) <= TIE_TOL
               for (a, _), b in zip(ours, theirs) if a != b)


def compare(vectors_file: Path, out: Path, spacy_result: dict) -> list[str]:
    """Print the comparison; return the disagreements (empty if none)."""
    import numpy as np

    from w2vcli.io import load_vectors

    problems: list[str] = []
    kv = load_vectors(vectors_file)
    theirs = np.load(out / "spacy_vectors.npy")
    print(f"\nspaCy {spacy_result['spacy']}: {spacy_result['n_keys']:,} keys, vectors table "
          f"{tuple(spacy_result['shape'])}; w2v: {len(kv):,} words x {kv.vector_size}")
    if spacy_result["missing"]:
        problems.append(f"{len(spacy_result['missing'])} words have no spaCy vector, e.g. "
                        f"{spacy_result['missing'][:5]}")
    elif theirs.shape != kv.vectors.shape:
        problems.append(f"vector table shapes differ: {theirs.shape} vs {kv.vectors.shape}")
    else:
        differ = int((theirs.view(np.uint32) != kv.vectors.view(np.uint32)).any(axis=1).sum())
        print(f"Vectors: {len(kv) - differ:,} of {len(kv):,} words identical bit for bit "
              f"(max abs difference {float(np.abs(theirs - kv.vectors).max()):.3g})")
        if differ:
            problems.append(f"the vectors of {differ} words differ")

    print(f"\nNearest {TOPN} neighbours: spaCy Vectors.most_similar(n={TOPN + 1}) without the "
          f"query word itself, against w2v's KeyedVectors.most_similar(topn={TOPN})")
    for word, listed in spacy_result["neighbours"].items():
        self_hits = [w for w, _ in listed if w == word]
        theirs_list = [(w, s) for w, s in listed if w != word][:TOPN]
        ours = kv.most_similar(word, topn=TOPN)
        our_words = [w for w, _ in ours]
        their_words = [w for w, _ in theirs_list]
        score = dict(ours)
        diffs = [abs(score[w] - s) for w, s in theirs_list if w in score]
        worst = max(diffs) if diffs else float("nan")
        if our_words == their_words:
            verdict = "same list"
        elif same_up_to_ties(ours, their_words):
            verdict = "same words, order differs only within float32 ties"
        else:
            verdict = "DIFFERENT"
            problems.append(f"neighbours of {word!r}: w2v {our_words} vs spaCy {their_words}")
        if worst > NEIGHBOUR_SCORE_TOL:
            problems.append(f"neighbour cosines of {word!r} differ by {worst:.2g}")
        dropped = "dropped the query itself" if self_hits else "query not among spaCy's 11"
        print(f"  {word:<9} {verdict}; max |cosine diff| {worst:.1e} ({dropped}): "
              + ", ".join(f"{w} {s:.4f}" for w, s in ours))

    print("\nToken.similarity against w2v's KeyedVectors.similarity")
    for key, theirs_sim in spacy_result["tokens"].items():
        a, b = key.split(" ")
        ours_sim = kv.similarity(a, b)
        diff = abs(ours_sim - theirs_sim)
        flag = "" if diff <= SIMILARITY_TOL else "  <-- DIFFERENT"
        print(f"  {a:>9} ~ {b:<9} spaCy {theirs_sim:.6f}  w2v {ours_sim:.6f}  "
              f"|diff| {diff:.1e}{flag}")
        if flag:
            problems.append(f"Token.similarity({a}, {b}) differs by {diff:.2g}")

    print("\nDoc.similarity against the cosine of the mean of w2v's vectors over the tokens "
          "(unknown tokens: zero vectors)")
    for key, entry in spacy_result["docs"].items():
        means = []
        for tokens in entry["tokens"]:
            rows = [kv.vectors[kv.key_to_index[t]].astype(np.float64) if t in kv
                    else np.zeros(kv.vector_size) for t in tokens]
            means.append(np.mean(rows, axis=0))
        norms = np.linalg.norm(means[0]) * np.linalg.norm(means[1])
        ours_sim = float(means[0] @ means[1] / norms) if norms else 0.0
        diff = abs(ours_sim - entry["similarity"])
        flag = "" if diff <= SIMILARITY_TOL else "  <-- DIFFERENT"
        unknown = [t for tokens in entry["tokens"] for t in tokens if t not in kv]
        note = f" (unknown: {', '.join(unknown)})" if unknown else ""
        print(f"  {key!r}: spaCy {entry['similarity']:.6f}  w2v {ours_sim:.6f}  "
              f"|diff| {diff:.1e}{note}{flag}")
        if flag:
            problems.append(f"Doc.similarity({key}) differs by {diff:.2g}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=Path, default=None,
                        help="word2vec text vectors to check (default: train them)")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS,
                        help=f"corpus to train on (default: {DEFAULT_CORPUS})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="working directory (default: benchmarks/out/spacy)")
    parser.add_argument("--spacy-side", nargs=4, metavar=("MODEL", "WORDS", "REQUEST", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.spacy_side:
        spacy_side(*args.spacy_side)
        return 0

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "log.txt"
    python = ensure_spacy(SPACY_VENV, out / "install.log")
    if python is None:
        print(f"spaCy could not be installed; see {out / 'install.log'}")
        return 2
    print(f"spaCy {spacy_version(python)} in {python}")

    with open(log_path, "w") as log:
        if args.vectors is None:
            vectors_file = out / "vectors.txt"
            corpus = Path(args.corpus)
            if not corpus.exists() and (ROOT / corpus).exists():
                corpus = ROOT / corpus
            if not corpus.exists():
                print(f"corpus {args.corpus} not found; give --corpus or --vectors")
                return 2
            started = time.perf_counter()
            if run_logged([sys.executable, "-m", "w2vcli", "train", str(corpus), "-o",
                           str(vectors_file), "--threads", "1"], log, STEP_TIMEOUT) != 0:
                print(f"w2v train failed; see {log_path}")
                return 2
            print(f"  trained in {time.perf_counter() - started:.0f} s")
        else:
            vectors_file = args.vectors.resolve()
        model_dir = out / "spacy_model"
        started = time.perf_counter()
        if run_logged([str(python), "-m", "spacy", "init", "vectors", "en", str(vectors_file),
                       str(model_dir)], log, STEP_TIMEOUT) != 0:
            print(f"spacy init vectors failed; see {log_path}")
            return 2
        print(f"  spaCy read the vectors in {time.perf_counter() - started:.0f} s")

        from w2vcli.io import load_vectors

        words_file = out / "words.txt"
        words_file.write_text("".join(f"{w}\n" for w in load_vectors(vectors_file).index_to_key),
                              encoding="utf-8")
        request = out / "request.json"
        request.write_text(json.dumps({"queries": QUERIES, "pairs": PAIRS, "texts": TEXTS,
                                       "topn": TOPN}), encoding="utf-8")
        if run_logged([str(python), str(Path(__file__).resolve()), "--spacy-side",
                       str(model_dir), str(words_file), str(request), str(out)], log,
                      STEP_TIMEOUT) != 0:
            print(f"loading the pipeline in spaCy failed; see {log_path}")
            return 2
    spacy_result = json.loads((out / "spacy.json").read_text(encoding="utf-8"))
    problems = compare(vectors_file, out, spacy_result)
    if problems:
        print(f"\nspaCy and w2v DISAGREE ({len(problems)}):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nspaCy and w2v agree: same vectors, same neighbours, same similarities "
          "(within float32 tolerance).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
