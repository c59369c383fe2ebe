"""Help ▸ Manual (the bundled user guide) and the first-run tour of the four panels (issue 18).

The guide is package data: the tests read it through :mod:`importlib.resources`, check that the
window's viewer shows that text, and that the wheel's package-data rule and the desktop
bundle's data collection both list the file. The tour is two child widgets, never a dialog:
the tests click through it on the real window, with the window's own settings file.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANUAL = ROOT / "resources" / "manual" / "manual.md"

pytestmark = pytest.mark.gl


def _help_action(w, text: str):
    help_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Help")
    return next(a for a in help_menu.actions() if a.text() == text)


def _headings(markdown: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^#{1,3} (.+)$", markdown, re.M)]


# -- the manual -----------------------------------------------------------------------------
def test_help_manual_shows_the_bundled_guide(make_window, qtbot):
    from app.window.manual import ManualViewer, manual_markdown

    text = manual_markdown()
    assert text == MANUAL.read_text(encoding="utf-8")  # importlib.resources finds the file
    w = make_window()
    assert w.findChild(ManualViewer) is None
    act = _help_action(w, "&Manual")
    assert act.shortcut().toString() == "F1"
    act.trigger()
    viewer = w.findChild(ManualViewer)
    assert viewer is not None
    qtbot.waitUntil(viewer.isVisible, timeout=5000)
    assert not viewer.isModal()
    shown = viewer.browser.toPlainText()
    headings = _headings(text)
    assert len(headings) >= 10
    for heading in headings:  # rendered Markdown: the headings as text, no "#" left
        assert heading in shown, heading
    assert "## " not in shown
    assert "Depth overlay" in shown and "Ctrl+Shift+W" in shown
    act.trigger()  # a second F1 brings the same viewer to the front
    assert w.findChildren(ManualViewer) == [viewer]
    viewer.close()


def test_manual_covers_every_panel_and_menu_of_the_window(make_window):
    from app.window.manual import manual_markdown

    text = manual_markdown()
    w = make_window()
    menus = [a.text().replace("&", "") for a in w.menuBar().actions()]
    assert {"File", "Edit", "View", "Help"} <= set(menus)
    for title in menus:
        assert f"{title} ▸" in text or f"**{title}**" in text, f"menu {title} not in the guide"
    docks = [w.generate_dock, w.depth_dock, w.gallery_dock, w.props_dock]
    for dock in docks:
        assert f"**{dock.windowTitle()}**" in text, dock.windowTitle()
    for topic in ("Generating", "Depth panel", "Walkable", "Props", "Export", "headset", "Keys"):
        assert any(topic.lower() in h.lower() for h in _headings(text)), topic


def test_manual_is_in_the_wheel_rule_and_the_bundle_data():
    # the wheel: setuptools' package-data rule of pyproject.toml matches the file
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = conf["tool"]["setuptools"]["package-data"]["resources"]
    rel = MANUAL.relative_to(ROOT / "resources")
    assert any(rel.match(p) or p == "**/*" for p in patterns), patterns
    # the desktop bundle: what packaging/panoforge.spec collects for "resources"
    pytest.importorskip("PyInstaller")
    from PyInstaller.utils.hooks import collect_data_files

    spec = (ROOT / "packaging" / "panoforge.spec").read_text(encoding="utf-8")
    assert 'collect_data_files("resources", include_py_files=False)' in spec
    datas = collect_data_files("resources", include_py_files=False)
    assert (str(MANUAL), str(Path("resources") / "manual")) in \
        [(str(Path(src).resolve()), dest) for src, dest in datas]


# -- the tour -------------------------------------------------------------------------------
def _panels(w):
    return [w.generate_dock, w.tabs, w.depth_dock, w.gallery_dock]


def test_first_run_tour_points_at_the_four_panels_then_never_again(make_window, tmp_path):
    from app.window.app import after_start
    from app.window.preferences_store import WindowSettings, make_settings

    settings = WindowSettings(make_settings(tmp_path / "fresh.ini"))
    assert not settings.tour_done()
    w = make_window(settings=settings)
    tour = after_start(w)  # what run_app does after the first frame
    assert tour is not None and tour.active
    assert tour.bubble.parentWidget() is w and not tour.bubble.isWindow()  # not a dialog
    seen = []
    for i, panel in enumerate(_panels(w)):
        assert tour.step == i and tour.target_widget() is panel
        # the frame lies on the panel, the bubble inside the window
        top_left = panel.mapTo(w, panel.rect().topLeft())
        assert tour.highlight.geometry().topLeft() == top_left
        assert tour.highlight.geometry().size() == panel.size()
        assert w.rect().contains(tour.bubble.geometry())
        seen.append(tour.title_label.text())
        assert tour.count_label.text() == f"{i + 1} of 4"
        assert tour.next_button.text() == ("Done" if i == 3 else "Next")
        assert not settings.tour_done()
        tour.next_button.click()
    assert seen == ["Generate", "3D view", "Depth", "Gallery"]
    assert not tour.active and not tour.highlight.isVisible()
    assert settings.tour_done()
    w.close()

    # the next start: the same settings file, no tour
    again = WindowSettings(make_settings(tmp_path / "fresh.ini"))
    assert again.tour_done()
    w2 = make_window(settings=again)
    assert after_start(w2) is None
    assert getattr(w2, "tour", None) is None


def test_skip_ends_the_tour_for_good_and_help_tour_shows_it_again(make_window, tmp_path):
    from app.window.app import after_start
    from app.window.tour import Tour

    w = make_window()
    assert getattr(w, "tour", None) is None  # making a window starts no tour
    tour = after_start(w)
    assert tour.active
    ended = []
    tour.finished.connect(ended.append)
    tour.skip_button.click()
    assert ended == [False] and not tour.active and w.settings.tour_done()
    assert after_start(w) is None

    w.depth_dock.hide()  # a closed panel comes back for its step
    _help_action(w, "&Tour").trigger()
    (again,) = w.findChildren(Tour)
    assert again.active and again.step == 0
    again.next_button.click()
    again.next_button.click()
    assert again.target_widget() is w.depth_dock and w.depth_dock.isVisible()
    # the window stays usable: the highlight lets the mouse through, nothing is modal
    from PySide6.QtCore import Qt

    assert again.highlight.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    w.generate_panel.set_prompt("typed while the tour is shown")
    assert w.generate_panel.prompt_edit.toPlainText() == "typed while the tour is shown"
    again.next_button.click()
    again.next_button.click()
    assert ended == [False, True] and not again.active
