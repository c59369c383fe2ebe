"""GPano XMP: a cropped 360 photo lands at its longitude/latitude range (scene.gpano)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from scene.conventions import latitudes, longitudes
from scene.errors import InputError
from scene.gpano import GPanoInfo, gpano_xmp, insert_xmp, parse_gpano, place_on_sphere, read_gpano
from scene.importer import import_panorama

# A phone panorama: 1/2 of the full 800x400 sphere wide (180°), 100 rows (45°) tall, starting
# 300 px from the left (lon -45°) and 120 rows from the top (lat +36°), facing 30° right.
INFO = GPanoInfo(full_width=800, full_height=400, cropped_width=400, cropped_height=100,
                 cropped_left=300, cropped_top=120, pose_heading_deg=200.0,
                 initial_view_heading_deg=230.0, projection="equirectangular")


def _jpeg(rgb: np.ndarray, info: GPanoInfo | None = INFO) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=95)
    return insert_xmp(buf.getvalue(), gpano_xmp(info)) if info is not None else buf.getvalue()


def _picture(w=400, h=100) -> np.ndarray:
    """Left half red, right half blue, so the placement's left/right is visible."""
    rgb = np.zeros((h, w, 3), dtype=np.uint8)
    rgb[:, : w // 2] = (220, 30, 30)
    rgb[:, w // 2:] = (30, 30, 220)
    return rgb


def test_tags_are_read_from_the_jpeg():
    info = read_gpano(_jpeg(_picture()))
    assert info == INFO
    assert info.has_crop
    assert info.initial_view_lon_deg == pytest.approx(30.0)
    assert info.lonlat_range_deg() == pytest.approx((-45.0, 135.0, -9.0, 36.0))


def test_element_form_and_no_tags():
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           '02/22-rdf-syntax-ns#"><rdf:Description xmlns:GPano="http://ns.google.com/photos/1.0/'
           'panorama/"><GPano:FullPanoWidthPixels>6080</GPano:FullPanoWidthPixels>'
           '<GPano:CroppedAreaImageWidthPixels>6080</GPano:CroppedAreaImageWidthPixels>'
           '<GPano:CroppedAreaImageHeightPixels>3040</GPano:CroppedAreaImageHeightPixels>'
           '<GPano:PoseHeadingDegrees>90</GPano:PoseHeadingDegrees>'
           '</rdf:Description></rdf:RDF></x:xmpmeta>')
    info = parse_gpano(xmp)
    assert info.full_width == 6080 and info.pose_heading_deg == 90.0
    assert not info.has_crop  # a full 5.7K sphere
    assert read_gpano(_jpeg(_picture(), None)) is None
    assert parse_gpano('<x:xmpmeta GPano:FullPanoWidthPixels="100" broken') is not None


def test_cropped_pano_is_placed_at_its_lonlat_range():
    canvas, known = place_on_sphere(_picture(), INFO)
    assert canvas.shape == (400, 800, 3) and known.shape == (400, 800)
    lon = np.degrees(longitudes(800))
    lat = np.degrees(latitudes(400))
    cols = np.nonzero(known.any(axis=0))[0]
    rows = np.nonzero(known.any(axis=1))[0]
    assert lon[cols[0]] == pytest.approx(-45.0, abs=0.5) and lon[cols[-1]] == pytest.approx(135.0, abs=0.5)
    assert lat[rows[0]] == pytest.approx(36.0, abs=0.5) and lat[rows[-1]] == pytest.approx(-9.0, abs=0.5)
    assert (canvas[~known] == 0).all()
    # red west of lon 45°, blue east of it
    assert tuple(canvas[150, 350]) == (220, 30, 30) and tuple(canvas[150, 550]) == (30, 30, 220)


def test_a_crop_across_the_seam_wraps_and_a_resized_copy_is_scaled():
    info = GPanoInfo(full_width=800, full_height=400, cropped_width=200, cropped_height=200,
                     cropped_left=700, cropped_top=100)
    canvas, known = place_on_sphere(_picture(100, 100), info)  # a half-size copy
    assert canvas.shape == (200, 400, 3)
    band = known[50:150]
    assert band[:, 350:].all() and band[:, :50].all() and not band[:, 50:350].any()
    assert (known.any(axis=1) == (np.arange(200) >= 50) & (np.arange(200) < 150)).all()


def test_contradicting_tags_are_refused():
    with pytest.raises(InputError, match="aspects differ"):
        place_on_sphere(_picture(400, 300), INFO)


def test_import_places_a_cropped_jpeg_and_records_the_heading(tmp_path):
    path = tmp_path / "phone_pano.jpg"
    path.write_bytes(_jpeg(_picture()))
    outcome = import_panorama(path)
    pano = outcome.panorama
    assert (pano.width, pano.height) == (800, 400)
    assert outcome.known is not None and outcome.known.sum() == 400 * 100
    assert any("GPano" in w and "-45.0..135.0" in w for w in outcome.warnings)
    red = pano.rgb[150, 350].astype(int)
    assert red[0] > 180 and red[2] < 80
    assert (pano.rgb[:100] == 0).all() and (pano.rgb[260:] == 0).all()
    rec = pano.metadata.extra["gpano"]
    assert rec["placed"] is True and rec["initial_view_lon_deg"] == pytest.approx(30.0)
    assert rec["pose_heading_deg"] == 200.0


def test_import_of_a_full_sphere_keeps_it_and_records_the_tags(tmp_path):
    info = GPanoInfo(full_width=400, full_height=200, cropped_width=400, cropped_height=200,
                     cropped_left=0, cropped_top=0, initial_view_heading_deg=-90.0)
    path = tmp_path / "theta.jpg"
    path.write_bytes(_jpeg(_picture(400, 200), info))
    outcome = import_panorama(path)
    assert outcome.known is None and (outcome.panorama.width, outcome.panorama.height) == (400, 200)
    assert outcome.panorama.rgb_encoded is not None  # the file's bytes are kept as they are
    assert outcome.panorama.metadata.extra["gpano"]["initial_view_lon_deg"] == -90.0


def test_a_depth_map_of_a_cropped_jpeg_is_placed_with_it(tmp_path):
    path = tmp_path / "phone_pano.jpg"
    path.write_bytes(_jpeg(_picture()))
    depth = np.full((50, 200), 3.0, dtype=np.float32)  # half the picture's resolution
    depth[:, 100:] = 7.0
    np.save(tmp_path / "depth.npy", depth)
    pano = import_panorama(path, tmp_path / "depth.npy").panorama
    raw = pano.raw_depth
    assert raw.shape == (200, 400)  # the depth's own resolution, placed on the sphere
    assert np.isnan(raw[:60]).all() and np.isnan(raw[110:]).all()
    assert np.isnan(raw[:, :150]).all() and np.isnan(raw[:, 350:]).all()
    assert (raw[60:110, 150:250] == 3.0).all() and (raw[60:110, 250:350] == 7.0).all()
