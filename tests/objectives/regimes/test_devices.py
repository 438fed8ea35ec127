"""Device names: what is accepted, and a device torch cannot see is one error line."""

from __future__ import annotations

import pytest
import torch

from objectives import ConfigError
from objectives.regimes import check_device, unsupported_device


@pytest.mark.parametrize("name", ["auto", "cpu", "cuda", "cuda:0", "cuda:12", "cuda:0,cuda:1", "cuda:3,cuda:1,cuda:3"])
def test_device_names_accepted(name: str) -> None:
    assert unsupported_device(name) is None


@pytest.mark.parametrize("name", ["cudafoo", "cuda:", "cuda:x", "cuda:0,1", "cuda0", "gpu", "CPU", "mps", "cuda:0,",
                                  "cuda,cuda:1", "cpu,cuda:0"])
def test_device_names_refused(name: str) -> None:
    assert unsupported_device(name) == (f"device {name!r} is not supported: use cpu, cuda (or cuda:N, or a list "
                                        "cuda:0,cuda:1) or auto")


@pytest.mark.cuda
def test_cuda_index_beyond_the_visible_gpus_is_one_error_line() -> None:
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    count = torch.cuda.device_count()
    check_device(f"cuda:{count - 1}")
    with pytest.raises(ConfigError, match=f"torch sees {count} GPU") as info:
        check_device(f"cuda:{count}")
    assert "\n" not in str(info.value)
