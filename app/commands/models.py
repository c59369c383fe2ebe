"""``panoforge models``: which models are installed, where, under which licence; add; verify."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "list the models (installed/missing/damaged, licence), add a copied folder, verify"
DESCRIPTION = """\
Every model Panoforge knows, with its status on this computer (installed, missing, damaged),
the folder it was found in, its size and revision, its licence, whether that licence allows
commercial use, and the exact command that downloads it.

  panoforge models                      the list
  panoforge models add FOLDER|ARCHIVE   install weights copied from another computer (a USB
                                        drive, a .zip/.tar of the folder) into the models
                                        directory, after checking the file set and the SHA-256
                                        of each weight file; --model NAME when the folder alone
                                        does not say which model it is
  panoforge models verify [FOLDER]      re-check every installed model (or one folder) byte
                                        for byte; exits 1 naming each damaged file

The models directory is $PANOFORGE_MODELS (default ~/.local/share/panoforge/models); the
Hugging Face cache is looked at after it. Pickle weights (.bin, .pt, .ckpt) are never loaded
or installed. Revisions without published checksums are accepted with a warning.

examples:
  panoforge models
  panoforge models add /media/usb/ldm3d-pano
  panoforge models add /media/usb/Depth-Anything-V2-Small-hf.zip
  panoforge models verify
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print the list (or the verify result) as JSON")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    add = sub.add_parser("add", help="install a model folder or archive into the models directory",
                         description="Check a copied model folder (or a .zip/.tar of one) and "
                         "install it into the models directory.")
    add.add_argument("source", metavar="FOLDER|ARCHIVE")
    add.add_argument("--model", metavar="NAME",
                     help="which model it is (backend name or Hugging Face id), when the "
                     "folder alone does not say")
    verify = sub.add_parser("verify", help="re-check installed models byte for byte",
                            description="Check the file set, the safetensors headers and the "
                            "SHA-256 of every weight file; exit 1 naming each damaged file.")
    verify.add_argument("folder", nargs="?", metavar="FOLDER",
                        help="one model folder (default: every installed model)")
    verify.add_argument("--model", metavar="NAME", help="which model FOLDER holds")
    verify.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print the result as JSON")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def _licence_line(e) -> str:
    lic = e.licence
    yes = "yes" if lic.commercial_use else "NO (non-commercial only)"
    return f"{lic.name} ({lic.spdx}), {lic.url}; commercial use: {yes}"


def _status_dict(st) -> dict:
    e = st.entry
    return {"id": e.id, "backend": e.backend, "family": e.family, "task": e.task,
            "status": st.state, "folder": str(st.folder) if st.folder else None,
            "size_bytes": st.size_bytes, "revision": st.revision,
            "licence": e.licence.to_dict(), "commercial_use": e.commercial_use,
            "download": st.download, "problems": [str(p) for p in st.problems],
            "warnings": st.warnings}


def _list(args) -> int:
    from models.store import list_status
    from models.weights_discovery import hf_hub_cache, models_home

    statuses = list_status()
    if args.json:
        print(json.dumps([_status_dict(s) for s in statuses], indent=1))
        return 0
    print(f"models directory: {models_home()}  (set PANOFORGE_MODELS to move it)")
    print(f"Hugging Face cache: {hf_hub_cache()}")
    for st in statuses:
        e = st.entry
        head = f"\n{e.backend:<32} {st.state.upper() if st.state == 'damaged' else st.state}"
        if st.folder is not None:
            head += f", {_size(st.size_bytes)}"
            head += f", revision {st.revision[:12]}" if st.revision else ", revision not recorded"
        print(head)
        print(f"    {e.id}: {e.task}")
        if st.folder is not None:
            print(f"    folder: {st.folder}")
        for p in st.problems:
            print(f"    damaged: {p}")
        for w in st.warnings:
            print(f"    note: {w}")
        print(f"    licence: {_licence_line(e)}")
        if e.licence.conditions:
            print(f"    terms: {e.licence.conditions}")
        if st.state in ("missing", "damaged"):
            print(f"    get it: {st.download}" + (f"  ({e.size_hint})" if e.size_hint else ""))
    known = {st.entry.backend for st in statuses}
    home = models_home()
    strays = sorted(p for p in home.iterdir() if p.is_dir() and not p.name.startswith(".")
                    and p.name not in known) if home.is_dir() else []
    for p in strays:
        print(f"\n{p.name:<32} not a model name Panoforge knows: nothing looks in {p}")
        print(f"    install it under its name with: panoforge models add {p}")
    print("\nOn a computer without a network: run the 'get it' command elsewhere, copy the "
          "folder, then 'panoforge models add FOLDER'.")
    return 0


def _progress(rel: str, size: int) -> None:
    if size >= 50_000_000:
        print(f"  reading {rel} ({_size(size)})", file=sys.stderr, flush=True)


def _add(args) -> int:
    from models.store import add_model

    report = add_model(args.source, args.model, on_file=_progress)
    e = report.entry
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    verb = "replaced" if report.replaced else "installed"
    rev = f" (revision {report.revision[:12]})" if report.revision else ""
    print(f"{verb} {e.id}{rev} in {report.folder}")
    print(f"licence: {_licence_line(e)}")
    if not e.commercial_use:
        print(f"note: results made with {e.id} may not be used commercially", file=sys.stderr)
    return 0


def _verify(args) -> int:
    from pathlib import Path

    from models.store import identify, verify_folder, verify_installed
    from scene.errors import InputError

    if args.folder:
        folder = Path(args.folder).expanduser()
        if not folder.is_dir():
            raise InputError(f"{folder} is not a folder",
                             hint="give a model folder, or nothing to check every installed model")
        statuses = [verify_folder(folder, identify(folder, args.model), on_file=_progress)]
    else:
        statuses = verify_installed(on_file=_progress)
    if args.json:
        print(json.dumps([_status_dict(s) for s in statuses], indent=1))
    elif not statuses:
        print("no models installed: nothing to verify ('panoforge models' says how to get them)")
    for st in statuses if not args.json else ():
        if st.state == "damaged":
            print(f"DAMAGED {st.entry.backend}: {st.folder}")
            for p in st.problems:
                print(f"    {p}")
            print(f"    fix: {st.download}, or copy the damaged files again")
        else:
            against = f" (checked against {st.verified})" if st.verified else ""
            print(f"ok {st.entry.backend}: {st.folder}{against}")
        for w in st.warnings:
            print(f"    warning: {w}")
    return 1 if any(s.state == "damaged" for s in statuses) else 0


def run(args: argparse.Namespace) -> int:
    if args.action == "add":
        return _add(args)
    if args.action == "verify":
        return _verify(args)
    return _list(args)
