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
