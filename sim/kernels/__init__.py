"""Numerical kernels the model's count steps call: compiled with numba where installed, numpy otherwise."""
