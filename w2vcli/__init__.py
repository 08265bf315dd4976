"""w2v: fast word2vec (skip-gram with negative sampling) from the command line.

The library never prints; the ``w2v`` command (:mod:`w2vcli.cli`) is a thin shell over it.
Importing this package is cheap: numba and matplotlib are imported only by the modules that
train (:mod:`w2vcli.kernels`, :mod:`w2vcli.train`) and plot (:mod:`w2vcli.plot`).
"""

__version__ = "0.1.0"
