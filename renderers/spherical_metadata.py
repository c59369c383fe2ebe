"""Spherical Video V2 metadata in an MP4/MOV file: the boxes that make YouTube and VR players
show a video as 360°.

Google's spatial-media RFC ("Spherical Video V2") marks an equirectangular video by two boxes
inside the video track's sample entry (``moov/trak/mdia/minf/stbl/stsd/avc1``):

- ``st3d`` (full box, version 0): ``stereo_mode`` uint8, 0 = monoscopic;
- ``sv3d``: ``svhd`` (full box: the NUL-terminated name of the tool that wrote it) and
  ``proj``, holding ``prhd`` (full box: pose yaw, pitch, roll, 16.16 fixed-point degrees, all 0)
  and ``equi`` (full box: projection bounds top, bottom, left, right, 0.32 fixed point, all 0 =
  the whole sphere).

Why hand-written: FFmpeg's mov muxer writes these boxes from a stream's spherical side data,
but PyAV (18.x) has no way to attach side data to an output stream, and there is no
maintained Python writer on PyPI (Google's ``spatial-media`` injector is an unpackaged,
Python-2-era script). The edit is small and done once, after the muxer closed the file:
the boxes are appended to the video sample entry and every enclosing box's size grows by
their length. The ``moov`` box is rewritten at the end of the file (where FFmpeg puts it
unless asked to "fast start"); an earlier ``moov`` is turned into a ``free`` box. ``mdat``
never moves, so the chunk offsets (``stco``/``co64``) stay right.

FFmpeg's mov demuxer reads the boxes back as ``AV_PKT_DATA_SPHERICAL`` side data
(``ffprobe`` prints "Spherical Mapping: equirectangular"), which is what the tests check.
"""

from __future__ import annotations

import os
import struct

__all__ = ["spherical_boxes", "inject_equirect", "find_boxes", "SphericalError"]

#: Boxes that hold other boxes on the way to the video sample entry.
_CONTAINERS = (b"moov", b"trak", b"mdia", b"minf", b"stbl")
#: Video sample entries the boxes may go in.
_VISUAL_ENTRIES = (b"avc1", b"avc3", b"hvc1", b"hev1", b"mp4v", b"av01", b"vp09")
#: Bytes of a VisualSampleEntry before its child boxes (after the 8-byte box header).
_VISUAL_ENTRY_FIELDS = 78
#: Bytes of the stsd full box before its entries (version/flags, entry count).
_STSD_FIELDS = 8


class SphericalError(ValueError):
    """The file is not an MP4/MOV whose video track can carry the boxes."""


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full_box(kind: bytes, payload: bytes, version: int = 0, flags: int = 0) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags) + payload)


def spherical_boxes(tool: str = "Panoforge") -> bytes:
    """The ``st3d`` and ``sv3d`` boxes of a monoscopic, full-sphere equirectangular video.

    Parameters
    ----------
    tool : str
        Written into ``svhd`` as the metadata source.

    Returns
    -------
    bytes
        ``st3d`` (13 bytes) followed by ``sv3d``.
    """
    st3d = _full_box(b"st3d", bytes([0]))
    svhd = _full_box(b"svhd", tool.encode("utf-8") + b"\0")
    prhd = _full_box(b"prhd", struct.pack(">iii", 0, 0, 0))
    equi = _full_box(b"equi", struct.pack(">IIII", 0, 0, 0, 0))
    return st3d + _box(b"sv3d", svhd + _box(b"proj", prhd + equi))


def _read_at(fd: int, offset: int, n: int) -> bytes:
    os.lseek(fd, offset, os.SEEK_SET)
    out = b""
    while len(out) < n:
        chunk = os.read(fd, n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def _box_at(head: bytes, pos: int, end: int) -> tuple[bytes, int, int]:
    """``(kind, header_size, size)`` of the box whose first 8 (or 16) bytes are ``head``,
    starting at ``pos`` of a range that ends at ``end``.

    Raises
    ------
    SphericalError
        On a box that runs past ``end`` or is shorter than its header.
    """
    size, kind = struct.unpack(">I4s", head[:8])
    header = 8
    if size == 1:
        size, header = struct.unpack(">Q", head[8:16])[0], 16
    elif size == 0:
        size = end - pos
    if size < header or pos + size > end:
        raise SphericalError(f"broken {kind!r} box at byte {pos}")
    return kind, header, size


def find_boxes(data: bytes, start: int = 0, end: int | None = None):
    """``(kind, offset, header_size, size)`` of the boxes in ``data[start:end]``, in order.

    Raises
    ------
    SphericalError
        On a box that runs past ``end`` or is shorter than its header.
    """
    end = len(data) if end is None else end
    pos, out = start, []
    while pos + 8 <= end:
        kind, header, size = _box_at(data[pos:pos + 16], pos, end)
        out.append((kind, pos, header, size))
        pos += size
    return out


def _top_level(fd: int, file_size: int):
    """:func:`find_boxes` of the file's top level, reading only each box's header."""
    pos, out = 0, []
    while pos + 8 <= file_size:
        kind, header, size = _box_at(_read_at(fd, pos, 16), pos, file_size)
        out.append((kind, pos, header, size))
        pos += size
    return out


def _grow(buf: bytearray, offset: int, header: int, extra: int) -> None:
    """Add ``extra`` to the size field of the box at ``offset``."""
    if header == 16:
        size = struct.unpack_from(">Q", buf, offset + 8)[0]
        struct.pack_into(">Q", buf, offset + 8, size + extra)
    else:
        size = struct.unpack_from(">I", buf, offset)[0]
        if size + extra >= 2 ** 32:
            raise SphericalError("a box would outgrow 32 bits")
        struct.pack_into(">I", buf, offset, size + extra)


def _with_boxes(moov: bytes, boxes: bytes) -> bytes:
    """``moov`` with ``boxes`` appended to its first video track's sample entry."""
    buf = bytearray(moov)
    for trak in find_boxes(moov, 8, len(moov)):
        if trak[0] != b"trak":
            continue
        path = [(b"moov", 0, 8, len(moov)), trak]
        node = trak
        for kind in _CONTAINERS[2:]:
            kids = find_boxes(moov, node[1] + node[2], node[1] + node[3])
            node = next((k for k in kids if k[0] == kind), None)
            if node is None:
                break
            path.append(node)
        if node is None or node[0] != b"stbl":
            continue
        kids = find_boxes(moov, node[1] + node[2], node[1] + node[3])
        stsd = next((k for k in kids if k[0] == b"stsd"), None)
        if stsd is None:
            continue
        entries = find_boxes(moov, stsd[1] + stsd[2] + _STSD_FIELDS, stsd[1] + stsd[3])
        entry = next((e for e in entries if e[0] in _VISUAL_ENTRIES), None)
        if entry is None:
            continue
        children = find_boxes(moov, entry[1] + entry[2] + _VISUAL_ENTRY_FIELDS,
                              entry[1] + entry[3])
        if any(c[0] in (b"st3d", b"sv3d") for c in children):
            raise SphericalError("the video already carries spherical metadata")
        for box in path + [stsd, entry]:
            _grow(buf, box[1], box[2], len(boxes))
        at = entry[1] + entry[3]
        return bytes(buf[:at]) + boxes + bytes(buf[at:])
    raise SphericalError("no video track with a visual sample entry")


def inject_equirect(fh, tool: str = "Panoforge") -> int:
    """Mark the MP4/MOV file open in ``fh`` as a monoscopic equirectangular 360° video.

    Parameters
    ----------
    fh : binary file object
        Open for writing on a file descriptor that can also be read (``tempfile.mkstemp``'s
        are), positioned anywhere; everything written so far must be flushed.
    tool : str
        The metadata source named in ``svhd``.

    Returns
    -------
    int
        Bytes added to the file.

    Raises
    ------
    SphericalError
        When the file has no ``moov`` with a video track (nothing is changed then).
    """
    fh.flush()
    fd = fh.fileno()
    file_size = os.fstat(fd).st_size
    top = _top_level(fd, file_size)
    moov = next((b for b in top if b[0] == b"moov"), None)
    if moov is None or moov[2] != 8:
        raise SphericalError("no moov box (or a 64-bit one) in the video file")
    new = _with_boxes(_read_at(fd, moov[1], moov[3]), spherical_boxes(tool))
    last = moov[1] + moov[3] == file_size
    if last:
        fh.seek(moov[1])
        fh.write(new)
        fh.truncate()
    else:  # moov before mdat: leave the chunk offsets alone, move moov to the end
        fh.seek(moov[1] + 4)
        fh.write(b"free")
        fh.seek(file_size)
        fh.write(new)
    fh.flush()
    return len(new) - moov[3] if last else len(new)
