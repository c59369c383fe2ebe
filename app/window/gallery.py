"""The gallery: a thumbnail for every result, with the settings that made it.

The gallery is a :class:`~app.window.document.DocumentView`: bound to the document it lists
its results and follows the active one by itself. Click a thumbnail to make that result
active. The context menu (and the buttons under the
list) offer "Use these settings", which copies a result's generation settings back to the
Generate panel, and Delete, which the document makes undoable.

Organising (:mod:`app.window.gallery_names`): each thumbnail shows its id (with a star when it
is a favourite) over its name or label; the row above the details renames the current result
and stars it, both undoable and saved in the project, and "Favourites only" hides the rest.
"Compare…" (or a thumbnail's "Compare with …") asks for the split-slider view of two results
(:mod:`app.window.compare_view`).
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from .document import DocumentView
from .gallery_names import NameBar, caption
from .images import to_pixmap
from .licence_badge import licence_rows, mark_item

__all__ = ["Gallery", "describe", "THUMB_SIZE"]

THUMB_SIZE = QSize(176, 88)
_ID_ROLE = Qt.ItemDataRole.UserRole
_FAVOURITE_ROLE = Qt.ItemDataRole.UserRole + 1


def describe(result) -> str:
    """A result's settings as rich text (tooltip and details line)."""
    m = result.panorama.metadata
    rows = [("Result", result.id), ("Kind", result.kind), ("Backend", m.backend or "—")]
    if m.user_prompt or m.prompt:
        rows.append(("Prompt", m.user_prompt or m.prompt))
    if m.negative_prompt:
        rows.append(("Negative", m.negative_prompt))
    if m.backend and m.backend not in ("import",):
        rows.append(("Seed", str(m.seed)))
        if m.steps > 1 or m.guidance:
            rows.append(("Steps · guidance", f"{m.steps} · {m.guidance:g}"))
    if m.model_id and m.model_id != m.backend:
        rows.append(("Model", m.model_id))
    pano = result.panorama
    rows.append(("Size", f"{pano.width}×{pano.height}"))
    if pano.has_depth:
        interp = pano.interpretation
        rows.append(("Depth", f"{interp.kind}" + (f" {interp.near:g}–{interp.far:g} m"
                                                  if interp.kind == "disparity" else "")))
    else:
        rows.append(("Depth", "none (dome)"))
    if m.duration_s:
        rows.append(("Took", f"{m.duration_s:.1f} s"))
    if m.created:
        rows.append(("Created", m.created.replace("T", " ").replace("+00:00", " UTC")))
    rows += licence_rows(result)
    body = "".join(f"<tr><td><b>{html.escape(k)}</b>&nbsp;</td><td>{html.escape(v)}</td></tr>"
                   for k, v in rows)
    return f"<table>{body}</table>"


def _thumbnail(pano) -> np.ndarray:
    step = max(1, pano.width // (2 * THUMB_SIZE.width()))
    return np.ascontiguousarray(pano.rgb[::step, ::step])


class Gallery(DocumentView, QWidget):
    """Thumbnails of the project's results.

    Signals
    -------
    useSettingsRequested(str)
    deleteRequested(str)
    compareRequested(str, str)
        Show these two results side by side (left, right).
    """

    useSettingsRequested = Signal(str)
    deleteRequested = Signal(str)
    compareRequested = Signal(str, str)
    #: ``result_id -> [(text, callable), ...]``: more entries for an item's context menu
    #: (the window's stages and props set it: Upscale ×4, Repair Poles, ...).
    extra_actions = staticmethod(lambda result_id: [])

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Gallery")
        #: ``id(rgb) -> (rgb, icon)``: the array is held so its id cannot be reused by a
        #: new panorama while the entry exists (a freed array's id often is).
        self._icons: dict[int, tuple[np.ndarray, QIcon]] = {}
        self._updating = False
        self._shown_id = ""     # the active result, and the one shown before it
        self._previous_id = ""  # ("Compare…" compares these two)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setWrapping(True)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setIconSize(THUMB_SIZE)
        self.list.setSpacing(6)
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.currentItemChanged.connect(self._on_current)
        lay.addWidget(self.list, 1)
        side = QVBoxLayout()
        self.names = NameBar()
        self.names.setFixedWidth(334)
        self.names.filterChanged.connect(lambda _on: self._apply_filter())
        side.addWidget(self.names)
        self.details = QLabel()
        self.details.setObjectName("hint")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setFixedWidth(318)
        # a long prompt and many settings scroll instead of being cut off at the dock's height
        self.details_scroll = QScrollArea()
        self.details_scroll.setWidget(self.details)
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details_scroll.setFixedWidth(334)
        side.addWidget(self.details_scroll, 1)
        row = QHBoxLayout()
        self.use_button = QPushButton("Use these settings")
        self.use_button.setToolTip("Copy this result's prompt, seed and settings to Generate")
        self.use_button.clicked.connect(lambda: self._emit_for_current(self.useSettingsRequested))
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Remove this result from the project (undoable)")
        self.delete_button.clicked.connect(lambda: self._emit_for_current(self.deleteRequested))
        self.compare_button = QPushButton("Compare…")
        self.compare_button.setToolTip("Show this result and the one shown before it side by "
                                       "side, with a split you drag (pick others there)")
        self.compare_button.clicked.connect(self.compare_current)
        row.addWidget(self.use_button)
        row.addWidget(self.delete_button)
        row.addWidget(self.compare_button)
        row.addStretch(1)
        side.addLayout(row)
        lay.addLayout(side)
        self._sync_buttons()

    # -- the document ---------------------------------------------------------------------
    def document_events(self) -> dict:
        return {"resultsChanged": self.catch_up, "resultChanged": self._on_result_changed,
                "activeChanged": self.select, "resultInfoChanged": self._on_info_changed}

    def catch_up(self) -> None:
        self.names.doc = self.doc
        self.show_results(self.doc.results, self.doc.active_id, self.doc.label_of)

    def _on_info_changed(self, result_id: str) -> None:
        res = self.doc.result(result_id)
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(_ID_ROLE) == result_id:
                self._describe_item(item, res, self.doc.label_of)
                if item is self.list.currentItem():
                    self._show_details()
        self._apply_filter()

    def _on_result_changed(self, result_id: str) -> None:
        self.update_result(self.doc.result(result_id))

    # -- showing --------------------------------------------------------------------------
    def show_results(self, results: list, active_id: str, label_of=None) -> None:
        """Rebuild the list from the project's results and select the active one."""
        self._updating = True
        try:
            self.list.clear()
            live = set()
            for res in results:
                key = id(res.panorama.rgb)
                live.add(key)
                held, icon = self._icons.get(key, (None, None))
                if held is not res.panorama.rgb:
                    icon = QIcon(to_pixmap(_thumbnail(res.panorama), THUMB_SIZE.width(),
                                           THUMB_SIZE.height()))
                    self._icons[key] = (res.panorama.rgb, icon)
                item = QListWidgetItem(icon, "")
                item.setData(_ID_ROLE, res.id)
                self._describe_item(item, res, label_of)
                mark_item(item, res, THUMB_SIZE.width(), THUMB_SIZE.height())
                item.setSizeHint(QSize(THUMB_SIZE.width() + 12, THUMB_SIZE.height() + 40))
                self.list.addItem(item)
                if res.id == active_id:
                    self.list.setCurrentItem(item)
            self._icons = {k: v for k, v in self._icons.items() if k in live}
            if self._shown_id not in {r.id for r in results}:
                self._shown_id = active_id
        finally:
            self._updating = False
        self._apply_filter()
        self._show_details()
        self._sync_buttons()

    @staticmethod
    def _describe_item(item: QListWidgetItem, res, label_of) -> None:
        """Caption (id on its own line: two results of one prompt are told apart at a
        glance, and it is never cut off), tooltip and favourite flag of one thumbnail."""
        item.setText(caption(res, label_of(res) if label_of else res.label))
        item.setData(_FAVOURITE_ROLE, bool(res.favourite))
        tip = describe(res)
        if res.name:
            tip = f"<b>{html.escape(res.name)}</b><br>{tip}"
        item.setToolTip(tip)

    def _apply_filter(self) -> None:
        """Hide the results without a star while "Favourites only" is on."""
        only = self.names.only_favourites.isChecked()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(only and not item.data(_FAVOURITE_ROLE))

    def update_result(self, result) -> None:
        """Refresh one result's description (its depth settings changed)."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(_ID_ROLE) == result.id:
                self._describe_item(item, result, self.doc.label_of if self.doc else None)
                if item is self.list.currentItem():
                    self._show_details()
                return

    def select(self, result_id: str) -> None:
        if self._shown_id and self._shown_id != result_id:
            self._previous_id = self._shown_id
        self._shown_id = result_id
        self._updating = True
        try:
            for i in range(self.list.count()):
                if self.list.item(i).data(_ID_ROLE) == result_id:
                    self.list.setCurrentRow(i)
                    break
        finally:
            self._updating = False
        self._show_details()
        self._sync_buttons()

    def current_id(self) -> str:
        item = self.list.currentItem()
        return str(item.data(_ID_ROLE)) if item is not None else ""

    def ids(self) -> list[str]:
        return [str(self.list.item(i).data(_ID_ROLE)) for i in range(self.list.count())]

    def visible_ids(self) -> list[str]:
        """The ids of the thumbnails shown now ("Favourites only" hides some)."""
        return [str(self.list.item(i).data(_ID_ROLE)) for i in range(self.list.count())
                if not self.list.item(i).isHidden()]

    def start_rename(self, result_id: str = "") -> None:
        """Show ``result_id`` (default: the current one) and put the cursor in its name."""
        if result_id and result_id != self.current_id() and self.doc is not None:
            self.doc.set_active(result_id)
        self.names.start_rename()

    def compare_partner(self, result_id: str) -> str:
        """Who ``result_id`` is compared with by "Compare…": the result shown before it, else
        the next one in the gallery (else the one before)."""
        ids = self.ids()
        if self._previous_id in ids and self._previous_id != result_id:
            return self._previous_id
        if result_id not in ids or len(ids) < 2:
            return ""
        i = ids.index(result_id)
        return ids[i + 1] if i + 1 < len(ids) else ids[i - 1]

    def compare_current(self) -> None:
        """Ask for the compare view of the current result and its partner."""
        rid = self.current_id()
        other = self.compare_partner(rid) if rid else ""
        if other:
            self.compareRequested.emit(rid, other)

    def _show_details(self) -> None:
        item = self.list.currentItem()
        self.details.setText(item.toolTip() if item is not None else "")
        res = None
        if item is not None and self.doc is not None:
            try:
                res = self.doc.result(str(item.data(_ID_ROLE)))
            except KeyError:
                res = None
        label = (res.label or res.id) if res is not None else ""
        self.names.show_result(res, label)

    def _sync_buttons(self) -> None:
        has = self.list.currentItem() is not None
        self.use_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        self.compare_button.setEnabled(has and self.list.count() >= 2)

    def _on_current(self, current, _previous) -> None:
        self._show_details()
        self._sync_buttons()
        if self._updating or current is None or self.doc is None:
            return
        self.doc.set_active(str(current.data(_ID_ROLE)))

    def _emit_for_current(self, signal) -> None:
        rid = self.current_id()
        if rid:
            signal.emit(rid)

    def _context_menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        menu = self.context_menu(str(item.data(_ID_ROLE)))
        menu.exec(self.list.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def context_menu(self, rid: str) -> QMenu:
        """The menu a right-click on ``rid``'s thumbnail opens (built, not shown)."""
        menu = QMenu(self)
        use = QAction("Use these settings", menu)
        use.setStatusTip("Copy the settings that made this result into the Generate panel")
        use.triggered.connect(lambda: self.useSettingsRequested.emit(rid))
        delete = QAction("Delete", menu)
        delete.setStatusTip("Remove this result from the project (Ctrl+Z brings it back)")
        delete.triggered.connect(lambda: self.deleteRequested.emit(rid))
        menu.addAction(use)
        menu.addAction(delete)
        self._organise_actions(menu, rid)
        extra = self.extra_actions(rid)
        if extra:
            menu.addSeparator()
        for text, slot in extra:
            act = QAction(text, menu)
            act.triggered.connect(lambda _c=False, f=slot: f())
            menu.addAction(act)
        return menu

    def _organise_actions(self, menu: QMenu, rid: str) -> None:
        """Rename…, Favourite and Compare entries of a thumbnail's context menu."""
        menu.addSeparator()
        res = self.doc.result(rid) if self.doc is not None else None
        rename = QAction("Rename…", menu)
        rename.setStatusTip("Give this result a name (its id stays; undoable)")
        rename.triggered.connect(lambda: self.start_rename(rid))
        menu.addAction(rename)
        fav = QAction("Favourite", menu)
        fav.setCheckable(True)
        fav.setChecked(bool(res is not None and res.favourite))
        fav.setStatusTip("Star this result (★ only shows just the starred ones; undoable)")
        fav.triggered.connect(lambda on: self.doc.set_favourite(rid, on))
        menu.addAction(fav)
        current = self.current_id()
        other = current if current and current != rid else self.compare_partner(rid)
        if other:
            cmp_ = QAction(f"Compare with {other}", menu)
            cmp_.setStatusTip(f"Open the Compare tab: {other} left of the split, {rid} right")
            cmp_.triggered.connect(lambda: self.compareRequested.emit(other, rid))
            menu.addAction(cmp_)
