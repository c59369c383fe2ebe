"""The one declared seed range, checked once by GenerationRequest for every backend."""

from __future__ import annotations

import numpy as np
import pytest

from models.base import SEED_MAX, SEED_MIN, GenerationRequest
from scene.errors import InputError


@pytest.mark.parametrize("seed", [SEED_MIN, 7, 2**31, SEED_MAX, np.int64(5)])
def test_every_seed_in_the_declared_range_is_accepted(seed):
    assert GenerationRequest(prompt="p", seed=seed).seed == int(seed)
    assert type(GenerationRequest(prompt="p", seed=seed).seed) is int


@pytest.mark.parametrize("seed", [-1, SEED_MAX + 1, True, 1.5, "7"])
def test_seeds_outside_the_range_are_refused_with_a_hint(seed):
    with pytest.raises(InputError, match="seed must be a whole number") as err:
        GenerationRequest(prompt="p", seed=seed)
    assert err.value.hint


def test_the_range_is_what_the_generators_take():
    import torch

    torch.Generator().manual_seed(SEED_MAX + 1)  # LDM3D seeds its generator with seed + 1
    np.random.SeedSequence(SEED_MAX)
