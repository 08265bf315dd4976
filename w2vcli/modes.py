"""Names of the training modes and update rules, defined once (no numpy, no numba: the CLI's
``--help`` imports this).

Models (``--model``): skip-gram (``sg``) and CBOW (``cbow``), Mikolov et al. 2013. Losses
(``--loss``): negative sampling (``ns``), hierarchical softmax (``hs``) and the exact softmax
(``softmax``). Update rules of skip-gram with negative sampling (``--kernel``): see
:mod:`w2vcli.kernels`.
"""

MODELS = ("sg", "cbow")
LOSSES = ("ns", "hs", "softmax")
#: Update rules of skip-gram negative sampling; the first is the default.
KERNELS = ("context-combining", "hogbatch", "pair")
DEFAULT_KERNEL = KERNELS[0]
#: Centre words sharing one set of noise words in the context-combining rule (``--combine``).
DEFAULT_COMBINE = 2
#: Largest ``--combine`` (a window's membership in a group is a 64-bit mask).
MAX_COMBINE = 64

#: ``w2v train``'s options and their defaults (word2vec.c's), by the CLI's names; the CLI, the
#: training session and the saved-model reader take them from here. ``alpha`` ``None`` is
#: word2vec.c's default for the model (0.025 skip-gram, 0.05 CBOW); ``threads`` ``None`` is all
#: cores; ``lowercase`` ``None`` folds case for the ``words`` tokenizer only. ``minn``, ``maxn``
#: and ``bucket`` are fastText's character n-gram options (Bojanowski et al. 2017): ``maxn`` 0
#: is the word model (no subwords, the default); with ``maxn`` > 0 each word's input vector is
#: the mean of its own row and the rows its n-grams of ``minn`` to ``maxn`` characters hash to
#: among ``bucket`` shared rows. ``w2v train --subwords`` sets fastText's ``maxn``,
#: :data:`SUBWORD_DEFAULTS`.
TRAIN_DEFAULTS = {
    "model": "sg", "loss": "ns", "dim": 100, "window": 5, "neg": 5, "ns_exponent": 0.75,
    "min_count": 5, "max_vocab": None, "sample": 1e-3, "shrink_windows": True,
    "cbow_mean": True, "epochs": 5, "alpha": None, "min_alpha": 0.0001, "threads": None,
    "seed": 1, "kernel": DEFAULT_KERNEL, "combine": DEFAULT_COMBINE, "tokenizer": "words",
    "lowercase": None, "max_sentence_length": 10000,
    "minn": 3, "maxn": 0, "bucket": 2_000_000,
}
#: The options that define the model and the corpus encoding: ``--resume`` takes them from the
#: checkpoint (and refuses new values), ``--init`` from the saved model unless given.
MODEL_OPTIONS = ("model", "loss", "dim", "window", "neg", "min_count", "max_vocab", "sample",
                 "ns_exponent", "shrink_windows", "cbow_mean", "kernel", "combine", "tokenizer",
                 "lowercase", "max_sentence_length", "minn", "maxn", "bucket")
#: The learning schedule: ``--resume`` keeps the checkpoint's (``epochs`` may be raised).
SCHEDULE_OPTIONS = ("epochs", "alpha", "min_alpha", "seed")

#: fastText's n-gram options (``fasttext skipgram``'s defaults): what ``--subwords``, or giving
#: any of ``--minn``, ``--maxn``, ``--bucket``, fills in for the others not given.
SUBWORD_DEFAULTS = {"minn": 3, "maxn": 6, "bucket": 2_000_000}
#: The options that make a subword model.
SUBWORD_OPTIONS = tuple(SUBWORD_DEFAULTS)
#: The update rule a subword model trains with unless ``--kernel`` is given: ``pair`` draws
#: skip-gram's noise words per (centre, outside) pair, as fastText does; ``hogbatch`` and
#: ``context-combining`` share them across a window (see :mod:`w2vcli.subword_kernels`).
SUBWORD_KERNEL = "pair"


def subword_options(given: dict, subwords: bool = False) -> dict:
    """``given`` (options by name) with fastText's n-gram defaults filled in where it asks for
    subwords: ``subwords`` true, or any of ``minn``, ``maxn``, ``bucket`` given. ``maxn`` 0
    given stays 0 (the word model). A subword model's ``kernel`` defaults to
    :data:`SUBWORD_KERNEL`. Returns a new dict; ``given`` is not changed."""
    out = dict(given)
    if subwords or any(name in given for name in SUBWORD_OPTIONS):
        for name, value in SUBWORD_DEFAULTS.items():
            out.setdefault(name, value)
        if out["maxn"]:
            out.setdefault("kernel", SUBWORD_KERNEL)
    return out


# -- Limits of the options, checked by the CLI (click ranges) and by TrainConfig.validate. ------
# Each bound is what every use of the value accepts; the CLI's help shows them.

#: Largest integer stored anywhere (NumPy int64 arrays, Numba int64 arguments, model.json read
#: back by tools that use signed 64-bit integers): the upper bound of every count option.
MAX_INT = 2**63 - 1
#: Largest ``--seed``. ``numpy.random.default_rng`` (the initial vectors) and ``SeedSequence``
#: (every batch's stream) take any non-negative integer; a signed 64-bit one also survives
#: model.json and any int64 field it is copied into.
MAX_SEED = MAX_INT
#: Largest ``--dim``: each dimension compiles its own kernels, whose rows live in SIMD registers;
#: 4,096 compiles in about 15 s on one core (100: about 6 s), 65,536 takes minutes.
MAX_DIM = 4096
#: Largest ``--window``: every thread allocates scratch rows for ``2 * window`` outside words
#: (times ``--combine``); a window this wide already spans a whole sentence at the default
#: ``--max-sentence-length``.
MAX_WINDOW = 10_000
#: Largest ``--epochs``: ``epochs x corpus tokens`` (the learning-rate schedule's length) must
#: stay an int64 for corpora of up to 9 trillion tokens.
MAX_EPOCHS = 1_000_000
#: Largest ``--threads``: each reading thread holds two open files and a chunk of up to 1 MiB in
#: flight; more threads than cores only adds overhead.
MAX_THREADS = 1024
#: Largest magnitude of ``--ns-exponent``: ``count ** exponent`` stays a finite float64 for any
#: int64 count (``(2**63) ** 10`` is about 1e190), so the noise distribution is always defined.
MAX_NS_EXPONENT = 10.0
#: Largest ``--minn`` / ``--maxn``: a word of ``L`` characters has about ``L`` n-grams of each
#: length, so each length adds rows to every word's input vector; n-grams longer than a word
#: add nothing, and 64 characters is longer than nearly any word.
MAX_NGRAM = 64
#: Largest ``--bucket``: fastText stores it, and the n-gram rows ``nwords + hash % bucket``,
#: as signed 32-bit integers (its ``.bin`` format); with the vocabulary the rows must also fit.
MAX_BUCKET = 2**31 - 1
#: Largest ``w2v phrases --passes``: pass ``k`` of ``P`` uses ``threshold * 2 ** (P - k)``, which
#: must stay a float; 64 passes can join phrases of up to 2**64 words.
MAX_PASSES = 64
