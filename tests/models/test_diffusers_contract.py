"""diffusers must still ship the LDM3D pipeline; pyproject's upper bound relies on this test."""


def test_ldm3d_pipeline_is_importable():
    from diffusers import StableDiffusionLDM3DPipeline

    assert callable(getattr(StableDiffusionLDM3DPipeline, "from_pretrained", None))
    assert "prompt" in StableDiffusionLDM3DPipeline.__call__.__code__.co_varnames
