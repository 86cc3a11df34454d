"""The one test hook that switches the model to its numpy steps, and that it reports what it switched."""

from sim.kernels import count_kernels, numpy_only, split_kernels


def test_every_kernel_module_answers_none_inside_and_the_look_ups_are_counted():
    with numpy_only() as switch:
        assert count_kernels.compiled() is None
        assert split_kernels.compiled() is None
    assert switch.refused == 2
    assert not switch.active
    before = count_kernels.compiled()
    assert switch.refused == 2  # outside the block nothing is refused or counted
    assert (before is None) == (split_kernels.compiled() is None)
