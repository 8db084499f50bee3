"""Error types. Every error a user can cause names the file, field, row or cell and what was
expected, so the message alone is enough to fix the input."""

from __future__ import annotations

from collections.abc import Mapping


class EcocivError(Exception):
    """Base class of errors caused by user input or configuration (shown without traceback)."""


class InputError(EcocivError):
    """An input file, table, raster, parameter or setting is not what the model expects.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    source : str, optional
        The file (or input id) the problem is in.
    where : str, optional
        Field, row, column or cell, e.g. ``"row 3, column 'kc'"`` or ``"cell (row 12, col 40)"``.
    """

    def __init__(self, message: str, *, source: str | None = None, where: str | None = None):
        self.source = source
        self.where = where
        self.detail = message
        parts = []
        if source:
            parts.append(str(source))
        if where:
            parts.append(where)
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


def relabelled(err: InputError, labels: Mapping[str, str]) -> InputError:
    """``err`` with each path in ``labels`` replaced by its label in the source, place and message
    (e.g. an upstream step's output in an unfinished run folder, named ``@step.output``)."""

    def _text(text: str | None) -> str | None:
        if text is None:
            return None
        for path, label in labels.items():
            text = text.replace(path, label)
        return text

    return InputError(_text(err.detail) or "", source=_text(err.source), where=_text(err.where))


class ScenarioError(EcocivError):
    """A scenario file is invalid (unknown key, bad value, dependency cycle...)."""


class ModelNotFoundError(EcocivError):
    """A model id is not registered."""


class OutputError(EcocivError):
    """An output location cannot be written, or a model did not produce a declared output."""


class InputWarning(UserWarning):
    """An input is usable but probably not what the user meant (e.g. zones that miss the grid).

    The CLI prints these as ``warning: ...``; runs also list them in the manifest's notes.
    """


class OutputWarning(UserWarning):
    """Stored results need attention but the command can go on (a damaged run catalog moved aside
    and rebuilt, unfinished folders ecociv may not remove). The CLI prints these as
    ``warning: ...``."""
