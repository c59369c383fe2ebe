"""The window's project save on a full or read-only disk, and onto a device (issue 17)."""

from __future__ import annotations

import os
import stat

import pytest

from scene.testing.analytic import box_room
from tests.app.disks import fill, full_disk, make_device, read_only_disk


def _window_with_a_result(make_window):
    w = make_window()
    w.doc.add_result(box_room(64).panorama, kind="imported")
    return w


@pytest.mark.parametrize("disk", ["full", "read-only"])
def test_save_on_a_bad_disk_says_so_and_keeps_the_old_file(make_window, tmp_path, disk):
    w = _window_with_a_result(make_window)
    mount = tmp_path / "disk"
    src = tmp_path / "src"
    src.mkdir()
    previous = b"the previous project"
    if disk == "full":
        ctx = full_disk(mount)
        ctx.__enter__()
        (mount / "p.panoforge").write_bytes(previous)
        fill(mount)
    else:
        (src / "p.panoforge").write_bytes(previous)
        ctx = read_only_disk(src, mount)
        ctx.__enter__()
    try:
        assert not w.save_as(mount / "p.panoforge")
        (title, exc), = w.prompter.errors
        assert f"the disk is {disk} at {mount / 'p.panoforge'}, nothing was changed" in str(exc)
        assert (mount / "p.panoforge").read_bytes() == previous
        assert not [p for p in os.listdir(mount) if ".panoforge-tmp-" in p]
    finally:
        ctx.__exit__(None, None, None)


def test_save_onto_a_device_leaves_it_a_device(make_window, tmp_path):
    w = _window_with_a_result(make_window)
    dev = tmp_path / "null.panoforge"
    rdev = make_device(dev)
    assert not w.save_as(dev)
    (title, exc), = w.prompter.errors
    assert "is a device" in str(exc)
    st = os.lstat(dev)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == rdev


def test_export_names_the_folders_it_makes_and_refuses_a_file_in_the_way(make_window,
                                                                         tmp_path):
    """The Export dialog's folder is made like the command line makes it: each folder made is
    named (``created folder X``, as ``panoforge export`` prints it), a file in the way is
    refused with what to do, and nothing is written then."""
    w = _window_with_a_result(make_window)
    target = tmp_path / "new" / "exports"
    w.prompter.export_folder = target
    w.prompter.export_overrides = dict(glb=False, ply=True)
    w.act_export.trigger()
    assert [p.name for p in target.iterdir()] == ["scene_r1.ply"]
    msg = w.statusBar().currentMessage()
    assert f"created folder {tmp_path / 'new'}" in msg and f"created folder {target}" in msg
    # Exporting again into the now existing folder names no folder.
    w.act_export.trigger()
    assert "created folder" not in w.statusBar().currentMessage()
    (tmp_path / "blocker").write_text("notes")
    w.prompter.export_folder = tmp_path / "blocker" / "sub"
    w.act_export.trigger()
    (title, exc), = w.prompter.errors
    assert title == "Export" and f"{tmp_path / 'blocker'} is a file, not a folder" in str(exc)
    assert (tmp_path / "blocker").read_text() == "notes"
