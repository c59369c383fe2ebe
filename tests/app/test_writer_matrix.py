"""Every output option x every kind of thing at its path: success, or exit 2 with a message.

Never a traceback (the command runs in this process: any other exception fails the test),
never a changed device node, and the previous file intact whenever the command refuses.
Devices, FIFOs, the full tmpfs and the read-only bind mount are made by the test (as root).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from PIL import Image

from app.cli import main
from scene.project import load_project
from scene.testing.analytic import box_room
from tests.app.disks import fill, full_disk, make_device, need_root, read_only_disk

GEN = ["generate", "a forest", "--width", "128", "--height", "64", "--seed", "1"]

#: name -> (argv builder(project, inputs, target, scratch), folder output?, file name inside)
OUTPUTS = {
    "--glb": (lambda p, i, t, s: ["export", str(p), "--glb", str(t)], False, ".glb"),
    "--ply": (lambda p, i, t, s: ["export", str(p), "--ply", str(t)], False, ".ply"),
    "--images": (lambda p, i, t, s: ["export", str(p), "--images", str(t)], True, "panorama.png"),
    "--cubemap": (lambda p, i, t, s: ["export", str(p), "--cubemap", str(t)], True, "px.png"),
    "--stereo360": (lambda p, i, t, s: ["export", str(p), "--stereo360", str(t)], False, ".png"),
    "import -o": (lambda p, i, t, s: ["import", str(i), "-o", str(t)], False, ".panoforge"),
    "generate -o": (lambda p, i, t, s: [*GEN, "-o", str(t)], False, ".panoforge"),
    "generate --preview": (lambda p, i, t, s: [*GEN, "-o", str(s / "g.panoforge"),
                                               "--preview", str(t)], False, ".png"),
}
CONDITIONS = ("regular", "symlink", "device", "fifo", "directory", "missing-parent",
              "full-disk", "read-only")


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """A project and an import picture."""
    folder = tmp_path_factory.mktemp("sources")
    room = box_room(128)
    Image.fromarray(room.panorama.rgb).save(folder / "room.png")
    assert main([*GEN, "-o", str(folder / "p.panoforge")]) == 0
    return folder / "p.panoforge", folder / "room.png"


def _previous(project: Path, suffix: str) -> bytes:
    """What an earlier file at the target held (a project for the project outputs)."""
    return project.read_bytes() if suffix == ".panoforge" else b"the previous file\n"


def _run(argv):
    code = main(argv)
    return code


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize("output", list(OUTPUTS))
def test_writer_matrix(output, condition, sources, tmp_path, capsys):
    need_root()
    project, picture = sources
    build, is_folder, name = OUTPUTS[output]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    previous = _previous(project, name)
    file_name = "out" + name if not is_folder else "out"
    expect_ok = False
    phrase = ""
    kept: Path | None = None  # a file that must still hold `previous`
    device_rdev = None
    fifo = None

    def inner(folder: Path) -> Path:
        return folder / name

    if condition == "regular":
        target = tmp_path / file_name
        if is_folder:  # a file where the folder should be
            target.write_bytes(previous)
            kept, phrase = target, "not a folder"
        else:
            target.write_bytes(previous)
            expect_ok = True
    elif condition == "symlink":
        real = tmp_path / "real" / file_name
        real.parent.mkdir()
        if is_folder:
            real.mkdir()
            inner(real).write_bytes(previous)
        else:
            real.write_bytes(previous)
        target = tmp_path / file_name
        target.symlink_to(real)
        expect_ok = True
    elif condition == "device":
        target = tmp_path / file_name
        device_rdev = make_device(target)
        phrase = "is a device"
    elif condition == "fifo":
        target = tmp_path / file_name
        os.mkfifo(target)
        fifo = target
        phrase = "FIFO"
    elif condition == "directory":
        target = tmp_path / file_name
        target.mkdir()
        if is_folder:
            inner(target).write_bytes(previous)
            expect_ok = True
        else:
            phrase = "is a folder"
    elif condition == "missing-parent":
        target = tmp_path / "new" / "sub" / file_name
        expect_ok = True
    elif condition in ("full-disk", "read-only"):
        phrase = "the disk is full" if condition == "full-disk" else "the disk is read-only"
        src = tmp_path / "disk-src"
        src.mkdir()
        mount = tmp_path / "disk"
        if condition == "full-disk":
            ctx = full_disk(mount)
            base = mount
        else:
            base = src
            ctx = None
        if ctx is not None:
            ctx.__enter__()
        try:
            if is_folder:
                (base / file_name).mkdir()
                inner(base / file_name).write_bytes(previous)
            else:
                (base / file_name).write_bytes(previous)
            if condition == "full-disk":
                fill(mount)
            else:
                ctx = read_only_disk(src, mount)
                ctx.__enter__()
            target = mount / file_name
            kept = inner(target) if is_folder else target
            code = _run(build(project, picture, target, scratch))
            out = capsys.readouterr()
            assert code == 2, out.out + out.err
            assert phrase in out.err and "nothing was changed" in out.err, out.err
            assert "Traceback" not in out.err
            assert kept.read_bytes() == previous
            assert not [p for p in os.listdir(kept.parent) if ".panoforge-tmp-" in p]
        finally:
            ctx.__exit__(None, None, None)
        return
    code = _run(build(project, picture, target, scratch))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    if expect_ok:
        assert code == 0, out.out + out.err
        written = target.resolve()
        if is_folder:
            written = inner(written)
        assert written.is_file()
        if condition != "missing-parent":
            assert written.read_bytes() != previous, "the previous file was not replaced"
        if condition == "symlink":
            assert target.is_symlink(), "the symlink must stay a symlink"
        if condition == "missing-parent":
            assert f"created folder {tmp_path / 'new'}" in out.out, out.out
            assert f"created folder {tmp_path / 'new' / 'sub'}" in out.out, out.out
        if name == ".panoforge":
            assert load_project(written).results
    else:
        assert code == 2, out.out + out.err
        assert "panoforge: error:" in out.err and phrase in out.err, out.err
        assert "hint:" in out.err
    if device_rdev is not None:
        st = os.lstat(target)
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == device_rdev, "the device was replaced"
    if fifo is not None:
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    if kept is not None:
        assert kept.read_bytes() == previous
    if condition == "directory" and not is_folder:
        assert target.is_dir() and not any(target.iterdir())
    shutil.rmtree(scratch)
