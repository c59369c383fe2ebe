"""Google Photo Sphere (GPano) XMP: where a 360 camera's picture sits on the sphere.

360 cameras and phone panorama modes (Insta360, Ricoh Theta, GoPro Max, Android's Photo Sphere)
write the ``GPano`` XMP namespace into the JPEG. Panoforge reads:

``FullPanoWidthPixels``, ``FullPanoHeightPixels``
    The size of the whole 360x180 equirect the picture is part of.
``CroppedAreaImageWidthPixels``, ``CroppedAreaImageHeightPixels``
    The size of the part that the file holds (a phone panorama covers only a band).
``CroppedAreaLeftPixels``, ``CroppedAreaTopPixels``
    Where that part's top-left corner is in the full panorama.
``PoseHeadingDegrees``
    Compass heading of the full panorama's centre column.
``InitialViewHeadingDegrees``
    Compass heading the viewer should first face.

A cropped picture is placed on a full 2:1 canvas at its longitude/latitude range
(:func:`place_on_sphere`); the rest is black with a mask saying it is unknown, so no depth
and no surface is made there. The initial view is recorded as a longitude in Panoforge's frame
(0 = the image centre, -Z; positive turns right), the heading of the initial view relative to
the pose heading.

The XMP packet is found with the standard JPEG APP1 layout and parsed with
:mod:`xml.etree.ElementTree` (the tags come as RDF attributes or as child elements; both are
read). Pillow is not used for this because it exposes XMP only as an unparsed string on some
versions and not at all for some files.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass

import numpy as np

from .errors import InputError

__all__ = ["GPanoInfo", "Placement", "read_xmp", "parse_gpano", "read_gpano", "read_gpano_file", "placement",
           "place_on_sphere", "GPANO_NS", "gpano_xmp", "insert_xmp", "initial_view_yaw_deg"]

GPANO_NS = "http://ns.google.com/photos/1.0/panorama/"
_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_FIELDS = {
    "FullPanoWidthPixels": "full_width", "FullPanoHeightPixels": "full_height",
    "CroppedAreaImageWidthPixels": "cropped_width",
    "CroppedAreaImageHeightPixels": "cropped_height",
    "CroppedAreaLeftPixels": "cropped_left", "CroppedAreaTopPixels": "cropped_top",
    "PoseHeadingDegrees": "pose_heading_deg",
    "InitialViewHeadingDegrees": "initial_view_heading_deg",
    "ProjectionType": "projection",
}
_INTS = {"full_width", "full_height", "cropped_width", "cropped_height", "cropped_left",
         "cropped_top"}


@dataclass(frozen=True)
class GPanoInfo:
    """The GPano tags of one picture (``None`` where a tag is absent).

    Parameters
    ----------
    full_width, full_height : int or None
        Pixels of the whole equirect panorama.
    cropped_width, cropped_height : int or None
        Pixels of the part the file holds (in the full panorama's pixel units).
    cropped_left, cropped_top : int or None
        Its top-left corner in the full panorama.
    pose_heading_deg, initial_view_heading_deg : float or None
        Compass headings, degrees.
    projection : str or None
        ``"equirectangular"`` for the pictures Panoforge places.
    """

    full_width: int | None = None
    full_height: int | None = None
    cropped_width: int | None = None
    cropped_height: int | None = None
    cropped_left: int | None = None
    cropped_top: int | None = None
    pose_heading_deg: float | None = None
    initial_view_heading_deg: float | None = None
    projection: str | None = None

    @property
    def has_crop(self) -> bool:
        """Whether the tags describe a picture that is only part of the sphere."""
        if not (self.full_width and self.cropped_width and self.cropped_height):
            return False
        full_h = self.full_height or self.full_width // 2
        return (self.cropped_width, self.cropped_height) != (self.full_width, full_h)

    @property
    def initial_view_lon_deg(self) -> float:
        """Longitude to face first, degrees in (-180, 180]: 0 = the full panorama's centre.

        ``InitialViewHeadingDegrees - PoseHeadingDegrees`` (the pose heading is that of the
        centre column); the initial heading alone when there is no pose heading; 0 without it.
        """
        if self.initial_view_heading_deg is None:
            return 0.0
        lon = self.initial_view_heading_deg - (self.pose_heading_deg or 0.0)
        lon = (lon + 180.0) % 360.0 - 180.0
        return 180.0 if lon == -180.0 else float(lon)

    def lonlat_range_deg(self) -> tuple[float, float, float, float]:
        """``(lon_west, lon_east, lat_south, lat_north)`` of the cropped area, degrees.

        ``lon_east`` may exceed 180 when the area crosses the seam.
        """
        fw = self.full_width
        fh = self.full_height or fw // 2
        left, top = self.cropped_left or 0, self.cropped_top or 0
        w, h = self.cropped_width or fw, self.cropped_height or fh
        return (360.0 * left / fw - 180.0, 360.0 * (left + w) / fw - 180.0,
                90.0 - 180.0 * (top + h) / fh, 90.0 - 180.0 * top / fh)

    def to_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if v is not None}
        d["initial_view_lon_deg"] = self.initial_view_lon_deg
        return d


def read_xmp(data: bytes) -> bytes | None:
    """The XMP packet of a JPEG file's bytes (the first APP1 XMP segment), or ``None``."""
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end: no more metadata segments
            return None
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        body = data[pos + 4:pos + 2 + length]
        if marker == 0xE1 and body.startswith(_XMP_HEADER):
            return body[len(_XMP_HEADER):]
        pos += 2 + length
    return None


def _number(text: str, key: str):
    text = text.strip()
    try:
        return int(round(float(text))) if key in _INTS else float(text)
    except ValueError:
        return None


def parse_gpano(xmp: bytes | str) -> GPanoInfo | None:
    """The GPano tags in an XMP packet, or ``None`` when it has none.

    Malformed XML falls back to a tolerant attribute scan (some cameras write packets that
    are not well-formed).
    """
    text = xmp.decode("utf-8", errors="replace") if isinstance(xmp, bytes) else xmp
    if GPANO_NS not in text and "GPano:" not in text:
        return None
    found: dict = {}
    try:
        root = ET.fromstring(text.strip().strip("\x00"))
        for el in root.iter():
            for name, value in el.attrib.items():
                if name.startswith("{" + GPANO_NS + "}"):
                    found.setdefault(name[len(GPANO_NS) + 2:], value)
            if isinstance(el.tag, str) and el.tag.startswith("{" + GPANO_NS + "}") and el.text:
                found.setdefault(el.tag[len(GPANO_NS) + 2:], el.text)
    except ET.ParseError:
        for m in re.finditer(r"GPano:(\w+)\s*=\s*[\"']([^\"']*)[\"']", text):
            found.setdefault(m.group(1), m.group(2))
        for m in re.finditer(r"<GPano:(\w+)>([^<]*)</GPano:\1>", text):
            found.setdefault(m.group(1), m.group(2))
    values = {}
    for tag, key in _FIELDS.items():
        if tag in found:
            values[key] = found[tag].strip() if key == "projection" else _number(found[tag], key)
    if not values:
        return None
    return GPanoInfo(**values)


def read_gpano(data: bytes) -> GPanoInfo | None:
    """The GPano tags of a JPEG file's bytes, or ``None``."""
    xmp = read_xmp(data)
    return parse_gpano(xmp) if xmp is not None else None


@dataclass(frozen=True)
class Placement:
    """Where a cropped picture goes on the full canvas (pixels of the canvas).

    Parameters
    ----------
    width, height : int
        The full 2:1 canvas.
    left, top : int
        The picture's top-left corner (``left`` wraps around the seam).
    cols, rows : int
        The picture's size on the canvas.
    """

    width: int
    height: int
    left: int
    top: int
    cols: int
    rows: int


def placement(info: GPanoInfo, w: int, h: int, max_width: int = 16384) -> Placement:
    """Where a ``w x h`` picture with tags ``info`` goes on the full 2:1 canvas.

    The picture may be smaller than the cropped area the tags name (a resized copy): the
    canvas is scaled by ``w / CroppedAreaImageWidthPixels``.

    Raises
    ------
    InputError
        Tags that contradict the picture or each other.
    """
    fw = info.full_width
    cw, ch = info.cropped_width or w, info.cropped_height or h
    if not fw or fw <= 0 or cw <= 0 or ch <= 0:
        raise InputError("the picture's GPano tags name no usable panorama size",
                         hint="import it with --fit pad instead")
    fh = info.full_height or fw // 2
    if info.projection and info.projection.lower() != "equirectangular":
        raise InputError(f"the picture's GPano projection is {info.projection!r}, "
                         "not equirectangular", hint="convert it to an equirect panorama first")
    factor = w / cw
    if abs(h / ch - factor) > 0.02 * factor + 1.0 / ch:
        raise InputError(f"the picture is {w}x{h} but its GPano cropped area is {cw}x{ch}: "
                         "the aspects differ", hint="import it with --fit pad instead")
    width = int(round(fw * factor))
    width += width % 2
    if width > max_width:
        raise InputError(f"placing the picture needs a {width}-pixel-wide canvas",
                         hint="downsample the picture first")
    height = width // 2
    # rows in the full panorama's (possibly not 2:1) pixel units, scaled to the 2:1 canvas
    rows = min(height, max(1, int(round(ch * height / fh))))
    top = int(np.clip(round((info.cropped_top or 0) * height / fh), 0, height - rows))
    left = int(round((info.cropped_left or 0) * factor)) % width
    cols = min(int(round(cw * factor)), width)
    return Placement(width, height, left, top, cols, rows)


def read_gpano_file(path, limit: int = 1 << 20) -> GPanoInfo | None:
    """The GPano tags of a JPEG file (its first ``limit`` bytes hold the metadata segments)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(limit)
    except OSError:
        return None
    return read_gpano(head)


def place_on_sphere(img: np.ndarray, info: GPanoInfo, fill=0,
                    max_width: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """Put a cropped panorama (or its depth map) at its place on a full 2:1 canvas.

    Parameters
    ----------
    img : (h, w, 3) uint8 or (h, w) ndarray
        The picture as stored, or a depth map of the same aspect (any resolution).
    info : GPanoInfo
        With ``full_width`` and the cropped area.
    fill : scalar
        Value outside the picture (0 = black for RGB; NaN = unknown for float depth).
    max_width : int
        Refuse canvases wider than this.

    Returns
    -------
    canvas : (H, 2H[, 3]) ndarray, ``img``'s dtype
        ``fill`` outside the picture; the picture wraps across the 360° seam when its area
        does. RGB is resized bilinearly when its size on the canvas differs, anything else by
        nearest sample (raw depth values stay exact).
    known : (H, 2H) bool ndarray
        True where the picture is.
    """
    h, w = img.shape[:2]
    p = placement(info, w, h, max_width)
    if (p.rows, p.cols) != (h, w):
        if img.dtype == np.uint8 and img.ndim == 3:
            from PIL import Image

            img = np.asarray(Image.fromarray(img).resize((p.cols, p.rows),
                                                         Image.Resampling.BILINEAR),
                             dtype=np.uint8)
        else:
            ys = np.minimum(((np.arange(p.rows) + 0.5) * h / p.rows).astype(np.int64), h - 1)
            xs = np.minimum(((np.arange(p.cols) + 0.5) * w / p.cols).astype(np.int64), w - 1)
            img = img[ys][:, xs]
    canvas = np.full((p.height, p.width) + img.shape[2:], fill, dtype=img.dtype)
    known = np.zeros((p.height, p.width), dtype=bool)
    xs = (p.left + np.arange(p.cols)) % p.width
    canvas[p.top:p.top + p.rows, xs] = img
    known[p.top:p.top + p.rows, xs] = True
    return canvas, known


def gpano_xmp(info: GPanoInfo) -> bytes:
    """An XMP packet holding ``info`` as RDF attributes (what cameras write).

    Used to write test pictures and, by exports that keep the tags, real ones.
    """
    attrs = []
    for tag, key in _FIELDS.items():
        value = getattr(info, key)
        if value is None:
            continue
        if isinstance(value, float):
            value = f"{value:g}" if math.isfinite(value) else None
        if value is not None:
            attrs.append(f'GPano:{tag}="{value}"')
    body = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:GPano="{GPANO_NS}" '
            + " ".join(attrs) + '/></rdf:RDF></x:xmpmeta>')
    return body.encode("utf-8")


def insert_xmp(jpeg: bytes, xmp: bytes) -> bytes:
    """A JPEG file's bytes with an XMP APP1 segment added right after the start marker."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise InputError("not a JPEG file")
    body = _XMP_HEADER + xmp
    if len(body) + 2 > 0xFFFF:
        raise InputError("the XMP packet is too large for one JPEG segment")
    return jpeg[:2] + b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body + jpeg[2:]


def initial_view_yaw_deg(pano) -> float | None:
    """The yaw a viewer starts at for ``pano``: its GPano initial heading, if one was recorded.

    Yaw and longitude agree (yaw 0 faces the panorama centre, positive turns right, east), so
    this is ``metadata.extra["gpano"]["initial_view_lon_deg"]`` as the import recorded it.

    Parameters
    ----------
    pano : RGBDPanorama

    Returns
    -------
    float or None
        Degrees in (-180, 180]; ``None`` when the panorama has no GPano record.
    """
    record = getattr(getattr(pano, "metadata", None), "extra", None) or {}
    gpano = record.get("gpano") if isinstance(record, dict) else None
    if not isinstance(gpano, dict) or gpano.get("initial_view_lon_deg") is None:
        return None
    return float(gpano["initial_view_lon_deg"])
