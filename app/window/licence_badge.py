"""The "NC" badge on results that depend on a model licensed for non-commercial use only.

The gallery calls :func:`mark_item` for each thumbnail and :func:`licence_rows` for its
details; what counts as non-commercial is :mod:`scene.licences`' answer, the same one the
export warning and the GLB ``extras`` give.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from scene import licences

__all__ = ["BADGE_ROLE", "BADGE_COLOUR", "badged_icon", "mark_item", "licence_rows"]

#: Item data role holding the non-commercial model ids of a gallery item (empty: no badge).
BADGE_ROLE = Qt.ItemDataRole.UserRole + 16
#: The badge's background.
BADGE_COLOUR = QColor(200, 30, 30)


def badged_icon(icon: QIcon, width: int, height: int) -> QIcon:
    """``icon`` with a red "NC" label painted in its top-right corner."""
    pix = icon.pixmap(width, height)
    if pix.isNull():
        pix = QPixmap(width, height)
        pix.fill(QColor(60, 60, 60))
    pix = pix.copy()
    p = QPainter(pix)
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(9, pix.height() // 6))
        p.setFont(font)
        w = p.fontMetrics().horizontalAdvance("NC") + 8
        h = p.fontMetrics().height() + 2
        box = QRect(pix.width() - w - 2, 2, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(BADGE_COLOUR)
        p.drawRoundedRect(box, 3, 3)
        p.setPen(QColor(255, 255, 255))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, "NC")
    finally:
        p.end()
    return QIcon(pix)


def mark_item(item, result, width: int, height: int) -> list[str]:
    """Badge a gallery item when ``result`` depends on a non-commercial model.

    Returns the non-commercial model ids (stored under :data:`BADGE_ROLE`; empty: no badge).
    """
    names = licences.non_commercial(result)
    item.setData(BADGE_ROLE, names)
    if names:
        item.setIcon(badged_icon(item.icon(), width, height))
    return names


def licence_rows(result) -> list[tuple[str, str]]:
    """``("Licence", text)`` rows for a result's details: one per model, none for procedural."""
    rows = []
    for rec in licences.collect(result):
        use = {True: "commercial use allowed", False: "NON-COMMERCIAL use only",
               None: "licence not known"}[rec.get("commercial_use")]
        rows.append(("Licence", f"{rec.get('model', '?')}: {rec.get('spdx', '?')} ({use})"))
    return rows
