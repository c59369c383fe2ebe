"""Run the Khronos glTF validator on a file and return its report.

The validator is the npm package ``gltf-validator`` installed under ``tools/gltf-validator``;
``validate.mjs`` there prints the full JSON report (``issues.numErrors``, ``numWarnings``,
``numInfos``, ``numHints`` and ``issues.messages``).

Use :func:`validate_glb` for the report and :func:`assert_clean` in tests::

    from tests.gltf_validator import assert_clean
    report = assert_clean(path)            # fails with the messages listed
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

__all__ = ["VALIDATOR_SCRIPT", "validate_glb", "issue_messages", "assert_clean"]

#: The node script that prints the validator's JSON report.
VALIDATOR_SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "gltf-validator" / "validate.mjs"


def validate_glb(path: str | Path, timeout: float = 120.0) -> dict:
    """Validate a ``.glb``/``.gltf`` file with the Khronos validator.

    Parameters
    ----------
    path : str or Path
        The file to check.
    timeout : float
        Seconds to wait for node.

    Returns
    -------
    dict
        The validator's report as parsed JSON; ``report["issues"]`` holds ``numErrors``,
        ``numWarnings``, ``numInfos``, ``numHints`` and ``messages`` (each with ``code``,
        ``message``, ``severity`` 0..3 = error/warning/info/hint and ``pointer``).

    Raises
    ------
    RuntimeError
        When node or the validator is missing, or the validator produced no report.
    """
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH; the glTF validator needs Node.js")
    if not VALIDATOR_SCRIPT.is_file():
        raise RuntimeError(f"validator script missing: {VALIDATOR_SCRIPT}")
    proc = subprocess.run(
        [node, str(VALIDATOR_SCRIPT), str(Path(path).resolve())],
        capture_output=True, text=True, timeout=timeout, cwd=VALIDATOR_SCRIPT.parent,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(
            f"glTF validator failed (exit {proc.returncode}) on {path}:\n{proc.stderr[-4000:]}"
        )
    return json.loads(proc.stdout)


def issue_messages(report: dict, max_severity: int = 3) -> list[str]:
    """Readable lines for the report's messages with severity <= ``max_severity``.

    Severity: 0 error, 1 warning, 2 info, 3 hint.
    """
    names = {0: "ERROR", 1: "WARNING", 2: "INFO", 3: "HINT"}
    return [
        f"{names.get(m.get('severity'), m.get('severity'))} {m.get('code')}: "
        f"{m.get('message')} at {m.get('pointer', '')}"
        for m in report.get("issues", {}).get("messages", [])
        if m.get("severity", 0) <= max_severity
    ]


def assert_clean(path: str | Path, allow_infos: bool = False) -> dict:
    """Assert the file has no validator errors, no warnings and (unless allowed) no infos.

    Returns
    -------
    dict
        The report, for further checks (``report["info"]`` has counts of meshes, textures...).
    """
    report = validate_glb(path)
    issues = report["issues"]
    bad = issues["numErrors"] + issues["numWarnings"] + (0 if allow_infos else issues["numInfos"])
    assert bad == 0, (
        f"glTF validator: {issues['numErrors']} errors, {issues['numWarnings']} warnings, "
        f"{issues['numInfos']} infos in {path}:\n"
        + "\n".join(issue_messages(report, max_severity=1 if allow_infos else 2))
    )
    return report
