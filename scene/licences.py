"""Which model licences a result or a scene depends on, and the one warning export gives.

Pure Python: the licence records themselves come from ``models.catalog.licence_records`` when
a result is made (they are stored in :attr:`GenerationMetadata.licences`); here they are only
gathered and read, so the command line, the window and every exporter say the same thing.

A record is a dict with at least ``model`` and ``commercial_use`` (``True``, ``False``, or
``None`` when the licence is not known); ``spdx``, ``name``, ``url`` and ``conditions`` say more.
"""

from __future__ import annotations

__all__ = ["collect", "non_commercial", "unknown", "export_warning"]


def _from_source(source: dict) -> list[dict]:
    """Licence records in a prop's ``source`` dict (``licence``: a record, or a list of them)."""
    lic = source.get("licences", source.get("licence"))
    if isinstance(lic, dict):
        return [lic]
    if isinstance(lic, list):
        return [r for r in lic if isinstance(r, dict)]
    if isinstance(lic, str) and lic:
        # a bare SPDX id: non-commercial when the id says so (CC-BY-NC-*), else not known
        nc = "-NC" in lic.upper()
        return [{"model": str(source.get("model_id", "")), "spdx": lic,
                 "commercial_use": False if nc else None}]
    return []


def collect(thing) -> list[dict]:
    """Every licence record ``thing`` depends on, without repeats, in order.

    Parameters
    ----------
    thing : RGBDPanorama, GenerationMetadata, Scene, Result, dict or list
        A panorama (its ``metadata``), a metadata object, a :class:`scene.composition.Scene`
        or a project ``Result`` (the dome, each layer's panorama and each prop's ``source``),
        a metadata record dict (``record()``), or a list of records.

    Returns
    -------
    list of dict
    """
    found: list[dict] = []

    def add(records) -> None:
        for rec in records or ():
            if isinstance(rec, dict) and rec not in found:
                found.append(rec)

    if isinstance(thing, list):
        add(thing)
    elif isinstance(thing, dict):
        add(thing.get("licences"))
    elif hasattr(thing, "dome") or hasattr(thing, "props"):  # Scene, or a project Result
        add(collect(thing.dome if hasattr(thing, "dome") else thing.panorama))
        for layer in getattr(thing, "layers", ()):
            add(collect(layer.panorama))
        for prop in getattr(thing, "props", ()):
            add(_from_source(getattr(prop, "source", {}) or {}))
    elif hasattr(thing, "licences"):  # GenerationMetadata
        add(thing.licences)
    elif hasattr(thing, "metadata"):  # a panorama
        add(collect(thing.metadata))
    return found


def non_commercial(thing) -> list[str]:
    """Models ``thing`` depends on whose licence forbids commercial use."""
    return [str(r.get("model", "")) for r in collect(thing) if r.get("commercial_use") is False]


def unknown(thing) -> list[str]:
    """Models ``thing`` depends on whose licence Panoforge does not know."""
    return [str(r.get("model", "")) for r in collect(thing) if r.get("commercial_use") is None]


def export_warning(thing) -> str:
    """The warning an export prints once, or ``""`` when every model allows commercial use.

    Names each non-commercial model with its licence, and each model of unknown licence.
    """
    recs = collect(thing)
    nc = [r for r in recs if r.get("commercial_use") is False]
    unk = [r for r in recs if r.get("commercial_use") is None]
    parts = []
    if nc:
        names = ", ".join(f"{r.get('model', '?')} ({r.get('spdx', 'licence unknown')})" for r in nc)
        parts.append(f"this file depends on a model licensed for non-commercial use only: "
                     f"{names}; do not sell it or use it commercially")
    if unk:
        names = ", ".join(str(r.get("model", "?")) for r in unk)
        parts.append(f"the licence of {names} is not known to Panoforge: read its model card "
                     "before any commercial use")
    return "; ".join(parts)
