"""Pack resources/icons/panoforge-*.png into packaging/windows/panoforge.ico (Pillow)."""

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(s, s) for s in (16, 24, 32, 48, 64, 128, 256)]

if __name__ == "__main__":
    big = Image.open(ROOT / "resources" / "icons" / "panoforge-256.png")
    big.save(Path(__file__).with_name("panoforge.ico"), sizes=SIZES)
