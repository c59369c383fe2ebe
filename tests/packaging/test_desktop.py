"""Desktop integration: the .desktop entry validates, the install step registers the MIME
type (xdg-mime maps a .panoforge file to application/x-panoforge and to Panoforge), and the
thumbnailer writes the active result's panorama."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from resources import ICON_SIZES, resource

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "resources" / "desktop"


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:  # make.py test installs them (APT_TEST): a missing one is a setup bug
        pytest.fail(f"{tool} not found (apt-get install desktop-file-utils xdg-utils "
                    "shared-mime-info libfile-mimeinfo-perl)")
    return path


def test_desktop_entry_validates():
    res = subprocess.run([_need("desktop-file-validate"), str(DESKTOP / "panoforge.desktop")],
                         capture_output=True, text=True)
    assert res.returncode == 0 and not res.stdout.strip(), res.stdout + res.stderr
    text = (DESKTOP / "panoforge.desktop").read_text()
    assert "MimeType=application/x-panoforge;" in text and "Exec=panoforge gui %f" in text


def test_resources_are_found_through_importlib():
    assert resource("desktop", "panoforge.desktop").is_file()
    for size in ICON_SIZES:
        with Image.open(resource("icons", f"panoforge-{size}.png").open("rb")) as im:
            assert im.size == (size, size) and im.mode == "RGBA"


def _xdg_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION",
                        "GNOME_DESKTOP_SESSION_ID", "XDG_DATA_DIRS")}
    env.update(HOME=str(tmp / "home"), XDG_DATA_HOME=str(tmp / "data"),
               XDG_CONFIG_HOME=str(tmp / "config"))
    return env


def test_install_step_registers_the_mime_type_and_thumbnailer(tmp_path):
    xdg_mime = _need("xdg-mime")
    _need("update-mime-database")
    env = _xdg_env(tmp_path)
    project = tmp_path / "scene.panoforge"
    project.write_bytes(b"PK\x03\x04" + bytes(26))  # any zip-looking file: the glob decides
    before = subprocess.run([xdg_mime, "query", "filetype", str(project)], env=env,
                            capture_output=True, text=True).stdout.strip()
    assert before != "application/x-panoforge"

    bundle = tmp_path / "bundle"
    (bundle / "share").mkdir(parents=True)
    shutil.copytree(DESKTOP, bundle / "share", dirs_exist_ok=True)
    shutil.copytree(ROOT / "resources" / "icons", bundle / "share" / "icons")
    (bundle / "panoforge").write_text("#!/bin/sh\n")
    (bundle / "panoforge").chmod(0o755)
    res = subprocess.run(["sh", str(bundle / "share" / "install-desktop.sh")], env=env,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr

    data = tmp_path / "data"
    entry = (data / "applications" / "panoforge.desktop").read_text()
    assert f"Exec={bundle}/panoforge gui %f" in entry
    thumb = (data / "thumbnailers" / "panoforge.thumbnailer").read_text()
    assert f"Exec={bundle}/panoforge --thumbnail -s %s %i %o" in thumb
    for size in ICON_SIZES:
        assert (data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "panoforge.png").is_file()
    subprocess.run([_need("desktop-file-validate"), str(data / "applications" /
                                                           "panoforge.desktop")], check=True)

    after = subprocess.run([xdg_mime, "query", "filetype", str(project)], env=env,
                           capture_output=True, text=True)
    assert after.stdout.strip() == "application/x-panoforge", after.stdout + after.stderr
    default = subprocess.run([xdg_mime, "query", "default", "application/x-panoforge"],
                             env=env, capture_output=True, text=True)
    assert default.stdout.strip() == "panoforge.desktop"

    res = subprocess.run(["sh", str(bundle / "share" / "install-desktop.sh"), "--uninstall"],
                         env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert not (data / "applications" / "panoforge.desktop").exists()
    gone = subprocess.run([xdg_mime, "query", "filetype", str(project)], env=env,
                          capture_output=True, text=True).stdout.strip()
    assert gone != "application/x-panoforge"


def _stripes(value: int) -> np.ndarray:
    rgb = np.zeros((64, 128, 3), np.uint8)
    rgb[:, :, 0] = value
    rgb[:, ::2, 1] = 255
    return rgb


def test_thumbnailer_writes_the_active_panorama(tmp_path):
    from app.thumbnailer import main
    from scene.panorama import RGBDPanorama
    from scene.project import Project, save_project

    project = Project()
    project.add_result(RGBDPanorama(rgb=_stripes(40)), kind="imported", label="a")
    second = project.add_result(RGBDPanorama(rgb=_stripes(200)), kind="imported", label="b")
    project.add_result(RGBDPanorama(rgb=_stripes(90)), kind="imported", label="c")
    project.set_active(second.id)
    path = tmp_path / "p.panoforge"
    save_project(path, project)

    out = tmp_path / "thumb.png"
    assert main(["-s", "64", path.as_uri(), str(out)]) == 0
    with Image.open(out) as im:
        assert im.size == (64, 32)
        got = np.asarray(im.convert("RGB"))
    want = np.asarray(Image.fromarray(_stripes(200)).resize((64, 32), Image.LANCZOS))
    assert np.abs(got.astype(int) - want).max() <= 1
    assert abs(int(got[..., 0].mean()) - 200) <= 1  # the active result, not the first or last

    assert main(["-s", "64", str(tmp_path / "missing.panoforge"), str(out)]) == 2
