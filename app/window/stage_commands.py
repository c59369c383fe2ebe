"""Undo steps for the window's stages and props, on the document's one undo stack.

:class:`AddChildCommand`
    a stage's new child result joins the project (redo) or leaves it again (undo).
:class:`PropsCommand`
    a result's props become a new list (add, move, turn, scale, remove are each one), with
    a ``merge_key`` so one spin-box drag is one step, like the depth panel's sliders.

Both change the project only through :class:`~app.window.document.Document`'s own insert and
remove steps (which emit the signals the views follow), so the gallery, the viewport and the
recovery copy see them as they see any other edit.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

__all__ = ["AddChildCommand", "PropsCommand", "push_child"]

_CMD_PROPS = 1101


class AddChildCommand(QUndoCommand):
    """Add ``result`` (not yet in the project) as the new active result; undo removes it."""

    def __init__(self, doc, result, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.result = result
        self.index = len(doc.project.results)
        self.previous = doc.active_id
        self._announced = False

    def redo(self) -> None:
        self.doc._used_ids.add(self.result.id)
        self.doc._insert(self.index, self.result, make_active=True)
        if not self._announced:  # the recovery copy writes a new result once
            self._announced = True
            self.doc.resultAdded.emit(self.result.id)

    def undo(self) -> None:
        self.doc._remove(self.result.id)
        if self.previous and self.previous in {r.id for r in self.doc.project.results}:
            self.doc.set_active(self.previous)


def push_child(doc, staged, parent_id: str):
    """Make ``staged`` (:class:`app.workflows_stages.Staged`) a child of ``parent_id`` through
    :func:`app.workflows_stages.add_child` (the command line's rule for ids and labels), then
    put it on the undo stack.

    Returns
    -------
    scene.project.Result
    """
    from types import SimpleNamespace

    from app.workflows_stages import add_child

    project = doc.project
    previous = project.active_id
    try:
        parent = doc.result(parent_id)
    except KeyError:  # deleted while the stage ran: the child keeps it as its lineage
        parent = SimpleNamespace(id=parent_id)
    res = add_child(project, staged, parent)
    project.results.remove(res)  # the command puts it back (and takes it out on undo)
    project.active_id = previous
    if res.id in doc._used_ids:  # a deleted result (still on the undo stack) had it
        res.id = doc._fresh_id()
    doc.undo_stack.push(AddChildCommand(doc, res, staged.label))
    return res


class PropsCommand(QUndoCommand):
    """Replace one result's props by ``new`` (a list of :class:`scene.composition.Prop`).

    Parameters
    ----------
    doc : Document
    result_id : str
    new : list of Prop
    text : str
        What Edit ▸ Undo says.
    notify : callable
        ``result_id -> None`` after every change (the props panel and the viewport follow).
    merge_key : int, optional
        Consecutive commands with the same key on the same result merge into one step.
    """

    def __init__(self, doc, result_id: str, new: list, text: str,
                 notify: Callable[[str], None], merge_key: int | None = None) -> None:
        super().__init__(text)
        self.doc = doc
        self.result_id = result_id
        self.old = list(doc.result(result_id).props)
        self.new = list(new)
        self.notify = notify
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _CMD_PROPS

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if (not isinstance(other, PropsCommand) or self.merge_key is None
                or other.merge_key != self.merge_key or other.result_id != self.result_id):
            return False
        self.new = other.new
        return True

    def _set(self, props: list) -> None:
        try:
            res = self.doc.result(self.result_id)
        except KeyError:  # the result was deleted meanwhile (its delete is undone first)
            return
        res.props[:] = list(props)
        self.notify(self.result_id)

    def redo(self) -> None:
        self._set(self.new)

    def undo(self) -> None:
        self._set(self.old)
