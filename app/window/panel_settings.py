"""Everything the Generate panel holds, as one value: taken from the panel, put back into it.

Prompt history (:mod:`app.window.prompt_history`) and the user's presets
(:mod:`app.window.user_presets`) both keep :class:`PanelSettings`: what a user typed and
chose in the panel, so restoring one sets every field (the seed and its lock too) exactly as
it was. The device is a preference (Edit ▸ Preferences), not a panel field, so it is left out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

__all__ = ["PanelSettings", "capture", "restore"]


@dataclass(frozen=True)
class PanelSettings:
    """The Generate panel's fields.

    Parameters
    ----------
    backend : str
        Registry name (``"procedural"``, ``"ldm3d-pano"``…).
    prompt, negative : str
    seed : int
        ``models.base.SEED_MIN`` .. ``SEED_MAX``.
    seed_locked : bool
    steps : int
        Denoising steps (count).
    guidance : float
        Guidance scale (unitless).
    width, height : int
        Pixels.
    seamless : bool
    model : str
        Local weights folder ("" = the Hugging Face cache or none needed).
    """

    backend: str = "procedural"
    prompt: str = ""
    negative: str = ""
    seed: int = 0
    seed_locked: bool = False
    steps: int = 1
    guidance: float = 0.0
    width: int = 512
    height: int = 256
    seamless: bool = True
    model: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data) -> PanelSettings | None:
        """Back from :meth:`to_dict` (stored JSON); ``None`` when it is not one.

        Unknown keys are ignored and missing ones take the defaults, so entries written by
        another version still load.
        """
        if not isinstance(data, dict):
            return None
        kwargs = {}
        try:
            for f in fields(cls):
                if f.name in data:
                    kind = {"str": str, "int": int, "float": float, "bool": bool}[f.type]
                    value = data[f.name]
                    kwargs[f.name] = (value is True or str(value).lower() == "true"
                                      if kind is bool else kind(value))
        except (TypeError, ValueError, KeyError):
            return None
        return cls(**kwargs)

    def key(self) -> tuple:
        """What makes two history entries the same request apart from the seed."""
        d = self.to_dict()
        d.pop("seed")
        d.pop("seed_locked")
        return tuple(sorted(d.items()))

    def summary(self) -> str:
        """One line: backend, size, steps, guidance, seed (the history menu's entries)."""
        bits = [self.backend, f"{self.width}×{self.height}"]
        if self.backend != "procedural":
            bits += [f"{self.steps} steps", f"guidance {self.guidance:g}"]
        bits.append(f"seed {self.seed}")
        return " · ".join(bits)

    def describe(self) -> str:
        """Several lines, every field (tooltips)."""
        lines = [f"Prompt: {self.prompt or '(empty)'}"]
        if self.negative:
            lines.append(f"Negative: {self.negative}")
        lines.append(f"Backend: {self.backend}, {self.width}×{self.height} px")
        lines.append(f"Steps {self.steps}, guidance {self.guidance:g}, "
                     f"seed {self.seed}{' (locked)' if self.seed_locked else ''}")
        lines.append(f"Seamless 360° seam: {'on' if self.seamless else 'off'}")
        if self.model:
            lines.append(f"Weights: {self.model}")
        return "\n".join(lines)


def capture(panel) -> PanelSettings:
    """The current fields of ``panel`` (:class:`~app.window.generate_panel.GeneratePanel`)."""
    w, h = panel.size()
    return PanelSettings(
        backend=panel.backend_name,
        prompt=panel.prompt_edit.toPlainText().strip(),
        negative=panel.negative_edit.toPlainText().strip(),
        seed=int(panel.seed_spin.value()),
        seed_locked=bool(panel.seed_lock.isChecked()),
        steps=int(panel.steps_spin.value()),
        guidance=float(panel.guidance_spin.value()),
        width=int(w), height=int(h),
        seamless=bool(panel.seamless_check.isChecked()),
        model=panel.model_edit.text().strip() if panel.model_edit.isEnabled() else "",
    )


def restore(panel, s: PanelSettings) -> list[str]:
    """Set every field of ``panel`` from ``s``; what could not be set, in words.

    The backend goes first (choosing one resets steps, guidance and sizes to its defaults),
    then the other fields. A backend this build does not offer keeps the current one and is
    named in the returned list.
    """
    problems = []
    if panel.backend_combo.findData(s.backend) >= 0:
        panel.set_backend(s.backend)
    else:
        problems.append(f"backend “{s.backend}” is not available here")
    panel.prompt_edit.setPlainText(s.prompt)
    panel.negative_edit.setPlainText(s.negative)
    panel.seed_spin.setValue(int(s.seed))
    panel.seed_lock.setChecked(bool(s.seed_locked))
    panel.steps_spin.setValue(int(s.steps))
    panel.guidance_spin.setValue(float(s.guidance))
    panel.set_size(int(s.width), int(s.height))
    panel.seamless_check.setChecked(bool(s.seamless))
    # an empty folder keeps the backend's folder from the preferences (restoring never forgets
    # where a user's weights are); a named one is chosen as if picked with "…"
    if s.model and panel.model_edit.isEnabled() and panel.model_edit.text().strip() != s.model:
        panel.choose_model_folder(s.model)
    return problems
