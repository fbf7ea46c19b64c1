"""Error hierarchy. Each error also inherits the matching built-in, so callers may catch either.

A message says what was received, what was expected and how to fix it. Faces (CLI, service)
turn a `MedSageError` into a one-line message (exit code 2) or an RFC 9457 problem response.
"""

from __future__ import annotations


class MedSageError(Exception):
    """Base class of every error MedSage raises on purpose."""


class InvalidInputError(MedSageError, ValueError):
    """The input was malformed, empty, of the wrong kind or in the wrong unit."""


class EmptyInputError(InvalidInputError):
    """An input text, file or data set holds nothing to work on."""


class DataFormatError(InvalidInputError):
    """A data file could not be read as the format it claims to be (columns, encoding, syntax)."""


class MissingFileError(MedSageError, FileNotFoundError):
    """A file or folder the caller named does not exist."""


class UnknownNameError(MedSageError, ValueError):
    """A name (backend, data set, metric) that no registry holds."""


class NotFittedError(MedSageError, ValueError, AttributeError):
    """A model was used before `fit` (as in scikit-learn)."""


class ModelBundleError(MedSageError, ValueError):
    """A model bundle folder is missing, incomplete, corrupt or written by a newer MedSage."""
