"""KTX2 textures (KHR_texture_basisu) through Basis Universal's encoder in Node.js: real KTX2
files (the KTX 2.0 header: ETC1S/BasisLZ supercompression, sRGB, a full mip chain, the
image's size), textures that name them only through the required extension, and clear
refusals when the encoder is missing or the engine reads no KTX2."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from scene import texture_ktx2
from scene.composition import Scene
from scene.errors import InputError
from scene.export_presets import get_preset, write_preset
from scene.gltf_compress import read_glb
from scene.mesh_settings import MeshSettings
from scene.testing.analytic import box_room
from tests.gltf_validator import issue_messages, validate_glb

#: What the Khronos validator (2.0.0-dev.3.10, the newest on npm) says about any image/ktx2:
#: it has no KHR_texture_basisu support, so the mime type is outside its core list and it
#: cannot read the image (and so cannot see it used). Nothing else is allowed.
VALIDATOR_CANNOT_READ_KTX2 = {"VALUE_NOT_IN_LIST", "IMAGE_UNRECOGNIZED_FORMAT"}
#: KTX 2.0 header fields (the specification's section 3): supercompressionScheme 1 is
#: BasisLZ (what ETC1S is stored as); the DFD's transfer function 2 is sRGB.
BASIS_LZ = 1
KHR_DF_TRANSFER_SRGB = 2


def _header(data: bytes) -> dict:
    assert data[:12] == texture_ktx2.KTX2_MAGIC
    (vk_format, type_size, width, height, depth, layers, faces, levels,
     scheme) = struct.unpack_from("<9I", data, 12)
    dfd_offset = struct.unpack_from("<I", data, 48)[0]
    # DFD: total size (4), then the basic block: vendor/type (4), version/size (4), then
    # colorModel, colorPrimaries, transferFunction, flags (one byte each).
    transfer = data[dfd_offset + 4 + 8 + 2]
    return dict(vk_format=vk_format, width=width, height=height, levels=levels,
                scheme=scheme, transfer=transfer)


def test_an_image_becomes_an_etc1s_srgb_ktx2_with_every_mip_level():
    rgba = np.zeros((64, 128, 4), np.uint8)
    rgba[..., 0] = np.linspace(0, 255, 128, dtype=np.uint8)[None, :]
    rgba[..., 3] = 255
    h = _header(texture_ktx2.encode_ktx2(rgba))
    assert (h["width"], h["height"]) == (128, 64)
    assert h["levels"] == 8  # 128, 64, ..., 1
    assert h["vk_format"] == 0 and h["scheme"] == BASIS_LZ  # Basis ETC1S
    assert h["transfer"] == KHR_DF_TRANSFER_SRGB


@pytest.fixture(scope="module")
def web_ktx2(tmp_path_factory):
    path = tmp_path_factory.mktemp("ktx2") / "web.glb"
    scene = Scene(dome=box_room(256).panorama, name="room")
    write_preset(scene, get_preset("web"), path, MeshSettings(), ktx2=True)
    return path


def test_the_web_preset_with_ktx2_names_its_textures_only_through_the_extension(web_ktx2):
    doc = read_glb(web_ktx2.read_bytes())
    g = doc.gltf
    assert "KHR_texture_basisu" in g["extensionsRequired"]
    assert "KHR_texture_basisu" in g["extensionsUsed"]
    for tex in g["textures"]:
        assert "source" not in tex  # no fallback: the extension is required
        image = g["images"][tex["extensions"]["KHR_texture_basisu"]["source"]]
        assert image["mimeType"] == "image/ktx2"
        h = _header(bytes(doc.views[image["bufferView"]]))
        assert (h["width"], h["height"]) == (256, 128)
        assert h["levels"] == 9


def test_the_validator_finds_nothing_but_its_missing_ktx2_support(web_ktx2):
    report = validate_glb(web_ktx2)
    issues = report["issues"]
    assert issues["numErrors"] == 0, issue_messages(report)
    warnings = {m["code"] for m in issues["messages"] if m["severity"] == 1}
    assert warnings == VALIDATOR_CANNOT_READ_KTX2, issue_messages(report)


def test_ktx2_is_off_by_default_and_refused_for_engines_without_it(tmp_path):
    scene = Scene(dome=box_room(64).panorama, name="room")
    path = tmp_path / "web.glb"
    write_preset(scene, get_preset("web"), path, MeshSettings())
    assert "KHR_texture_basisu" not in read_glb(path.read_bytes()).gltf.get(
        "extensionsUsed", [])
    with pytest.raises(InputError, match="reads no KTX2"):
        write_preset(scene, get_preset("godot"), tmp_path / "godot.glb", MeshSettings(),
                     ktx2=True)
    assert not (tmp_path / "godot.glb").exists()


def test_a_missing_encoder_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PANOFORGE_KTX2_TOOL", str(tmp_path / "nowhere"))
    scene = Scene(dome=box_room(64).panorama, name="room")
    with pytest.raises(InputError, match="ktx2-encoder package") as err:
        write_preset(scene, get_preset("web"), tmp_path / "web.glb", MeshSettings(),
                     ktx2=True)
    assert "npm ci" in err.value.hint
    assert not (tmp_path / "web.glb").exists()
    monkeypatch.setenv("PATH", str(tmp_path))  # no node on PATH
    with pytest.raises(InputError, match="Node.js"):
        texture_ktx2.require_ktx2()


def test_the_estimate_knows_the_ktx2_texture_size_roughly(web_ktx2):
    from scene.export_presets import estimate

    scene = Scene(dome=box_room(256).panorama, name="room")
    doc = read_glb(web_ktx2.read_bytes())
    written = sum(len(bytes(doc.views[i["bufferView"]])) for i in doc.gltf["images"])
    guess = estimate(scene, get_preset("web"), MeshSettings(), ktx2=True)
    assert written / 3 <= guess.texture_bytes <= written * 3
    assert any("KTX2 (KHR_texture_basisu" in n for n in guess.notes)
    assert not any("KTX2 (KHR_texture_basisu" in n for n in estimate(
        scene, get_preset("web"), MeshSettings()).notes)
