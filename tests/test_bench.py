"""gan_utils.bench's arithmetic: the step's FLOPs and the CPU's measured matmul rate."""

import pytest

import gan_utils as gu
from gan_utils import bench


def test_each_extra_real_batch_adds_a_forward_and_backward_pass_of_d():
    model = gu.InfoGAN(noise_dim=8)
    plain = bench.step_flops(model, 8)
    d_forward_one_batch = bench._forward_flops(model.discriminator, (8, 28, 28, 1))
    assert plain > 0
    assert bench.step_flops(model, 8, extra_d_batches=2) - plain == \
        pytest.approx(2 * 3 * d_forward_one_batch, rel=0.01)


def test_matmul_rate_is_a_positive_gflops_figure():
    assert 0.1 < bench.matmul_gflops(n=256, runs=2) < 100_000
