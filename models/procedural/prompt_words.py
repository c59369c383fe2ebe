"""Read a prompt the way the procedural generator understands it: scene, time of day, colours.

The procedural generator has no language model; it looks for plain keywords. This module is
the whole vocabulary, so what a prompt can change is documented in one place:

- **scene**: ``forest`` (forest, pine, woods, trees, ...), ``desert`` (desert, dunes, sand,
  ...), ``mountains`` (snow, mountain, alpine, peaks, ...), ``beach`` (ocean, beach, sea,
  coast, ...), ``hall`` (room, hall, interior, library, cathedral, ...), ``cave`` (cave,
  cavern, grotto, ...). Nouns weigh 2, modifiers such as "snowy", "sandy", "pine" weigh 1; the
  scene with the highest total wins, ties go to the word that comes first. With no scene word
  the seed picks one.
- **time of day**: dawn/sunrise/morning, day/noon/afternoon, sunset/dusk/evening,
  night/moon/stars; default ``day``. The last time word in the prompt wins.
- **mood**: misty/foggy/hazy (more fog), clear (less fog), cloudy/stormy/overcast (more cloud),
  snowy/winter (snow cover), autumn/fall (autumn foliage), lush (greener).
- **colours**: red, orange, golden, yellow, green, blue, purple, pink, white, grey, black,
  dark, bright; they tint the scene's main material and a little of its light.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "SCENES", "TIMES_OF_DAY", "SCENE_WORDS", "TIME_WORDS", "COLOUR_WORDS", "PromptWords",
    "parse_prompt",
]

SCENES = ("forest", "desert", "mountains", "beach", "hall", "cave")
TIMES_OF_DAY = ("dawn", "day", "sunset", "night")

#: word -> (scene, weight). Nouns weigh 2, modifiers 1.
SCENE_WORDS: dict[str, tuple[str, int]] = {
    **{w: ("forest", 2) for w in ("forest", "forests", "woods", "woodland", "woodlands",
                                  "trees", "grove", "taiga", "jungle")},
    **{w: ("forest", 1) for w in ("pine", "pines", "tree", "wooded", "fir", "spruce")},
    **{w: ("desert", 2) for w in ("desert", "deserts", "dunes", "dune", "sahara", "wasteland",
                                  "badlands", "mesa")},
    **{w: ("desert", 1) for w in ("sand", "sandy", "arid")},
    **{w: ("mountains", 2) for w in ("mountain", "mountains", "alpine", "alps", "peaks",
                                     "peak", "summit", "glacier", "valley", "ridge")},
    **{w: ("mountains", 1) for w in ("snow", "snowy", "snowcapped", "icy")},
    **{w: ("beach", 2) for w in ("ocean", "beach", "sea", "coast", "coastline", "shore",
                                 "seaside", "bay", "island", "lagoon")},
    **{w: ("beach", 1) for w in ("waves", "tropical", "surf")},
    **{w: ("hall", 2) for w in ("room", "hall", "interior", "library", "cathedral", "church",
                                "temple", "palace", "museum", "corridor", "chamber",
                                "ballroom", "castle")},
    **{w: ("hall", 1) for w in ("indoor", "indoors", "inside", "marble")},
    **{w: ("cave", 2) for w in ("cave", "caves", "cavern", "caverns", "grotto", "tunnel",
                                "mine", "underground")},
    **{w: ("cave", 1) for w in ("stalactites", "stalagmites", "crystal", "crystals")},
}

TIME_WORDS: dict[str, str] = {
    **{w: "dawn" for w in ("dawn", "sunrise", "morning", "daybreak")},
    **{w: "day" for w in ("day", "noon", "midday", "afternoon", "daylight", "sunny",
                          "daytime")},
    **{w: "sunset" for w in ("sunset", "dusk", "evening", "twilight", "sundown")},
    **{w: "night" for w in ("night", "moon", "moonlit", "moonlight", "midnight", "starry",
                            "stars", "nighttime")},
}

#: colour word -> linear-ish RGB multiplier (around 1).
COLOUR_WORDS: dict[str, tuple[float, float, float]] = {
    "red": (1.45, 0.72, 0.62), "crimson": (1.45, 0.62, 0.62), "orange": (1.4, 0.95, 0.55),
    "golden": (1.35, 1.1, 0.6), "gold": (1.35, 1.1, 0.6), "yellow": (1.3, 1.25, 0.6),
    "green": (0.8, 1.3, 0.8), "emerald": (0.7, 1.3, 0.85), "blue": (0.7, 0.9, 1.45),
    "turquoise": (0.65, 1.2, 1.25), "purple": (1.15, 0.75, 1.4), "violet": (1.1, 0.75, 1.45),
    "pink": (1.4, 0.85, 1.05), "white": (1.3, 1.3, 1.3), "grey": (0.85, 0.85, 0.85),
    "gray": (0.85, 0.85, 0.85), "black": (0.45, 0.45, 0.45), "dark": (0.6, 0.6, 0.62),
    "bright": (1.25, 1.25, 1.25),
}

_FOG_MORE = {"misty", "mist", "foggy", "fog", "hazy", "haze", "smoky", "dreamy", "ethereal"}
_FOG_LESS = {"clear", "crisp", "sharp"}
_CLOUD_MORE = {"cloudy", "clouds", "overcast", "stormy", "storm", "rainy", "grey", "gray"}
_SNOW = {"snow", "snowy", "winter", "frozen", "icy", "snowcapped", "frosty"}
_AUTUMN = {"autumn", "fall", "autumnal"}
_LUSH = {"lush", "verdant", "green", "spring", "summer"}

_WORD = re.compile(r"[a-z]+")


@dataclass
class PromptWords:
    """What the procedural generator read from a prompt.

    Attributes
    ----------
    scene : str or None
        One of :data:`SCENES`, or ``None`` when no scene word was found.
    time_of_day : str
        One of :data:`TIMES_OF_DAY`.
    fog : float
        Fog multiplier (1 = the scene's default; misty words raise it).
    clouds : float
        Cloud cover multiplier.
    snow, autumn, lush : bool
    tint : (3,) tuple of float
        Product of the colour words' multipliers ((1, 1, 1) when none).
    colours : list of str
        The colour words found, in order.
    variant : str
        A scene variant named by the prompt ("library", "cathedral", "palm", ...), or "".
    """

    scene: str | None = None
    time_of_day: str = "day"
    fog: float = 1.0
    clouds: float = 1.0
    snow: bool = False
    autumn: bool = False
    lush: bool = False
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    colours: list[str] = field(default_factory=list)
    variant: str = ""

    def to_dict(self) -> dict:
        """Plain JSON types, for the result's metadata."""
        return {
            "scene": self.scene, "time_of_day": self.time_of_day, "fog": self.fog,
            "clouds": self.clouds, "snow": self.snow, "autumn": self.autumn, "lush": self.lush,
            "tint": list(self.tint), "colours": list(self.colours), "variant": self.variant,
        }


_VARIANTS = ("library", "cathedral", "church", "temple", "palace", "tropical", "palm",
             "crystal", "crystals", "canyon", "mesa", "glacier", "lake", "lava")


def parse_prompt(prompt: str) -> PromptWords:
    """Find the scene, time of day, mood and colour words in ``prompt``.

    Parameters
    ----------
    prompt : str
        Free text, any case.

    Returns
    -------
    PromptWords
    """
    words = _WORD.findall(prompt.lower())
    scores: dict[str, int] = {}
    first: dict[str, int] = {}
    time = "day"
    out = PromptWords()
    tint = [1.0, 1.0, 1.0]
    for pos, w in enumerate(words):
        if w in SCENE_WORDS:
            scene, weight = SCENE_WORDS[w]
            scores[scene] = scores.get(scene, 0) + weight
            first.setdefault(scene, pos)
        if w in TIME_WORDS:
            time = TIME_WORDS[w]
        if w in COLOUR_WORDS:
            out.colours.append(w)
            tint = [a * b for a, b in zip(tint, COLOUR_WORDS[w], strict=True)]
        if w in _FOG_MORE:
            out.fog = max(out.fog, 3.0)
        if w in _FOG_LESS:
            out.fog = min(out.fog, 0.4)
        if w in _CLOUD_MORE:
            out.clouds = max(out.clouds, 2.0)
        if w in _SNOW:
            out.snow = True
        if w in _AUTUMN:
            out.autumn = True
        if w in _LUSH:
            out.lush = True
        if w in _VARIANTS and not out.variant:
            out.variant = {"church": "cathedral", "temple": "cathedral", "crystals": "crystal",
                           "palm": "tropical"}.get(w, w)
    if scores:
        best = max(scores.values())
        out.scene = min((s for s, v in scores.items() if v == best), key=first.__getitem__)
    out.time_of_day = time
    out.tint = (float(tint[0]), float(tint[1]), float(tint[2]))
    return out
