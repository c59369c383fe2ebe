"""KTX2 (Basis ETC1S, :mod:`scene.texture_ktx2`) against JPEG quality 92 for the forest dome.

Run::

    .venv/bin/python benchmarks/bench_texture_ktx2.py                 # 1024 and 4096 px
    .venv/bin/python benchmarks/bench_texture_ktx2.py --sizes 1024

Prints, per width, the bytes and seconds of each encoding (KTX2 includes the whole mip chain;
JPEG has none). Needs Node.js and ``tools/ktx2``'s ``ktx2-encoder``. Numbers only.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.bench_export_presets import forest  # noqa: E402
from scene.texture_ktx2 import encode_ktx2  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096])
    args = ap.parse_args()
    from PIL import Image

    print(f"{'width':>6} {'JPEG q92 kB':>12} {'s':>6} {'KTX2 kB':>9} {'s':>6} {'KTX2/JPEG':>10}")
    for width in args.sizes:
        rgb = np.ascontiguousarray(forest(width).dome.rgb)
        t0 = time.perf_counter()
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="JPEG", quality=92)
        jpeg_s = time.perf_counter() - t0
        rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
        t0 = time.perf_counter()
        ktx2 = encode_ktx2(rgba)
        ktx2_s = time.perf_counter() - t0
        jpeg = len(buf.getvalue())
        print(f"{width:>6} {jpeg / 1e3:>12.1f} {jpeg_s:>6.2f} {len(ktx2) / 1e3:>9.1f} "
              f"{ktx2_s:>6.2f} {len(ktx2) / jpeg:>10.2f}")


if __name__ == "__main__":
    main()
