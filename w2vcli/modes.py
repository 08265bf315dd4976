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
#: cores; ``lowercase`` ``None`` folds case for the ``words`` tokenizer only.
TRAIN_DEFAULTS = {
    "model": "sg", "loss": "ns", "dim": 100, "window": 5, "neg": 5, "ns_exponent": 0.75,
    "min_count": 5, "max_vocab": None, "sample": 1e-3, "shrink_windows": True,
    "cbow_mean": True, "epochs": 5, "alpha": None, "min_alpha": 0.0001, "threads": None,
    "seed": 1, "kernel": DEFAULT_KERNEL, "combine": DEFAULT_COMBINE, "tokenizer": "words",
    "lowercase": None, "max_sentence_length": 10000,
}
#: The options that define the model and the corpus encoding: ``--resume`` takes them from the
#: checkpoint (and refuses new values), ``--init`` from the saved model unless given.
MODEL_OPTIONS = ("model", "loss", "dim", "window", "neg", "min_count", "max_vocab", "sample",
                 "ns_exponent", "shrink_windows", "cbow_mean", "kernel", "combine", "tokenizer",
                 "lowercase", "max_sentence_length")
#: The learning schedule: ``--resume`` keeps the checkpoint's (``epochs`` may be raised).
SCHEDULE_OPTIONS = ("epochs", "alpha", "min_alpha", "seed")
