"""Builds DepthFusion meshes off the UI thread, coalescing requests.

While the user drags a near/far handle the depth panel asks for a new mesh at every mouse
move. :class:`MeshService` keeps one background thread and a single pending slot: a request
that arrives while a build runs replaces the pending one, so at most one stale build is ever
finished and the viewport always ends on the newest settings.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from scene.mesh_settings import MeshSettings
from scene.panorama import RGBDPanorama

from .latest_worker import LatestWorker

__all__ = ["MeshService", "MeshJob", "build_mesh"]


#: Width of the reduced grid meshed while a handle is being dragged (the full mesh follows
#: on release). Drawing cost grows with the triangle count, so a 512x256 preview keeps the
#: viewport fluid even with software OpenGL or a 4096x2048 panorama.
PREVIEW_WIDTH = 512


def reduced_panorama(pano: RGBDPanorama, max_width: int) -> RGBDPanorama:
    """``pano`` on a coarser grid (at most ``max_width`` columns), its distances sampled
    nearest-neighbour, for preview meshes.

    The texture coordinates of a mesh built from it are normalised, so it is drawn with the
    full-resolution texture of ``pano``.
    """
    from scene.depth import DepthInterpretation
    from scene.panorama import resize_nearest_wrap

    if pano.width <= max_width:
        return pano
    w = max_width - max_width % 2
    h = w // 2
    return RGBDPanorama(rgb=resize_nearest_wrap(pano.rgb, h, w),
                        raw_depth=resize_nearest_wrap(np.asarray(pano.distance), h, w),
                        interpretation=DepthInterpretation(kind="distance", source="preview"),
                        flat_radius=pano.flat_radius)


def build_mesh(pano: RGBDPanorama, settings: MeshSettings, preview: bool = False):
    """The mesh the window shows for ``pano`` (its interpretation, clip range included).

    ``preview`` builds it on a grid of at most :data:`PREVIEW_WIDTH` columns (during drags).
    ``scene.mesh`` is imported here, in the service's thread, so the window starts without it.
    """
    from scene.mesh import build_depth_mesh

    if preview and pano.width > PREVIEW_WIDTH:  # a full grid: fast to build and to draw
        return build_depth_mesh(reduced_panorama(pano, PREVIEW_WIDTH),
                                settings.with_(mode="full"))
    return build_depth_mesh(pano, settings)


@dataclass
class MeshJob:
    """One build request.

    Parameters
    ----------
    seq : int
        Increasing request number (newer requests have larger numbers).
    result_id : str
        Which result the mesh belongs to.
    pano : RGBDPanorama
    settings : MeshSettings
    preview : bool
        A coarse mesh for a drag in progress.
    requested_at : float
        ``time.perf_counter()`` when requested.
    """

    seq: int
    result_id: str
    pano: RGBDPanorama
    settings: MeshSettings
    preview: bool
    requested_at: float


class MeshService(QObject):
    """A coalescing background mesh builder.

    Signals
    -------
    meshReady(MeshJob, DepthMesh, float)
        A build finished: the job, the mesh and the build time in milliseconds.
    failed(MeshJob, Exception)
    """

    meshReady = Signal(object, object, float)
    failed = Signal(object, object)

    def __init__(self, parent: QObject | None = None, builder=build_mesh) -> None:
        super().__init__(parent)
        self._builder = builder
        self._seq_lock = threading.Lock()
        self._seq = 0
        self._worker = LatestWorker("mesh-service", self._build)

    @property
    def coalesced(self) -> int:
        """Requests replaced by a newer one before they were built."""
        return self._worker.replaced

    def request(self, result_id: str, pano: RGBDPanorama, settings: MeshSettings,
                preview: bool = False) -> int:
        """Ask for a mesh (``preview``: a coarse one); returns the request's sequence number."""
        with self._seq_lock:
            self._seq += 1
            seq = self._seq
        self._worker.submit(MeshJob(seq, result_id, pano, settings, preview, time.perf_counter()))
        return seq

    @property
    def latest_seq(self) -> int:
        return self._seq

    def is_idle(self) -> bool:
        return self._worker.is_idle()

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Block until nothing is pending or building (signals still need the event loop)."""
        return self._worker.wait_idle(timeout_s)

    def shutdown(self) -> None:
        self._worker.stop(drain=False, timeout_s=10)

    def _build(self, job: MeshJob) -> None:
        t0 = time.perf_counter()
        try:
            mesh = self._builder(job.pano, job.settings, job.preview)
        except Exception as exc:  # reported to the window's status bar
            self._emit_safely(self.failed, job, exc)
        else:
            self._emit_safely(self.meshReady, job, mesh, (time.perf_counter() - t0) * 1e3)

    def _emit_safely(self, signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the QObject was deleted during shutdown
            pass
