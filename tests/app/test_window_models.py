"""The window's side of the model manager: the NC badge and the Models page in Preferences."""

from __future__ import annotations

import shutil

import pytest

from models.catalog import licence_records
from scene.testing.analytic import box_room
from tests.models.tiny_ldm3d import tiny_model


@pytest.fixture(autouse=True)
def _isolated_model_places(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-hub"))
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_non_commercial_results_carry_the_badge_and_procedural_ones_none(make_window):
    from app.window.licence_badge import BADGE_COLOUR, BADGE_ROLE

    w = make_window()
    plain = box_room(128).panorama
    nc_meta = plain.metadata.with_licences(licence_records("depth-anything-v2-large"))
    r1 = w.doc.add_result(plain, kind="generated")
    r2 = w.doc.add_result(plain.with_metadata(nc_meta), kind="generated")
    assert w.gallery.ids() == [r1.id, r2.id]
    first, second = w.gallery.list.item(0), w.gallery.list.item(1)
    assert first.data(BADGE_ROLE) == []
    assert second.data(BADGE_ROLE) == ["depth-anything/Depth-Anything-V2-Large-hf"]
    assert "NON-COMMERCIAL use only" in second.toolTip()
    assert "Licence" not in first.toolTip()
    size = w.gallery.list.iconSize()
    corner = second.icon().pixmap(size).toImage()
    plain_corner = first.icon().pixmap(size).toImage()
    x, y = corner.width() - 6, 5
    assert corner.pixelColor(x, y).red() > 150 and corner.pixelColor(x, y).green() < 80
    assert plain_corner.pixelColor(x, y) != corner.pixelColor(x, y)
    assert BADGE_COLOUR.red() == 200


def test_models_page_lists_installs_and_verifies(make_window, qtbot, tmp_path):
    from app.window.dialogs import PreferencesDialog

    w = make_window()
    dlg = PreferencesDialog(w.settings, w)
    page = dlg.models_page
    rows = {page.table.item(r, 0).text(): r for r in range(page.table.rowCount())}
    r = rows["ldm3d-pano"]
    assert page.table.item(r, 1).text() == "missing"
    assert page.table.item(rows["lrm-base"], 3).text() == "no (non-commercial)"
    page.table.selectRow(r)
    assert page.copy_command() == (
        f"hf download Intel/ldm3d-pano --local-dir {tmp_path / 'models' / 'ldm3d-pano'}")

    usb = tmp_path / "usb" / "ldm3d-pano"
    shutil.copytree(tiny_model(4), usb)
    with qtbot.waitSignal(page.finished, timeout=60000) as got:
        page.add(str(usb))
    assert "installed Intel/ldm3d-pano" in got.args[0]
    assert page.table.item(r, 1).text() == "installed"
    assert page.table.item(r, 5).text() == str(tmp_path / "models" / "ldm3d-pano")
    with qtbot.waitSignal(page.finished, timeout=60000) as got:
        page.verify()
    assert got.args[0] == "ok ldm3d-pano"
    dlg.reject()
