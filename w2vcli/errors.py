"""Exceptions that the library raises for bad input.

Every error a user can cause is a :class:`W2VError` whose message is one line that names the
problem and the fix; the CLI prints it as ``Error: <message>`` and exits with status 1, never with
a traceback.
"""


class W2VError(Exception):
    """Base class for user-facing errors (bad corpus, bad vectors file, unknown word, ...)."""


class CorpusError(W2VError):
    """The corpus cannot be read or yields no trainable words."""


class VectorsFormatError(W2VError):
    """A vectors file is not valid word2vec text or binary; the message names the line."""


class UnknownWordError(W2VError, KeyError):
    """A query word is not in the vocabulary; the message suggests close vocabulary words."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""
