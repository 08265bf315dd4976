"""w2v: fast word2vec from the command line and from Python.

``w2vcli.train(corpus, **options)`` trains and returns a :class:`w2vcli.api.Model` (``.wv`` are
the word vectors); ``w2vcli.load(path)`` reads a model directory or a vectors file. The library
never prints unless asked (``progress=True``); the ``w2v`` command (:mod:`w2vcli.cli`) is a thin
shell over it. Importing this package is cheap: numpy, numba and matplotlib are imported only by
the functions and modules that need them.
"""

from w2vcli._version import __version__
__all__ = ["Model", "load", "train"]


def __getattr__(name: str):
    if name in __all__:
        from w2vcli import api

        return getattr(api, name)
    raise AttributeError(f"module 'w2vcli' has no attribute {name!r}")
