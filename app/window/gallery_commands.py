"""Undo steps for the gallery's organisation: a result's name and its favourite star.

:class:`ResultInfoCommand` sets a result's ``name`` and ``favourite``
(:class:`scene.project.Result`) and puts the old pair back on undo. It holds the result itself,
not its id, so it stays right when a delete of that result is undone and redone around it.
The document's ``resultInfoChanged`` signal tells the views (the gallery, the compare view);
nothing is redrawn in 3D. The recovery copy follows the undo stack's index, as for every edit.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from scene.result_names import clean_name

__all__ = ["ResultInfoCommand", "rename", "set_favourite"]


class ResultInfoCommand(QUndoCommand):
    """Set one result's ``(name, favourite)``.

    Parameters
    ----------
    doc : app.window.document.Document
    result : scene.project.Result
    name : str
        Already checked (:func:`scene.result_names.clean_name`).
    favourite : bool
    text : str
        What Edit ▸ Undo says.
    """

    def __init__(self, doc, result, name: str, favourite: bool, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.result = result
        self.old = (result.name, result.favourite)
        self.new = (name, bool(favourite))

    def _set(self, pair: tuple[str, bool]) -> None:
        self.result.name, self.result.favourite = pair
        if any(r is self.result for r in self.doc.project.results):
            self.doc.resultInfoChanged.emit(self.result.id)

    def redo(self) -> None:
        self._set(self.new)

    def undo(self) -> None:
        self._set(self.old)


def rename(doc, result_id: str, text: str) -> bool:
    """Rename a result (one undo step); ``""`` clears its name. Whether anything changed.

    Raises
    ------
    scene.errors.InputError
        The name is too long or has a control character (the message says which).
    KeyError
        No such result.
    """
    res = doc.result(result_id)
    name = clean_name(text)
    if name == res.name:
        return False
    what = f"Rename {res.id} to {name!r}" if name else f"Clear the name of {res.id}"
    doc.undo_stack.push(ResultInfoCommand(doc, res, name, res.favourite, what))
    return True


def set_favourite(doc, result_id: str, on: bool) -> bool:
    """Star (``on``) or unstar a result (one undo step). Whether anything changed."""
    res = doc.result(result_id)
    if bool(on) == res.favourite:
        return False
    what = f"{'Favourite' if on else 'Unfavourite'} {res.id}"
    doc.undo_stack.push(ResultInfoCommand(doc, res, res.name, bool(on), what))
    return True
