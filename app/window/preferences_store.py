"""The window's stored preferences (QSettings): keys as named constants and typed helpers.

Everything the window remembers between sessions goes through :class:`WindowSettings`, so the
keys live in one place and tests can point the whole window at a temporary ``.ini`` file
(:func:`make_settings` with a path) instead of the user's real settings.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

__all__ = [
    "ORGANIZATION", "APPLICATION", "KEY_GEOMETRY", "KEY_STATE", "KEY_RECENT", "KEY_LAST_OPEN_DIR",
    "KEY_LAST_IMPORT_DIR", "KEY_LAST_EXPORT_DIR", "KEY_DEFAULT_BACKEND", "KEY_MODEL_FOLDERS",
    "KEY_DEVICE", "KEY_VIEW_MODE", "KEY_SPLITTER", "KEY_TOUR_DONE", "MAX_RECENT", "DEVICES",
    "KEY_PROMPT_HISTORY", "KEY_USER_PRESETS",
    "WindowSettings",
    "make_settings",
]

ORGANIZATION = "Panoforge"
APPLICATION = "Panoforge"

KEY_GEOMETRY = "window/geometry"
KEY_STATE = "window/state"
KEY_SPLITTER = "window/splitter"
KEY_RECENT = "files/recent"
KEY_LAST_OPEN_DIR = "files/last_open_dir"
KEY_LAST_IMPORT_DIR = "files/last_import_dir"
KEY_LAST_EXPORT_DIR = "files/last_export_dir"
KEY_DEFAULT_BACKEND = "prefs/default_backend"
KEY_MODEL_FOLDERS = "prefs/model_folders"
KEY_DEVICE = "prefs/device"
KEY_VIEW_MODE = "view/mode"
#: the first-run tour was finished or skipped (app/window/tour.py)
KEY_TOUR_DONE = "help/tour_done"
#: the Generate panel's recent prompts and the user's named presets (JSON; per user, not per
#: project: app/window/prompt_history.py, app/window/user_presets.py)
KEY_PROMPT_HISTORY = "generate/history"
KEY_USER_PRESETS = "generate/user_presets"

#: How many files "Open Recent" lists.
MAX_RECENT = 10
#: Devices the preferences offer (``GenerationRequest.device``).
DEVICES = ("auto", "cpu", "cuda")


def make_settings(path: str | Path | None = None) -> QSettings:
    """The settings store: the user's (native format) or an ``.ini`` file at ``path`` (tests)."""
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def _as_list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


class WindowSettings:
    """Typed access to the window's :class:`QSettings`.

    Parameters
    ----------
    store : QSettings
        Where the values live (see :func:`make_settings`).
    """

    def __init__(self, store: QSettings) -> None:
        self.store = store

    # -- layout ---------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self.store.value(KEY_GEOMETRY)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def state(self) -> QByteArray | None:
        value = self.store.value(KEY_STATE)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue(KEY_GEOMETRY, geometry)
        self.store.setValue(KEY_STATE, state)

    # -- files ----------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        """Most recent first; files that no longer exist are left out."""
        return [p for p in _as_list(self.store.value(KEY_RECENT)) if Path(p).is_file()]

    def add_recent(self, path: str | Path) -> list[str]:
        """Put ``path`` first in the recent list (deduplicated, at most :data:`MAX_RECENT`)."""
        p = str(Path(path).resolve())
        items = [p] + [q for q in _as_list(self.store.value(KEY_RECENT)) if q != p]
        items = items[:MAX_RECENT]
        self.store.setValue(KEY_RECENT, items)
        return [q for q in items if Path(q).is_file()]

    def clear_recent(self) -> None:
        self.store.setValue(KEY_RECENT, [])

    def last_dir(self, key: str) -> str:
        value = self.store.value(key, "")
        return str(value) if value and Path(str(value)).is_dir() else str(Path.home())

    def set_last_dir(self, key: str, path: str | Path) -> None:
        p = Path(path)
        self.store.setValue(key, str(p if p.is_dir() else p.parent))

    # -- preferences ----------------------------------------------------------------------
    def default_backend(self) -> str:
        return str(self.store.value(KEY_DEFAULT_BACKEND, "") or "")

    def set_default_backend(self, name: str) -> None:
        self.store.setValue(KEY_DEFAULT_BACKEND, name)

    def model_folders(self) -> dict[str, str]:
        """Local weight folder per backend name (``{"ldm3d-pano": "/models/ldm3d-pano"}``)."""
        out: dict[str, str] = {}
        for item in _as_list(self.store.value(KEY_MODEL_FOLDERS)):
            name, sep, folder = item.partition("=")
            if sep and folder:
                out[name] = folder
        return out

    def set_model_folder(self, backend: str, folder: str) -> None:
        folders = self.model_folders()
        if folder:
            folders[backend] = folder
        else:
            folders.pop(backend, None)
        self.store.setValue(KEY_MODEL_FOLDERS, [f"{k}={v}" for k, v in sorted(folders.items())])

    def device(self) -> str:
        value = str(self.store.value(KEY_DEVICE, "auto") or "auto")
        return value if value in DEVICES else "auto"

    def set_device(self, device: str) -> None:
        self.store.setValue(KEY_DEVICE, device if device in DEVICES else "auto")

    def view_mode(self) -> str:
        return str(self.store.value(KEY_VIEW_MODE, "textured") or "textured")

    def set_view_mode(self, mode: str) -> None:
        self.store.setValue(KEY_VIEW_MODE, mode)

    def tour_done(self) -> bool:
        """Whether the first-run tour was finished or skipped (then it is not shown again)."""
        value = self.store.value(KEY_TOUR_DONE, False)
        return value is True or str(value).lower() in ("true", "1")

    def set_tour_done(self, done: bool = True) -> None:
        self.store.setValue(KEY_TOUR_DONE, bool(done))

    def json_value(self, key: str, default):
        """A value stored as JSON text under ``key``; ``default`` when absent or unreadable."""
        import json

        text = self.store.value(key, "")
        if not text:
            return default
        try:
            return json.loads(str(text))
        except ValueError:
            return default

    def set_json_value(self, key: str, value) -> None:
        """Store ``value`` (JSON-serialisable) as JSON text under ``key``, written at once."""
        import json

        self.store.setValue(key, json.dumps(value, ensure_ascii=False))
        self.store.sync()

    def sync(self) -> None:
        self.store.sync()
