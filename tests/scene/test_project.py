"""The .panoforge project file: lossless, deterministic, atomic, and suspicious on load."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

import scene.project as project_mod
from scene.depth import DepthInterpretation
from scene.errors import InputError, ProjectFileError
from scene.mesh_settings import MeshSettings
from scene.metadata import GenerationMetadata
from scene.panorama import RGBDPanorama
from scene.project import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    PLAIN_FORMAT_VERSION,
    Project,
    load_project,
    project_to_bytes,
    save_project,
)

RNG = np.random.default_rng(11)


def _rgb(w=64, h=32):
    return RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _jpeg(rgb):
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=90)
    data = buf.getvalue()
    return np.asarray(Image.open(io.BytesIO(data))), data


@pytest.fixture
def project():
    p = Project(mesh_settings=MeshSettings(mode="adaptive", max_error=0.01, cut_threshold=0.3))
    md = GenerationMetadata(backend="procedural", prompt="a room", seed=7, steps=20, guidance=7.5,
                            extra={"scene": "room", "values": [1, 2.5]})
    p.add_result(RGBDPanorama(   # float depth -> .npy
        rgb=_rgb(), raw_depth=RNG.uniform(1, 9, (16, 32)).astype(np.float32),
        interpretation=DepthInterpretation(kind="distance", source="exact"), metadata=md))
    disp = RNG.integers(0, 65536, (32, 64)).astype(np.uint16)
    p.add_result(RGBDPanorama(   # 16-bit disparity -> 16-bit PNG
        rgb=_rgb(), raw_depth=disp, metadata=GenerationMetadata(backend="ldm3d-pano", seed=3),
        interpretation=DepthInterpretation(kind="disparity", near=0.5, far=20, scale=1 / 65535)),
        kind="upscaled", parent_id="r1", label="sharper")
    jpeg_rgb, jpeg_bytes = _jpeg(_rgb())
    p.add_result(RGBDPanorama(   # JPEG colour, 8-bit depth
        rgb=jpeg_rgb, rgb_encoded=jpeg_bytes, rgb_mime="image/jpeg",
        raw_depth=RNG.integers(1, 256, (16, 32)).astype(np.uint8),
        interpretation=DepthInterpretation(kind="disparity", scale=1 / 255)), kind="imported")
    p.add_result(RGBDPanorama(rgb=_rgb(), flat_radius=12.5), kind="imported", label="flat")
    p.set_active("r2")
    return p


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _rezip(path, members: dict[str, bytes], manifest: dict | None = None) -> None:
    """Write ``members`` (and optionally a replaced manifest) as a fresh, valid zip."""
    if manifest is not None:
        members = dict(members, **{MANIFEST_NAME: json.dumps(manifest).encode()})
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _manifest(path) -> dict:
    return json.loads(_members(path)[MANIFEST_NAME])


# -- round trip --------------------------------------------------------------------------------
def test_save_load_save_is_byte_identical(tmp_path, project):
    a, b = tmp_path / "a.panoforge", tmp_path / "b.panoforge"
    save_project(a, project)
    loaded = load_project(a)
    save_project(b, loaded)
    assert a.read_bytes() == b.read_bytes()
    assert project_to_bytes(loaded) == a.read_bytes()


def test_everything_survives_a_round_trip(tmp_path, project):
    path = tmp_path / "p.panoforge"
    save_project(path, project)
    loaded = load_project(path)
    assert loaded.active_id == "r2" and loaded.active.label == "sharper"
    assert loaded.mesh_settings == project.mesh_settings
    assert [(r.id, r.kind, r.parent_id, r.label) for r in loaded.results] == \
        [(r.id, r.kind, r.parent_id, r.label) for r in project.results]
    # No wall-clock time is stored (same inputs, same bytes), and none is invented on load.
    assert all(r.created == "" and r.panorama.metadata.created == "" for r in loaded.results)
    for before, after in zip(project.results, loaded.results, strict=True):
        p, q = before.panorama, after.panorama
        assert np.array_equal(p.rgb, q.rgb)
        assert q.rgb_encoded is not None
        if p.raw_depth is None:
            assert q.raw_depth is None
        else:
            assert q.raw_depth.dtype == p.raw_depth.dtype
            assert np.array_equal(q.raw_depth, p.raw_depth)
        assert q.interpretation == p.interpretation
        assert q.metadata.record() == p.metadata.record()
        assert q.flat_radius == p.flat_radius
    jpeg = project.results[2].panorama
    assert loaded.results[2].panorama.rgb_encoded == jpeg.rgb_encoded  # original bytes kept


def _grey_png(arr, **info) -> bytes:
    buf = io.BytesIO()
    pnginfo = None
    if info:
        from PIL import PngImagePlugin

        pnginfo = PngImagePlugin.PngInfo()
        for key, value in info.items():
            pnginfo.add_text(key, value)
    Image.fromarray(arr).save(buf, format="PNG", compress_level=1, pnginfo=pnginfo)
    return buf.getvalue()


def _saved_depth(tmp_path, pano) -> bytes:
    p = Project()
    p.add_result(pano, kind="imported")
    save_project(tmp_path / "d.panoforge", p)
    loaded = load_project(tmp_path / "d.panoforge")
    assert np.array_equal(loaded.results[0].panorama.raw_depth, pano.raw_depth)
    return _members(tmp_path / "d.panoforge")["results/r1/depth.png"]


def test_the_users_depth_png_is_stored_as_it_came(tmp_path):
    mm = RNG.integers(1, 65536, (32, 64)).astype(np.uint16)
    given = _grey_png(mm, Software="the user's tool")  # not how Panoforge would encode it
    interp = DepthInterpretation(kind="distance", scale=0.001)
    pano = RGBDPanorama(rgb=_rgb(), raw_depth=mm, interpretation=interp,
                        depth_encoded=(mm, given))
    assert pano.encoded_depth() == given
    assert _saved_depth(tmp_path, pano) == given
    # bytes given with other depth are never used: the new depth is encoded
    other = pano.with_depth(mm // 2, interp)
    assert other.encoded_depth() is None
    assert _saved_depth(tmp_path, other) != given


def test_a_depth_png_too_big_for_the_loader_is_encoded_again(tmp_path):
    mm = RNG.integers(1, 65536, (32, 64)).astype(np.uint16)
    # 1.5 MiB of text: over what the loader accepts for a 64x32 depth member
    bloated = _grey_png(mm, Comment="x" * (3 << 19))
    interp = DepthInterpretation(kind="distance", scale=0.001)
    pano = RGBDPanorama(rgb=_rgb(), raw_depth=mm, interpretation=interp,
                        depth_encoded=(mm, bloated))
    stored = _saved_depth(tmp_path, pano)  # (loads: the stored member is within the cap)
    assert stored != bloated and len(stored) < 1 << 16


def test_manifest_layout(tmp_path, project):
    path = tmp_path / "p.panoforge"
    save_project(path, project)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == [MANIFEST_NAME, "results/r1/rgb.png", "results/r1/depth.npy",
                     "results/r2/rgb.png", "results/r2/depth.png", "results/r3/rgb.jpg",
                     "results/r3/depth.png", "results/r4/rgb.png"]
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    m = _manifest(path)
    assert m["format"] == "panoforge-project" and m["format_version"] == PLAIN_FORMAT_VERSION
    assert m["active_id"] == "r2" and m["mesh_settings"]["mode"] == "adaptive"
    files = _members(path)
    for r in m["results"]:
        for key in ("rgb", "depth"):
            e = r[key]
            if e is None:
                continue
            data = files[e["file"]]
            assert e["bytes"] == len(data) and e["sha256"] == hashlib.sha256(data).hexdigest()
    r2 = m["results"][1]
    assert r2["depth"]["format"] == "png16" and r2["depth"]["dtype"] == "<u2"
    assert r2["parent_id"] == "r1" and r2["metadata"]["backend"] == "ldm3d-pano"
    assert m["results"][0]["depth"]["format"] == "npy"
    assert m["results"][2]["depth"]["format"] == "png8"
    assert m["results"][3]["depth"] is None and m["results"][3]["flat_radius"] == 12.5


def test_project_api(project):
    assert [r.id for r in project.results] == ["r1", "r2", "r3", "r4"]
    assert project.get("3").id == "r3"
    with pytest.raises(InputError, match="no result 'r9'") as exc:
        project.get("r9")
    assert "r1, r2, r3, r4" in exc.value.hint
    child = project.add_result(project.results[0].panorama, parent_id="1")
    assert child.parent_id == "r1" and child.id == "r5"
    orphan = project.add_result(project.results[0].panorama, parent_id="r42")  # deleted parent
    assert orphan.parent_id == "r42"
    assert orphan.id == "r6" and project.active is orphan and orphan.label == "a room"
    assert Project().active is None


def test_pick_chooses_named_then_active_then_newest(project):
    assert project.pick("2").id == "r2"
    project.set_active("r3")
    assert project.pick().id == "r3"
    project.active_id = None
    assert project.pick().id == project.results[-1].id
    with pytest.raises(InputError, match="no results yet"):
        Project().pick()
    with pytest.raises(InputError, match="no result 'r9'"):
        project.pick("r9")


# -- atomic saves ------------------------------------------------------------------------------
def test_a_crash_mid_save_leaves_the_old_file(tmp_path, project, monkeypatch):
    path = tmp_path / "p.panoforge"
    save_project(path, project)
    before = path.read_bytes()
    project.add_result(RGBDPanorama(rgb=_rgb()), kind="imported")
    calls = []
    real = zipfile.ZipFile.writestr

    def failing_writestr(self, info, data, *a, **kw):
        calls.append(info)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(self, info, data, *a, **kw)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(OSError, match="the disk is full"):
        save_project(path, project)
    assert len(calls) == 3  # it really failed midway, after writing two members
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["p.panoforge"]  # no temporary file left
    monkeypatch.undo()
    assert len(load_project(path).results) == 4


def test_an_encoding_failure_touches_nothing(tmp_path, project, monkeypatch):
    path = tmp_path / "p.panoforge"
    save_project(path, project)
    before = path.read_bytes()
    project.add_result(RGBDPanorama(rgb=_rgb()), kind="imported")

    def broken(arr):
        raise MemoryError("out of memory while encoding")

    monkeypatch.setattr(project_mod, "_png_bytes", broken)
    with pytest.raises(MemoryError):
        save_project(path, project)
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["p.panoforge"]


# -- refusals on load --------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path, project):
    path = tmp_path / "p.panoforge"
    save_project(path, project)
    return path


def _load_fails(path, match) -> ProjectFileError:
    listing = sorted(os.listdir(path.parent))
    with pytest.raises(ProjectFileError, match=match) as exc:
        load_project(path)
    assert sorted(os.listdir(path.parent)) == listing  # loading never writes
    assert exc.value.hint
    return exc.value


def test_missing_and_not_a_zip(tmp_path, saved):
    _load_fails(tmp_path / "nope.panoforge", "does not exist")
    junk = tmp_path / "junk.panoforge"
    junk.write_bytes(b"this is not a zip file at all" * 10)
    _load_fails(junk, "not a readable zip")
    cut = tmp_path / "cut.panoforge"
    cut.write_bytes(saved.read_bytes()[: len(saved.read_bytes()) // 2])
    _load_fails(cut, "not a readable zip|damaged")


def test_a_flipped_byte_is_detected(tmp_path, saved):
    data = bytearray(saved.read_bytes())
    m = _manifest(saved)
    rgb_file = m["results"][0]["rgb"]["file"]
    with zipfile.ZipFile(saved) as zf:
        offset = zf.getinfo(rgb_file).header_offset
    data[offset + 30 + len(rgb_file) + 100] ^= 0xFF  # inside the stored PNG bytes
    bad = tmp_path / "flipped.panoforge"
    bad.write_bytes(bytes(data))
    _load_fails(bad, "damaged")


def test_sha256_mismatch(tmp_path, saved):
    members = _members(saved)
    name = "results/r2/depth.png"
    d = np.asarray(Image.open(io.BytesIO(members[name])))
    d = d.copy()
    d[0, 0] ^= 1
    buf = io.BytesIO()
    Image.fromarray(d).save(buf, format="PNG", compress_level=9)
    m = _manifest(saved)
    m["results"][1]["depth"]["bytes"] = len(buf.getvalue())
    bad = tmp_path / "sha.panoforge"
    _rezip(bad, dict(members, **{name: buf.getvalue()}), m)
    _load_fails(bad, "checksum does not match")


@pytest.mark.parametrize("evil", ["../evil.txt", "/etc/evil.txt", "results/../../evil.txt",
                                  "C:/evil.txt", "results\\..\\evil.txt"])
def test_entries_escaping_the_archive_are_refused(tmp_path, saved, evil):
    bad = tmp_path / "evil.panoforge"
    _rezip(bad, dict(_members(saved), **{evil: b"gotcha"}))
    _load_fails(bad, "unsafe member name")
    assert not (tmp_path.parent / "evil.txt").exists()


def test_manifest_pointing_outside_the_archive(tmp_path, saved):
    m = _manifest(saved)
    m["results"][0]["rgb"]["file"] = "../../outside.png"
    bad = tmp_path / "ref.panoforge"
    _rezip(bad, _members(saved), m)
    _load_fails(bad, "points outside the archive")


def test_zip_bomb_is_refused_before_decompressing(tmp_path, saved, monkeypatch):
    members = _members(saved)
    bomb = bytes(64 * 2**20)  # 64 MiB of zeros deflates to ~64 KiB
    m = _manifest(saved)
    m["results"][0]["depth"]["bytes"] = len(bomb)
    m["results"][0]["depth"]["sha256"] = hashlib.sha256(bomb).hexdigest()
    bad = tmp_path / "bomb.panoforge"
    members["results/r1/depth.npy"] = bomb
    members[MANIFEST_NAME] = json.dumps(m).encode()
    with zipfile.ZipFile(bad, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    assert bad.stat().st_size < 2**20
    refused_unread(bad, "results/r1/depth.npy", monkeypatch)


def refused_unread(bad, member: str, monkeypatch) -> None:
    """Loading ``bad`` fails on the size cap without ever opening ``member``."""
    opened = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *a, **kw):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *a, **kw)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    _load_fails(bad, "more than an image of its size can need")
    assert member not in opened


def test_member_size_must_match_the_manifest(tmp_path, saved):
    m = _manifest(saved)
    m["results"][0]["rgb"]["bytes"] -= 1
    bad = tmp_path / "size.panoforge"
    _rezip(bad, _members(saved), m)
    _load_fails(bad, "but the manifest says")


def test_newer_and_foreign_formats(tmp_path, saved):
    m = _manifest(saved)
    m["format_version"] = FORMAT_VERSION + 1
    newer = tmp_path / "newer.panoforge"
    _rezip(newer, _members(saved), m)
    err = _load_fails(newer, "newer Panoforge")
    assert "update Panoforge" in err.hint
    m["format"] = "something-else"
    other = tmp_path / "other.panoforge"
    _rezip(other, _members(saved), m)
    _load_fails(other, "not a Panoforge project")
    nomanifest = tmp_path / "nomanifest.panoforge"
    members = _members(saved)
    del members[MANIFEST_NAME]
    _rezip(nomanifest, members)
    _load_fails(nomanifest, "no manifest.json")


@pytest.mark.parametrize("edit, match", [
    (lambda m: m["results"][0].pop("kind"), "has no 'kind'"),
    (lambda m: m["results"][0].update(kind="stolen"), "unknown kind"),
    (lambda m: m["results"][0]["rgb"].update(width=128), "not the 128x32"),
    (lambda m: m["results"][0]["rgb"].update(width=10**6), "beyond Panoforge's limit"),
    (lambda m: m["results"][1]["depth"].update(dtype="<f4"), "unsupported dtype"),
    (lambda m: m.update(active_id="r99"), "active result 'r99'"),
    (lambda m: m["results"][1].update(id="r1"), "same id"),
    (lambda m: m["results"][0].update(id="../x"), "not a simple name"),
    (lambda m: m.update(mesh_settings={"mode": "weird"}), "bad mesh settings"),
    (lambda m: m["results"][0]["interpretation"].update(kind="magic"), "inconsistent"),
    (lambda m: m["results"][0].update(flat_radius="far"), "wrong type"),
])
def test_manifest_schema(tmp_path, saved, edit, match):
    m = _manifest(saved)
    edit(m)
    bad = tmp_path / "schema.panoforge"
    _rezip(bad, _members(saved), m)
    _load_fails(bad, match)


def test_invalid_json(tmp_path, saved):
    bad = tmp_path / "json.panoforge"
    _rezip(bad, dict(_members(saved), **{MANIFEST_NAME: b"{not json"}))
    _load_fails(bad, "not valid JSON")
