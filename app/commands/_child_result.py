"""What ``upscale`` and ``repair-poles`` share: open a project's result, add its child, save."""

from __future__ import annotations

from pathlib import Path

__all__ = ["open_parent", "add_child"]


def open_parent(path: str, result_id: str | None):
    """The project at ``path`` (which must exist) and the result to work on.

    Returns
    -------
    (scene.project.Project, scene.project.Result)

    Raises
    ------
    InputError, ProjectFileError
    """
    from app.workflows import open_for_adding
    from scene.errors import InputError

    src = Path(path)
    if not src.exists():
        raise InputError(f"{src} does not exist", hint="give an existing .panoforge project")
    project, _ = open_for_adding(src)
    return project, project.pick(result_id)


def add_child(project, staged, parent, path: str, output: str | None) -> tuple[object, Path]:
    """Add ``staged`` (:class:`app.workflows_stages.Staged`) as the new active result made
    from ``parent``, and save the project to ``output`` (or back to ``path``) atomically.

    Returns
    -------
    (scene.project.Result, Path)
    """
    from app.workflows import save
    from app.workflows_stages import add_child as add

    added = add(project, staged, parent)
    return added, save(project, Path(output) if output else Path(path))
