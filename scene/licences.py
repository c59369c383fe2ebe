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
    """Licence records in a prop's ``source`` dict.

    ``licence`` may be a record, a list of records, or a bare SPDX id with ``commercial_use``
    beside it (without it: non-commercial when the id says so, ``CC-BY-NC-*``, else not
    known). The built-in procedural props (``backend == "procedural"``) carry none.
    """
    if source.get("backend") == "procedural":
        return []
    lic = source.get("licences", source.get("licence"))
    if isinstance(lic, dict):
        return [lic]
    if isinstance(lic, list):
        return [r for r in lic if isinstance(r, dict)]
    if isinstance(lic, str) and lic:
        use = source.get("commercial_use")
        if not isinstance(use, bool):
            use = False if "-NC" in lic.upper() else None
        rec = {"model": str(source.get("model_id", "")), "spdx": lic, "commercial_use": use}
        for key, name in (("licence_name", "name"), ("licence_url", "url"),
                          ("conditions", "conditions")):
            if key in source:
                rec[name] = source[key]
        return [rec]
    return []


def _from_record(record: dict) -> list[dict]:
    """Licence records of a metadata record: ``licences``, then what stages put in ``extra``
    (an ``extra["licences"]`` list, or a ``"licence"`` record inside an ``extra`` entry such
    as ``extra["depth_estimation"]``)."""
    found = [r for r in record.get("licences") or () if isinstance(r, dict)]
    extra = record.get("extra") or {}
    if isinstance(extra, dict):
        found += [r for r in extra.get("licences") or () if isinstance(r, dict)]
        for value in extra.values():
            if isinstance(value, dict) and isinstance(value.get("licence"), dict):
                found.append(value["licence"])
    return found


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
        add(_from_record(thing))
    elif hasattr(thing, "dome") or hasattr(thing, "props"):  # Scene, or a project Result
        add(collect(thing.dome if hasattr(thing, "dome") else thing.panorama))
        for layer in getattr(thing, "layers", ()):
            add(collect(layer.panorama))
        for prop in getattr(thing, "props", ()):
            add(_from_source(getattr(prop, "source", {}) or {}))
    elif hasattr(thing, "licences"):  # GenerationMetadata
        add(_from_record({"licences": thing.licences, "extra": getattr(thing, "extra", {})}))
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
