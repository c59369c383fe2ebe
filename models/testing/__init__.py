"""Tiny random-weight models of each family, for tests and benchmarks (never used by the app).

Each builder writes a folder with the real model's layout and configuration keys (random
weights, safetensors, tokenizer files written here) that Panoforge's real loading code then
reads back; nothing here is a trained model, and nothing it draws is a picture.

:mod:`models.testing.tiny_ldm3d`
    LDM3D pipelines (4- and 6-channel VAEs) and a CLIP tokenizer.
:mod:`models.testing.tiny_ldm3d_sr`
    An LDM3D-SR (x4 upscaling) pipeline.
:mod:`models.testing.tiny_lrm`
    An OpenLRM checkpoint and analytic triplanes.
:mod:`models.testing.tiny_depth_anything`
    A Depth Anything V2 model.

torch, diffusers and transformers are imported inside the builders, so importing this
package costs nothing.
"""
