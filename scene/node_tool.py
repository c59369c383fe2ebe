"""An encoder that only exists as an npm package, run by Node.js: where it is, whether it can
run here, and running it.

Two formats have no maintained Python writer that installs here: KTX2 textures (Basis
Universal, npm ``ktx2-encoder``, :mod:`scene.texture_ktx2`) and ``.spz`` splats (Niantic's
library, npm ``@adobe/spz``, :mod:`scene.splats_spz`). Both are WebAssembly builds of the
reference encoders, run by a small script in ``tools/<name>/`` of the checkout (or the folder
an environment variable names), whose ``node_modules`` ``npm ci`` fills. :class:`NodeTool`
is that arrangement once: the refusal before any work when Node.js or the package is missing
(with how to install them), and the run whose failure says what the tool printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

__all__ = ["NodeTool"]

_TOOLS = Path(__file__).resolve().parents[1] / "tools"


@dataclass(frozen=True)
class NodeTool:
    """One npm-packaged encoder.

    Parameters
    ----------
    what : str
        What it makes, for messages ("KTX2 textures").
    folder_name : str
        Its folder under ``tools/`` of the checkout.
    script : str
        The script in that folder Node.js runs.
    package : str
        The npm package that must be installed in its ``node_modules``.
    env : str
        Environment variable naming another folder that holds the script and its packages.
    hint : str
        How to install what is missing, or what to choose instead.
    """

    what: str
    folder_name: str
    script: str
    package: str
    env: str
    hint: str

    def folder(self) -> Path:
        """``$env`` when set, else ``tools/<folder_name>`` of this checkout."""
        env = os.environ.get(self.env)
        return Path(env) if env else _TOOLS / self.folder_name

    def require(self) -> tuple[str, Path]:
        """``(node, script)`` when the tool can run here.

        Raises
        ------
        InputError
            Node.js or the package is missing (the hint says how to install them).
        """
        node = shutil.which("node")
        folder = self.folder()
        script = folder / self.script
        if node is None:
            raise InputError(f"{self.what} need Node.js, which is not installed", hint=self.hint)
        if not (script.is_file()
                and (folder / "node_modules" / self.package / "package.json").is_file()):
            raise InputError(f"{self.what} need the {self.package} package, which is not "
                             f"installed in {folder}", hint=self.hint)
        return node, script

    def run(self, args: list[str], failure: str, timeout: float) -> None:
        """Run the script with ``args``.

        Raises
        ------
        InputError
            ``failure`` (what could not be done) with the last lines the tool printed.
        """
        node, script = self.require()
        done = subprocess.run([node, str(script), *args], capture_output=True, timeout=timeout,
                              check=False)
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise InputError(f"{failure}: " + " / ".join(tail), hint=self.hint)
