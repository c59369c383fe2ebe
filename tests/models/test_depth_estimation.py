"""Depth estimation for RGB-only panoramas (models.depth_estimation).

Two kinds of checks:

- the real loading path and the whole pipeline run on a tiny random Depth Anything built here
  (tests/models/tiny_depth_anything.py): shapes, dtypes, determinism, progress, cancel,
  refusals before any weight is read, the record (model, revision, licence, alignment) and a
  mesh from the result. A random network's output is not a depth map of anything, so nothing
  here checks what it looks like;
- known answers through the same :func:`estimate_panorama_depth` with an estimator that
  returns an analytic scene's exact depth distorted per tile by a known scale and shift: the
  result is the truth in metres within 1 % (the floor cue sets the scale), and it is not with
  the alignment off.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from models.depth_estimation import DepthEstimateOptions, estimate_panorama_depth
from models.depth_estimation.transformers_estimator import load_transformers_estimator
from models.depth_estimation.weights import check_depth_folder, resolve_depth_model
from scene import tiling
from scene.errors import CancelledError, InputError
from scene.testing.analytic import box_room
from tests.models.tiny_depth_anything import TINY_SIZE, build_tiny_depth_anything


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return build_tiny_depth_anything(tmp_path_factory.mktemp("da") / "tiny-da")


@pytest.fixture(scope="module")
def tiny(tiny_folder):
    return load_transformers_estimator(str(tiny_folder), device="cpu")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No models anywhere: an empty models folder and HF cache, offline."""
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path


class ExactEstimator:
    """A :class:`DepthEstimator` that 'sees' an analytic scene: each tile's disparity is its
    exact planar depth distorted by that tile's own scale and shift (``s / z + t``)."""

    name = "exact"
    model_id = "analytic"
    revision = ""
    licence = {"model": "analytic", "commercial_use": True}
    metric = False
    device = "cpu"
    library = "numpy"
    batch_size = 4

    def __init__(self, scene, size=96, layout="cube", seed=3):
        self.input_size = size
        tiles = tiling.make_tiles(layout, size)
        z = tiling.tile_depth_from_distance(scene.distance_of, tiles)
        rng = np.random.default_rng(seed)
        s = rng.uniform(0.3, 3.0, len(tiles))
        t = rng.uniform(-0.2, 0.5, len(tiles))
        self._disp = (s[:, None, None] / z + t[:, None, None]).astype(np.float32)
        self._next = 0

    def estimate(self, tiles, cancel=None):
        out = self._disp[self._next:self._next + len(tiles)]
        self._next += len(tiles)
        return out


@pytest.mark.parametrize("layout", tiling.TILE_LAYOUTS)
def test_known_answer_in_metres_through_the_pipeline(layout):
    scene = box_room(512)  # the eye is 1.6 m above the floor: the default camera height
    options = DepthEstimateOptions(layout=layout)
    result = estimate_panorama_depth(scene.panorama, ExactEstimator(scene, layout=layout),
                                     options)
    pano = result.panorama
    truth = scene.panorama.distance
    got = pano.distance  # upsampled from the estimate's resolution to the RGB's
    err = np.abs(got - truth) / truth
    assert np.median(err) < 0.002
    assert np.percentile(err, 95) < 0.01
    assert result.record["scale"]["cue"] == "camera height"
    assert result.record["alignment"]["mode"] == "scale-shift"
    assert not result.record["alignment"]["fell_back"]
    # the seam and the poles: no jump beyond the truth's own
    d = pano.raw_depth.astype(np.float64)
    assert np.max(np.abs(d[:, 0] - d[:, -1]) / d[:, 0]) < 0.02
    assert np.ptp(d[0]) / np.mean(d[0]) < 0.01 and np.ptp(d[-1]) / np.mean(d[-1]) < 0.01


def test_known_answer_fails_without_alignment():
    scene = box_room(512)
    result = estimate_panorama_depth(scene.panorama, ExactEstimator(scene),
                                     DepthEstimateOptions(alignment="none"))
    err = np.abs(result.panorama.distance - scene.panorama.distance) / scene.panorama.distance
    assert np.percentile(err, 95) > 0.05


def test_known_point_cue_sets_the_scale():
    scene = box_room(512)
    lon, lat = 20.0, -5.0
    from scene.conventions import lonlat_to_direction

    metres = float(scene.distance_of(lonlat_to_direction(np.radians(lon), np.radians(lat))))
    result = estimate_panorama_depth(
        scene.panorama, ExactEstimator(scene),
        DepthEstimateOptions(camera_height=99.0, known_point=(lon, lat, metres)))
    err = np.abs(result.panorama.distance - scene.panorama.distance) / scene.panorama.distance
    assert np.median(err) < 0.01
    assert result.record["scale"]["cue"] == "known point"


def test_tiny_depth_anything_runs_the_whole_path(tiny, tmp_path):
    from scene.mesh import build_depth_mesh

    pano = box_room(256).panorama
    rgb_only = type(pano)(rgb=pano.rgb, metadata=pano.metadata)
    steps = []
    result = estimate_panorama_depth(rgb_only, tiny, on_progress=steps.append)
    out = result.panorama
    assert tiny.input_size == TINY_SIZE and not tiny.metric
    assert out.rgb is rgb_only.rgb  # full-resolution colour kept as it is
    assert out.raw_depth.dtype == np.float32 and out.raw_depth.shape[1] == 2 * out.raw_depth.shape[0]
    assert out.raw_depth.shape[1] <= out.width
    assert out.distance.shape == (out.height, out.width)
    assert np.isfinite(out.raw_depth).all() and (out.raw_depth > 0).all()
    assert out.interpretation.kind == "distance"
    rec = out.metadata.extra["depth_estimation"]
    assert rec["estimator"] == "transformers" and rec["model_id"] == str(tiny.model_id)
    assert rec["library"].startswith("transformers ")
    assert rec["tiles"] == {"layout": "cube", "count": 6, "size": TINY_SIZE,
                            "fov_deg": tiling.cube_tiles(8)[0].fov_deg}
    assert rec["alignment"]["rows"] > 0 and len(rec["alignment"]["scale"]) == 6
    assert out.metadata.licences == [rec["licence"]]
    assert [p.step for p in steps] == list(range(1, steps[-1].total + 1))
    # same inputs, same depth
    again = estimate_panorama_depth(rgb_only, tiny).panorama
    assert np.array_equal(again.raw_depth, out.raw_depth)
    mesh = build_depth_mesh(out)
    assert mesh.positions.shape[0] > 0


def test_cancel_stops_between_batches(tiny):
    cancel = threading.Event()

    def on_progress(p):
        if p.step == 2:
            cancel.set()

    with pytest.raises(CancelledError):
        estimate_panorama_depth(box_room(128).panorama, tiny, on_progress=on_progress,
                                cancel=cancel)


def test_metric_model_gives_metres_without_a_cue(tmp_path):
    folder = build_tiny_depth_anything(tmp_path / "metric", metric=True)
    assert check_depth_folder(folder) is True
    est = load_transformers_estimator(str(folder), device="cpu")
    assert est.metric
    result = estimate_panorama_depth(box_room(128).panorama, est)
    assert result.record["scale"] == {"cue": "metric model", "factor": 1.0}
    assert result.record["alignment"]["mode"] == "scale"
    assert "metric" in result.panorama.interpretation.source


def test_catalogue_model_records_its_id_and_licence(tiny_folder, isolated):
    import shutil

    for name, spdx, commercial in (("depth-anything-v2-small", "Apache-2.0", True),
                                   ("depth-anything-v2-base", "CC-BY-NC-4.0", False)):
        shutil.copytree(tiny_folder, isolated / "models" / name)
        loc = resolve_depth_model(name)
        assert loc.model_id.startswith("depth-anything/Depth-Anything-V2-")
        assert loc.licence["spdx"] == spdx and loc.licence["commercial_use"] is commercial
    est = load_transformers_estimator("depth-anything-v2-base", device="cpu")
    result = estimate_panorama_depth(box_room(64).panorama, est)
    assert result.record["model_id"] == "depth-anything/Depth-Anything-V2-Base-hf"
    assert result.panorama.metadata.licences[0]["commercial_use"] is False


def test_hf_cache_snapshot_records_the_revision(tiny_folder, isolated):
    import shutil

    commit = "a" * 40
    repo = isolated / "hf" / "models--depth-anything--Depth-Anything-V2-Small-hf"
    shutil.copytree(tiny_folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    loc = resolve_depth_model("depth-anything/Depth-Anything-V2-Small-hf")
    assert loc.revision == commit and loc.licence["spdx"] == "Apache-2.0"


def test_no_weights_offline_says_how_to_get_them(isolated):
    with pytest.raises(InputError) as info:
        resolve_depth_model(None)
    text = str(info.value)
    assert "depth-anything/Depth-Anything-V2-Small-hf" in text
    assert "hf download depth-anything/Depth-Anything-V2-Small-hf --local-dir" in text
    assert "no classical fallback" in text


def _copy_json(src, dst):
    dst.mkdir(parents=True)
    for name in ("config.json", "preprocessor_config.json"):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def test_refusals_happen_before_weights_are_read(tiny_folder, tmp_path):
    import json

    # pickle weights only: refused by name (the .bin is garbage: it is never opened)
    pickled = _copy_json(tiny_folder, tmp_path / "pickled")
    (pickled / "pytorch_model.bin").write_bytes(b"not a pickle")
    with pytest.raises(InputError, match="pickle"):
        load_transformers_estimator(str(pickled), device="cpu")
    # remote code asked for
    remote = _copy_json(tiny_folder, tmp_path / "remote")
    (remote / "model.safetensors").write_bytes(b"garbage")
    cfg = json.loads((remote / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForDepthEstimation": "evil.Model"}
    (remote / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(InputError, match="auto_map"):
        load_transformers_estimator(str(remote), device="cpu")
    # not a depth model
    other = _copy_json(tiny_folder, tmp_path / "other")
    (other / "model.safetensors").write_bytes(b"garbage")
    cfg = json.loads((other / "config.json").read_text())
    cfg["model_type"] = "bert"
    (other / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(InputError, match="not a depth model"):
        load_transformers_estimator(str(other), device="cpu")
    with pytest.raises(InputError, match="does not exist"):
        resolve_depth_model(str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match="not a depth-estimation model"):
        resolve_depth_model("ldm3d-pano")


def test_large_photo_estimated_at_model_size_keeps_full_resolution_rgb(tiny):
    """A 5.7K photo (5760x2880): tiles at the model's size, depth at the tiles' resolution,
    the RGB untouched; the panorama upsamples depth to the RGB's size when asked. (8192x4096
    tiling is checked in tests/scene/test_tiling.py.)"""
    from scene.panorama import RGBDPanorama

    rgb = np.empty((2880, 5760, 3), dtype=np.uint8)
    rgb[..., 0] = (np.arange(5760) // 32 % 256).astype(np.uint8)[None, :]
    rgb[..., 1] = (np.arange(2880) // 16 % 256).astype(np.uint8)[:, None]
    rgb[..., 2] = 90
    pano = RGBDPanorama(rgb=rgb)
    out = estimate_panorama_depth(pano, tiny).panorama
    assert out.rgb is pano.rgb
    dw = tiling.output_width(tiling.cube_tiles(TINY_SIZE), 5760)
    assert out.raw_depth.shape == (dw // 2, dw) and dw < 5760
    assert out.distance.shape == (2880, 5760)
