"""The README's images are what tools/readme_images.py makes from the current code.

The script is run once (module fixture) into a temporary folder, and every image it makes
is compared with the committed one in docs/images/: same size, a mean difference of at most
``MEAN_LEVELS`` levels, and at most the entry's ``tolerance`` fraction of pixels differing by
more than ``LEVELS`` levels in a channel (the run-to-run spread is measured and stated in
tools/readme_images.py: llvmpipe's texture sampling, the window's live text). A stale image
(a render from older code) differs in most of its pixels. The README must show every image.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.gl, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("readme_images", ROOT / "tools" / "readme_images.py")
readme_images = importlib.util.module_from_spec(_spec)
sys.modules["readme_images"] = readme_images  # (dataclasses look their module up there)
_spec.loader.exec_module(readme_images)


def test_the_readme_shows_every_image_and_each_image_has_an_entry():
    text = (ROOT / "README.md").read_text("utf-8")
    shown = set(re.findall(r"docs/images/([\w.-]+\.png)", text))
    made = {i.name for i in readme_images.IMAGES} | set(readme_images.EXTERNAL)
    assert shown <= made, f"README images no entry makes: {sorted(shown - made)}"
    assert {i.name for i in readme_images.IMAGES} <= shown, "an entry the README does not show"
    for image in readme_images.IMAGES:
        assert (readme_images.IMAGES_DIR / image.name).is_file(), image.name


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("readme_images")
    assert readme_images.main(["--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("image", readme_images.IMAGES, ids=lambda i: i.name)
def test_committed_image_matches_what_the_script_makes_now(made, image):
    new = np.asarray(Image.open(made / image.name).convert("RGB"), dtype=np.int16)
    old = np.asarray(Image.open(readme_images.IMAGES_DIR / image.name).convert("RGB"),
                     dtype=np.int16)
    assert new.shape == old.shape, (image.name, new.shape, old.shape)
    diff = np.abs(new - old)
    differs = float((diff.max(axis=-1) > readme_images.LEVELS).mean())
    assert float(diff.mean()) <= readme_images.MEAN_LEVELS, (image.name, float(diff.mean()))
    assert differs <= image.tolerance, (
        f"{image.name}: {differs:.2%} of the pixels differ (allowed {image.tolerance:.2%}); "
        "regenerate with: xvfb-run -a python tools/readme_images.py")
