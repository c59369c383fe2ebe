"""Nothing lost: results are on disk as they arrive, and a killed session is recovered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from app.window.recovery import SESSION_FILE, RecoveryStore, find_orphans, recovery_path_for
from scene.project import Project, load_project
from scene.testing.analytic import box_room

ROOT = Path(__file__).resolve().parents[2]

KILLED_SESSION = """
import os, signal, sys
from app.window.app import make_application
app = make_application([])
from app.window.main_window import MainWindow
from app.window.preferences_store import WindowSettings, make_settings
from scene.testing.analytic import box_room
w = MainWindow(settings=WindowSettings(make_settings(sys.argv[1])), recovery_root=sys.argv[2])
w.show()
app.processEvents()
if len(sys.argv) > 3:
    w.save_as(sys.argv[3])
w.doc.add_result(box_room(96).panorama, kind="imported")   # a result arrives
w.recovery.flush()
print("written", w.recovery.recovery_file, flush=True)
os.kill(os.getpid(), signal.SIGKILL)                       # no clean shutdown
"""


def _run_and_kill(tmp_path, *extra):
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_SESSION, str(tmp_path / "killed.ini"),
         str(tmp_path / "sessions"), *map(str, extra)],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == -9, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("written ")][-1]
    return Path(line.split(" ", 1)[1])


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_killed_untitled_session_is_recovered_on_the_next_start(make_window, tmp_path):
    copy = _run_and_kill(tmp_path)
    assert copy.is_file() and copy.parent.parent == tmp_path / "sessions"
    w = make_window()
    assert w.check_recovery() == 1
    assert w.prompter.asked == ["recovery"]
    assert len(w.prompter.offered) == 1 and w.prompter.offered[0].project_path is None
    assert len(w.doc.results) == 1
    assert np.array_equal(w.doc.results[0].panorama.rgb, box_room(96).panorama.rgb)
    assert w.isWindowModified() and w.doc.path is None  # still unsaved, but safe again
    w.recovery.flush()
    assert not copy.parent.exists()  # the dead session's folder is gone...
    assert w.recovery.recovery_file.is_file()  # ...after this session wrote its own copy
    assert len(load_project(w.recovery.recovery_file).results) == 1
    assert find_orphans(tmp_path / "sessions", exclude=w.recovery.session_dir) == []


def test_a_killed_saved_project_is_recovered_next_to_its_file(make_window, tmp_path):
    project = tmp_path / "work.panoforge"
    copy = _run_and_kill(tmp_path, project)
    assert copy == recovery_path_for(project) == tmp_path / ".work.panoforge.recovery"
    assert len(load_project(project).results) == 0  # the result was never saved...
    w = make_window()
    assert w.check_recovery() == 1  # ...but it is not lost
    assert w.doc.path == project and w.isWindowModified()
    w.prompter.save_answer = ""
    assert w.save()
    assert len(load_project(project).results) == 1
    assert not copy.exists()  # saved: the recovery copy is no longer needed


def test_discarding_an_orphan_deletes_it(make_window, tmp_path):
    copy = _run_and_kill(tmp_path)
    w = make_window()
    w.prompter.recovery_answer = "discard"
    assert w.check_recovery() == 0
    assert not copy.exists() and w.doc.results == []


def test_later_keeps_the_orphan_for_the_next_start(make_window, tmp_path):
    copy = _run_and_kill(tmp_path)
    w = make_window()
    w.prompter.recovery_answer = "later"
    assert w.check_recovery() == 0
    assert copy.is_file()
    assert [o.recovery_file for o in find_orphans(tmp_path / "sessions")] == [copy]


def test_store_writes_every_result_and_cleans_up(qt_app, tmp_path):
    store = RecoveryStore(tmp_path / "sessions")
    project = Project()
    project.add_result(box_room(64).panorama, kind="imported")
    store.write(project)
    project.add_result(box_room(64, pillar=None).panorama, kind="imported")
    store.write(project)
    assert store.flush()
    assert store.last_error is None
    info = json.loads((store.session_dir / SESSION_FILE).read_text())
    assert info["pid"] == os.getpid() and info["recovery_file"] == str(store.recovery_file)
    assert len(load_project(store.recovery_file).results) == 2  # the newest snapshot won
    # A live session is never offered as an orphan.
    assert find_orphans(tmp_path / "sessions") == []
    store.close()
    assert not store.session_dir.exists()


def test_orphans_need_a_dead_process_and_a_copy(qt_app, tmp_path):
    root = tmp_path / "sessions"
    store = RecoveryStore(root)
    project = Project()
    project.add_result(box_room(64).panorama, kind="imported")
    store.write(project)
    store.flush()
    info = json.loads((store.session_dir / SESSION_FILE).read_text())
    info["pid"] = _dead_pid()
    (store.session_dir / SESSION_FILE).write_text(json.dumps(info))
    empty = root / "123-empty"
    empty.mkdir()
    (empty / SESSION_FILE).write_text(json.dumps({"pid": _dead_pid(), "recovery_file": None}))
    orphans = find_orphans(root)
    assert [o.recovery_file for o in orphans] == [store.recovery_file]
    assert not empty.exists()  # a dead session with nothing to recover is swept away


def test_a_session_recovered_into_an_open_project_keeps_its_results_whole(make_window,
                                                                          tmp_path,
                                                                          monkeypatch):
    """Another session's results join the open project with their layers, names, favourites
    and lineage, not as bare panoramas; taken ids get fresh ones.

    The orphan is handed to the window as :func:`find_orphans` describes it (the tests above
    check how orphans are found): whether a made-up dead process id is free again is not
    what this test is about, and a reused id made it fail once in CI.
    """
    import app.window.files as files_mod
    from app.window.recovery import Orphan
    from scene.composition import Layer

    root = tmp_path / "sessions"
    store = RecoveryStore(root)
    lost = Project()
    base = lost.add_result(box_room(64).panorama, kind="imported")
    base.name, base.favourite = "the good one", True
    base.layers.append(Layer(id="l1", panorama=box_room(64, pillar=None).panorama, kind="fill",
                             walk_radius=0.7, method="classical", label="behind"))
    child = lost.add_result(box_room(64, pillar=None).panorama, kind="upscaled",
                            parent_id=base.id)
    store.write(lost)
    assert store.flush() and store.last_error is None
    assert (base.id, child.id) == ("r1", "r2")
    orphan = Orphan(store.session_dir, store.recovery_file, None, _dead_pid(),
                    store.recovery_file.stat().st_mtime)
    monkeypatch.setattr(files_mod, "find_orphans", lambda root, exclude=None: [orphan])

    w = make_window(recovery_root=root)
    w.doc.add_result(box_room(32).panorama, kind="imported")  # the open work has an r1 too
    assert w.check_recovery() == 2, w.prompter.errors
    mine, got_base, got_child = w.doc.results
    assert mine.id == "r1" and {got_base.id, got_child.id} == {"r2", "r3"}
    assert got_base.name == "the good one" and got_base.favourite
    assert [(la.id, la.method, la.walk_radius) for la in got_base.layers] == [
        ("l1", "classical", 0.7)]
    assert got_child.kind == "upscaled" and got_child.parent_id == got_base.id
    assert w.doc.active_id == "r1"  # the open work stays in front
