"""×4 RGBD upscaling (LDM3D-SR and a classical path) and pole repair for 360° panoramas.

Importing the package is cheap (no torch, no OpenCV); each part imports what it needs when it
runs:

- :mod:`.classical`: OpenCV bicubic colour and RGB-guided depth, no weights (the default
  when no LDM3D-SR weights are on disk);
- :mod:`.weights`: the ``ldm3d-sr`` model spec and the folder check that refuses a non-SR
  model before any weight is read;
- :mod:`.loading`: the SR components loaded from a checked folder (safetensors only);
- :mod:`.tiles`: the wrap-around tile grid and the blending weights;
- :mod:`.pipeline`: Panoforge's own tiled SR denoising loop and tiled VAE encode/decode;
- :mod:`.backend`: the ``ldm3d-sr`` upscaler (plan, run, result);
- :mod:`.upscale`: one entry point that picks the method;
- :mod:`.depth_codec`, :mod:`.quality`: depth in/out, and the measures the tests use.
"""
