"""Sky, sun, moon, stars, clouds, light and fog for the procedural generator.

All colours here are linear RGB (the final image is tone-mapped and sRGB-encoded by
:func:`to_srgb8`). :func:`lighting_for` turns a time of day (and the prompt's mood and colour
words) into a :class:`Lighting`: sun direction and colour, sky gradient, ambient light, fog.
:func:`sky_radiance` evaluates the sky for any array of view directions, vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .noise import ValueNoise
from .prompt_words import PromptWords

__all__ = ["Lighting", "lighting_for", "azimuth_elevation", "sky_radiance", "add_stars", "fog_amount",
           "fog_colour", "to_srgb8", "srgb_to_linear", "CLOUD_HEIGHT_M"]

#: Height of the cloud layer above the viewer, metres (sets how clouds shrink to the horizon).
CLOUD_HEIGHT_M = 1500.0


def srgb_to_linear(c) -> np.ndarray:
    """sRGB components in [0, 1] to linear (exact sRGB curve)."""
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lin(*rgb: float) -> np.ndarray:
    return srgb_to_linear(np.array(rgb, dtype=np.float64))


def azimuth_elevation(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit vector for an azimuth (0 = -Z, +90 = +X) and elevation, degrees."""
    a, e = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.cos(e) * np.sin(a), np.sin(e), -np.cos(e) * np.cos(a)])


@dataclass
class Lighting:
    """The light of one scene (linear RGB).

    Attributes
    ----------
    time_of_day : str
    sun_dir : (3,) float64
        Unit vector towards the sun (towards the moon at night).
    sun_colour : (3,) float64
        Direct light arriving from it.
    sun_disc : (3,) float64
        Radiance of the disc as seen in the sky.
    sun_size_deg : float
        Apparent radius of the disc (drawn larger than the real 0.27 degrees).
    zenith, horizon_sun, horizon_away : (3,) float64
        Sky colours overhead and at the horizon towards and away from the sun.
    ambient_sky, ambient_ground : (3,) float64
        Hemispherical ambient light from above and bounced from below.
    fog_density : float
        Per metre at the ground.
    fog_height : float
        Metres over which the fog thins by e.
    cloud_cover : float
        0 (clear) to 1 (overcast).
    cloud_colour : (3,) float64
    stars : float
        Star brightness (0 by day).
    is_moon : bool
        The disc is the moon (drawn with craters, no glare).
    """

    time_of_day: str
    sun_dir: np.ndarray
    sun_colour: np.ndarray
    sun_disc: np.ndarray
    sun_size_deg: float
    zenith: np.ndarray
    horizon_sun: np.ndarray
    horizon_away: np.ndarray
    ambient_sky: np.ndarray
    ambient_ground: np.ndarray
    fog_density: float
    fog_height: float
    cloud_cover: float
    cloud_colour: np.ndarray
    stars: float = 0.0
    is_moon: bool = False


def lighting_for(words: PromptWords, rng: np.random.Generator, *, fog: float = 1.0,
                 sun_azimuth_deg: float | None = None) -> Lighting:
    """The lighting for the prompt's time of day, mood and colours.

    Parameters
    ----------
    words : PromptWords
    rng : numpy.random.Generator
        Varies the sun's azimuth and the cloud cover a little.
    fog : float
        The scene's own fog multiplier (the prompt's is applied on top).
    sun_azimuth_deg : float, optional
        Where the sun stands (0 = the panorama centre, -Z); by default a little to either side.

    Returns
    -------
    Lighting
    """
    tod = words.time_of_day
    az = rng.uniform(-35.0, 35.0) if sun_azimuth_deg is None else sun_azimuth_deg
    clouds = rng.uniform(0.15, 0.4)
    if tod == "dawn":
        light = Lighting(
            tod, azimuth_elevation(az, 5.0), _lin(1.0, 0.72, 0.5) * 2.6, _lin(1.0, 0.85, 0.65) * 40.0, 1.1,
            _lin(0.50, 0.58, 0.78), _lin(1.0, 0.78, 0.58), _lin(0.80, 0.74, 0.80),
            _lin(0.52, 0.56, 0.72) * 0.9, _lin(0.45, 0.38, 0.32) * 0.5,
            0.0022, 60.0, clouds, _lin(1.0, 0.78, 0.70),
        )
    elif tod == "sunset":
        light = Lighting(
            tod, azimuth_elevation(az, 3.5), _lin(1.0, 0.55, 0.28) * 2.6, _lin(1.0, 0.7, 0.4) * 40.0, 1.2,
            _lin(0.26, 0.30, 0.55), _lin(1.0, 0.56, 0.30), _lin(0.58, 0.46, 0.58),
            _lin(0.48, 0.44, 0.60) * 0.8, _lin(0.45, 0.32, 0.25) * 0.5,
            0.0018, 60.0, clouds, _lin(1.0, 0.62, 0.45),
        )
    elif tod == "night":
        light = Lighting(
            tod, azimuth_elevation(az + 180.0 * 0.2, 32.0), _lin(0.55, 0.62, 0.8) * 0.35,
            _lin(0.95, 0.95, 0.9) * 6.0, 1.3,
            _lin(0.010, 0.016, 0.05), _lin(0.07, 0.09, 0.16), _lin(0.04, 0.055, 0.11),
            _lin(0.10, 0.13, 0.24) * 0.35, _lin(0.05, 0.05, 0.07) * 0.3,
            0.0014, 80.0, clouds * 0.6, _lin(0.12, 0.14, 0.20), stars=1.0, is_moon=True,
        )
    else:
        light = Lighting(
            "day", azimuth_elevation(az + 150.0, 52.0), _lin(1.0, 0.96, 0.88) * 3.0,
            _lin(1.0, 1.0, 0.95) * 60.0, 0.9,
            _lin(0.26, 0.48, 0.86), _lin(0.80, 0.87, 0.96), _lin(0.70, 0.81, 0.95),
            _lin(0.55, 0.66, 0.85) * 0.9, _lin(0.42, 0.38, 0.30) * 0.55,
            0.0011, 120.0, clouds, _lin(1.0, 1.0, 1.0),
        )
    light.fog_density *= fog * words.fog
    light.cloud_cover = float(np.clip(light.cloud_cover * words.clouds, 0.0, 0.9))
    if words.fog > 1.0:  # mist pales the sky and softens the sun
        light.horizon_away = 0.7 * light.horizon_away + 0.3 * light.horizon_sun
        light.zenith = 0.75 * light.zenith + 0.25 * light.horizon_away
        light.sun_colour = light.sun_colour * 0.8
    tint = np.asarray(words.tint)
    if not np.allclose(tint, 1.0):
        soft = 1.0 + 0.35 * (tint - 1.0)
        for name in ("sun_colour", "horizon_sun", "horizon_away", "cloud_colour"):
            setattr(light, name, getattr(light, name) * soft)
    return light


def _horizon(d: np.ndarray, light: Lighting) -> np.ndarray:
    """Horizon colour in the azimuth of each direction, (..., 3)."""
    hx = light.sun_dir[[0, 2]]
    hx = hx / max(np.linalg.norm(hx), 1e-9)
    flat = np.hypot(d[..., 0], d[..., 2])
    c = (d[..., 0] * hx[0] + d[..., 2] * hx[1]) / np.maximum(flat, 1e-9)
    w = (0.5 + 0.5 * c) ** 3
    return light.horizon_away + (light.horizon_sun - light.horizon_away) * w[..., None]


def fog_colour(d: np.ndarray, light: Lighting) -> np.ndarray:
    """Colour of the fog seen along directions ``d`` (..., 3): the horizon colour plus the
    sun's forward glow."""
    col = _horizon(d, light)
    mu = np.clip(d @ light.sun_dir, -1.0, 1.0)
    glow = 0.25 * np.clip(mu, 0.0, 1.0) ** 6
    return col + glow[..., None] * light.sun_colour * (0.0 if light.is_moon else 1.0)


def sky_radiance(d: np.ndarray, light: Lighting, noise: ValueNoise) -> np.ndarray:
    """Sky colour for unit directions.

    Parameters
    ----------
    d : (..., 3) float ndarray
        Unit view directions.
    light : Lighting
    noise : ValueNoise
        Drives the clouds (so the seed moves them).

    Returns
    -------
    (..., 3) float32 ndarray, linear RGB
    """
    y = d[..., 1]
    up = np.clip(y, 0.0, 1.0)
    horizon = _horizon(d, light)
    t = up ** 0.45
    col = horizon + (light.zenith - horizon) * t[..., None]
    below = np.clip(-y, 0.0, 1.0)
    col = col * (1.0 - 0.35 * np.sqrt(below))[..., None]
    mu = np.clip(d @ light.sun_dir, -1.0, 1.0)
    if not light.is_moon:
        broad = 0.12 if light.time_of_day == "day" else 0.35
        glow = 0.9 * np.clip(mu, 0.0, 1.0) ** 12 + broad * np.clip(mu, 0.0, 1.0) ** 3
        col = col + glow[..., None] * light.sun_colour * 0.35
    # clouds: value noise on a flat layer CLOUD_HEIGHT_M above, faded out towards the horizon
    if light.cloud_cover > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(y > 0.01, CLOUD_HEIGHT_M / np.maximum(y, 0.01), 0.0)
        px = (d[..., 0] * k / 900.0 + 11.0).astype(np.float32)
        pz = (d[..., 2] * k / 900.0 + 5.0).astype(np.float32)
        n = noise.fbm(px, pz, octaves=5) + 0.5
        cover = light.cloud_cover
        dens = np.clip((n - (1.0 - cover) * 0.75 - 0.12) / 0.28, 0.0, 1.0)
        dens *= np.clip((y - 0.01) / 0.12, 0.0, 1.0)
        lit = 0.55 + 0.45 * np.clip(mu, 0.0, 1.0) ** 4
        shade = 0.75 + 0.25 * (n - 0.5)
        cloud = light.cloud_colour * 1.0
        if not light.is_moon:
            cloud = cloud * (0.45 + 0.65 * (horizon.mean(axis=-1, keepdims=True)))
        ccol = cloud * (lit * shade)[..., None]
        col = col + (ccol - col) * (0.85 * dens)[..., None]
    # the disc
    cos_r = np.cos(np.radians(light.sun_size_deg))
    cos_edge = np.cos(np.radians(light.sun_size_deg * 1.25))
    disc = np.clip((mu - cos_edge) / (cos_r - cos_edge), 0.0, 1.0)
    if light.is_moon:
        # a little texture so it reads as the moon
        u = np.cross(light.sun_dir, [0.0, 1.0, 0.0])
        u /= np.linalg.norm(u)
        v = np.cross(u, light.sun_dir)
        a = (d @ u) * 180.0
        b = (d @ v) * 180.0
        mare = 0.8 + 0.2 * np.clip(
            noise.fbm((a * 0.8 + 3.0).astype(np.float32), (b * 0.8 + 7.0).astype(np.float32), 3)
            * 3.0 + 0.3, 0, 1)
        col = col + disc[..., None] * light.sun_disc * mare[..., None]
        halo = 0.15 * np.clip(mu, 0.0, 1.0) ** 400
        col = col + halo[..., None] * light.sun_disc * 0.05
    else:
        col = col + disc[..., None] * light.sun_disc
    return col.astype(np.float32)


def add_stars(sky: np.ndarray, is_sky: np.ndarray, rng: np.random.Generator,
              brightness: float) -> None:
    """Scatter stars over the sky pixels of an (H, W, 3) linear image, in place.

    Stars are points placed uniformly on the upper sphere (so they do not crowd at the pole);
    there are more, fainter ones near the zenith than the horizon's haze lets through.
    """
    if brightness <= 0:
        return
    h, w = sky.shape[:2]
    n = int(2.2 * h * w / 512)
    u = rng.random(n)
    lon = rng.uniform(-np.pi, np.pi, n)
    lat = np.arcsin(u)  # uniform on the upper hemisphere
    mag = rng.random(n) ** 6
    x = np.clip(((lon + np.pi) * w / (2 * np.pi)).astype(np.int64), 0, w - 1)
    y = np.clip(((np.pi / 2 - lat) * h / np.pi).astype(np.int64), 0, h - 1)
    haze = np.clip(np.sin(lat) * 4.0, 0.0, 1.0)
    val = brightness * (0.08 + 1.6 * mag) * haze
    keep = is_sky[y, x]
    tint = np.stack([1.0 - 0.15 * mag, np.ones_like(mag), 1.0 + 0.1 * (1 - mag)], axis=1)
    np.add.at(sky, (y[keep], x[keep]), (val[keep, None] * tint[keep]).astype(sky.dtype))


def fog_amount(t: np.ndarray, d: np.ndarray, light: Lighting, ground_y: float) -> np.ndarray:
    """Fraction of the colour replaced by fog along each ray (exponential height fog).

    The density is ``fog_density * exp(-(y - ground_y) / fog_height)``; its integral along the
    straight ray from the origin has a closed form, evaluated here.

    Parameters
    ----------
    t : (...) float ndarray
        Distance along the ray, metres.
    d : (..., 3) float ndarray
        Unit directions.
    light : Lighting
    ground_y : float
        Height of the ground at the viewer (metres, negative: below the eye).

    Returns
    -------
    (...) float64 ndarray in [0, 1]
    """
    hgt = light.fog_height
    k = d[..., 1] / hgt
    base = light.fog_density * np.exp(ground_y / hgt)  # density at the eye
    small = np.abs(k * t) < 1e-4
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        integ = np.where(small, t, (1.0 - np.exp(-k * t)) / np.where(small, 1.0, k))
    optical = base * integ
    return 1.0 - np.exp(-np.clip(optical, 0.0, 60.0))


def to_srgb8(lin: np.ndarray, exposure: float = 1.0) -> np.ndarray:
    """Tone-map linear RGB (a gentle filmic shoulder) and encode as sRGB uint8.

    Parameters
    ----------
    lin : (..., 3) float ndarray
        Linear radiance.
    exposure : float

    Returns
    -------
    (..., 3) uint8 ndarray
    """
    x = np.maximum(np.asarray(lin, dtype=np.float32) * np.float32(exposure), 0.0)
    # Reinhard on values above a knee keeps mid-tones linear and rolls off highlights.
    knee = np.float32(0.6)
    over = np.maximum(x - knee, 0.0)
    y = np.minimum(x, knee) + over / (1.0 + over / np.float32(1.0 - knee))
    y = np.clip(y, 0.0, 1.0)
    s = np.where(y <= 0.0031308, 12.92 * y, 1.055 * np.power(y, 1.0 / 2.4) - 0.055)
    return np.clip(s * 255.0 + 0.5, 0, 255).astype(np.uint8)
