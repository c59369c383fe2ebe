"""LRM (Large Reconstruction Model, Hong et al. 2023): one picture of an object → 3D mesh.

OpenLRM's open checkpoints (``zxhezexin/openlrm-mix-base-1.1``, ``-large-1.1``; weights
CC-BY-NC-4.0, non-commercial use only) run on Panoforge's own torch implementation. Importing
the package is cheap (no torch); the parts:

- :mod:`.weights`: where checkpoints live, ``config.json`` checks, refusals before any weight
  is read (standard library only);
- :mod:`.network`: the architecture (DINO/DINOv2 encoder from transformers, camera-modulated
  image-to-triplane transformer, triplane MLP);
- :mod:`.convert`: OpenLRM's checkpoint names ↔ the modules';
- :mod:`.loading`: building the network and loading ``model.safetensors``;
- :mod:`.preprocess`: cutting the object out and centring it as LRM expects;
- :mod:`.reconstruct`: picture → triplane → density field → marching-cubes mesh.

The prop pipeline that uses it (and the weight-free ``procedural`` prop backend) is
:mod:`models.props`.
"""
