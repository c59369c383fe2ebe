"""The scene view: the active result in the 3D viewport and as a flat panorama.

:class:`SceneView` is a :class:`~app.window.document.DocumentView`. Bound to the document it
shows the active result: the flat image in the Panorama tab and, through the
:class:`~app.window.mesh_service.MeshService`, its mesh in the vispy viewport. Edits of the
active result or of the mesh settings ask for a new mesh (coalesced: the newest wins); while
the depth panel drags a handle a coarse preview mesh is built and the full one follows when
the drag ends.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from .document import DocumentView
from .mesh_service import MeshService
from .panorama_view import PanoramaView

__all__ = ["SceneView"]


class SceneView(DocumentView, QObject):
    """The central tabs (3D view, Panorama) and the mesh requests behind them.

    Parameters
    ----------
    dragging : callable
        ``() -> bool``: a depth-panel drag is in progress (preview meshes meanwhile).
    parent : QObject, optional

    Attributes
    ----------
    tabs : QTabWidget
        The window's central widget.
    viewport : renderers.viewport.Viewport or None
        ``None`` when the renderer cannot be imported (a note is shown in its place).
    current_mesh : scene.mesh.DepthMesh or None
        The mesh the viewport shows now.
    tri_label, build_label, frame_label : QLabel
        Status-bar read-outs (triangles, last build time, frame time).

    Signals
    -------
    meshShown(MeshJob, DepthMesh, float)
        The viewport shows a new mesh; the job, the mesh and its build time in ms.
    meshFailed(str)
        A mesh build failed (the message).
    """

    meshShown = Signal(object, object, float)
    meshFailed = Signal(str)

    def __init__(self, dragging, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._dragging = dragging
        self.mesh_service = MeshService(self)
        self.mesh_service.meshReady.connect(self._on_mesh_ready)
        self.mesh_service.failed.connect(lambda _job, exc: self.meshFailed.emit(str(exc)))
        self.current_mesh = None
        self.last_edit_latency_ms = float("nan")
        self.closed = False
        self._shown_result = ""       # result id whose texture the viewport holds
        self._shown_rgb = None        # its rgb array (identity says whether to re-upload)
        self._parts_settings = None   # mesh settings the shown layers were meshed with
        self._applied_seq = 0
        self._preview_shown = False
        self._build_tabs()
        self.tri_label = QLabel("no mesh")
        self.frame_label = QLabel("— ms/frame")
        self.build_label = QLabel("")
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(500)
        self._stats_timer.timeout.connect(self._update_frame_time)
        self._stats_timer.start()

    def _build_tabs(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setObjectName("centralTabs")
        self.tabs.setDocumentMode(True)
        self.viewport = None
        holder = QWidget()
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(0, 0, 0, 0)
        try:
            from renderers.viewport import Viewport

            self.viewport = Viewport()
            widget = self.viewport.native
            widget.setMinimumSize(320, 200)
            lay.addWidget(widget)
        except ImportError as exc:  # the renderer is not installed: say so in its place
            note = QLabel(f"3D viewport unavailable: {exc}")
            note.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lay.addWidget(note)
        self.viewport_holder = holder
        self.tabs.addTab(holder, "3D view")
        from .depth_legend import DepthLegend

        self.depth_legend = DepthLegend()  # the 3D depth mode's legend, in the tab bar
        self.depth_legend.hide()
        self.tabs.setCornerWidget(self.depth_legend, Qt.Corner.TopRightCorner)
        self.panorama_view = PanoramaView()
        self.tabs.addTab(self.panorama_view, "Panorama")

    @property
    def applied_seq(self) -> int:
        """The sequence number of the newest mesh job the viewport shows."""
        return self._applied_seq

    # -- the document ---------------------------------------------------------------------
    def document_events(self) -> dict:
        return {"activeChanged": lambda _rid: self.catch_up(),
                "resultChanged": self._on_result_changed,
                "meshSettingsChanged": self._on_mesh_settings_changed}

    def bind(self, doc) -> None:
        self._shown_result = ""
        self._shown_rgb = None
        self.current_mesh = None
        super().bind(doc)

    def catch_up(self) -> None:
        res = self.doc.active
        if res is None:
            self.panorama_view.show_panorama(None)
            self.current_mesh = None
            self.tri_label.setText("no mesh")
            if self.viewport is not None and hasattr(self.viewport, "clear"):
                self.viewport.clear()
            return
        self._show(res)

    def _on_result_changed(self, result_id: str) -> None:
        if result_id == self.doc.active_id:
            self._show(self.doc.active)

    def _on_mesh_settings_changed(self) -> None:
        if self.doc.active is not None:
            self.request_mesh()

    def _show(self, res) -> None:
        if not self._dragging():
            self.panorama_view.show_panorama(res.panorama)
        self.request_mesh()

    # -- meshes ---------------------------------------------------------------------------
    def request_mesh(self, preview: bool | None = None) -> int:
        """Ask the mesh service for the active result's mesh (coalesced).

        While a handle is dragged (``preview`` defaults to that) a coarse preview mesh is
        built; the full mesh follows when the drag ends (:meth:`drag_finished`).

        Returns
        -------
        int
            The job's sequence number (0: nothing active).
        """
        res = self.doc.active if self.doc is not None else None
        if res is None:
            return 0
        if preview is None:
            preview = self._dragging()
        self._preview_shown = preview
        return self.mesh_service.request(res.id, res.panorama, self.doc.mesh_settings,
                                         preview=preview)

    def drag_finished(self) -> None:
        """A drag ended: replace the preview mesh by the full one."""
        if self._preview_shown:
            self.request_mesh(preview=False)

    def _on_mesh_ready(self, job, mesh, build_ms: float) -> None:
        if (self.closed or self.doc is None or job.result_id != self.doc.active_id
                or job.seq < self._applied_seq):
            return
        self._applied_seq = job.seq
        self.current_mesh = mesh
        if self.viewport is not None:
            if self._shown_result == job.result_id and self._shown_rgb is job.pano.rgb:
                self.viewport.update_mesh(mesh)
                if not job.preview and self._parts_settings != self.doc.mesh_settings:
                    # The layers follow the dome's mesh settings (once a drag has ended).
                    self.viewport.set_parts(self._parts(job.result_id))
            else:
                self.viewport.set_scene(job.pano, mesh, parts=self._parts(job.result_id))
                if self._shown_result != job.result_id:
                    self._face_initial_view(job.pano)
                self._shown_result = job.result_id
                self._shown_rgb = job.pano.rgb
        self.last_edit_latency_ms = (time.perf_counter() - job.requested_at) * 1e3
        self.tri_label.setText(f"{mesh.n_faces:,} triangles" + (" (preview)" if job.preview
                                                                 else ""))
        self.build_label.setText(f"mesh {build_ms:.0f} ms")
        self._update_legend()
        self.meshShown.emit(job, mesh, build_ms)

    def _face_initial_view(self, pano) -> None:
        """A newly shown result with a GPano initial heading is first seen facing it (and
        Recentre goes back there); one without it recentres on the panorama centre."""
        from scene.gpano import initial_view_yaw_deg

        camera = getattr(self.viewport, "inside_camera", None)
        if camera is None or not hasattr(camera, "set_initial_yaw"):
            return
        yaw = initial_view_yaw_deg(pano)
        camera.set_initial_yaw(0.0 if yaw is None else yaw, turn=yaw is not None)

    def refresh_parts(self) -> None:
        """Draw the active result's layers and props again (a prop was added or moved)."""
        if (self.viewport is not None and self.doc is not None
                and self._shown_result == self.doc.active_id and self._shown_result):
            self.viewport.set_parts(self._parts(self._shown_result))

    def _parts(self, result_id: str):
        """The result's layers and props for the viewport (``None``: the dome alone)."""
        self._parts_settings = self.doc.mesh_settings
        scene = self.doc.project.scene(result_id)
        if not (scene.layers or scene.props):
            return None
        from renderers.scene_parts import scene_parts

        return scene_parts(scene, self.doc.mesh_settings)

    def _update_frame_time(self) -> None:
        if self.viewport is None:
            return
        ms = getattr(self.viewport, "frame_time_ms", None)
        if ms is not None and ms == ms:
            self.frame_label.setText(f"{ms:.1f} ms/frame")

    # -- view controls --------------------------------------------------------------------
    def set_view(self, view: str) -> None:
        if self.viewport is not None:
            self.viewport.set_view(view)

    def set_mode(self, mode: str) -> None:
        if self.viewport is not None:
            self.viewport.set_mode(mode)
        self._update_legend()

    def _update_legend(self) -> None:
        vp = self.viewport
        on = vp is not None and vp.mode == "depth" and self.current_mesh is not None
        if on:
            self.depth_legend.set_range(tuple(vp.layers.mesh.depth_range))
        self.depth_legend.setVisible(on)

    def recentre(self) -> None:
        if self.viewport is not None:
            self.viewport.recentre()

    def shutdown(self) -> None:
        """Stop the timer and the mesh worker, close the viewport."""
        self.closed = True
        self._stats_timer.stop()
        self.mesh_service.shutdown()
        if self.viewport is not None and hasattr(self.viewport, "close"):
            try:
                self.viewport.close()
            except Exception:
                pass
