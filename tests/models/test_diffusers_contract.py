"""diffusers must still ship the LDM3D pipeline; pyproject's upper bound relies on this test."""

import inspect


def test_ldm3d_pipeline_is_importable():
    from diffusers import StableDiffusionLDM3DPipeline

    assert callable(getattr(StableDiffusionLDM3DPipeline, "from_pretrained", None))
    params = inspect.signature(StableDiffusionLDM3DPipeline.__call__).parameters
    assert {"prompt", "callback_on_step_end", "latents", "output_type"} <= set(params)
