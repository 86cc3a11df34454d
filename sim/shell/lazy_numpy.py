"""numpy submodules a command never uses, loaded only if something touches them.

scipy 1.15 and later import ``scipy._lib.array_api_compat`` with
``scipy.special``, and it copies numpy's namespace with ``from numpy import
*``, which imports numpy.f2py, numpy.testing and numpy.ma: about 0.1 s of a
one-second ``cxroi run`` (``python -X importtime``), for modules no command of
ours uses. Registering them first as lazy modules
(:class:`importlib.util.LazyLoader`, the standard library's deferred import)
gives that copy a module object whose code runs on its first attribute
access, by anyone, as an ordinary import would have; until then it costs
nothing. Only the command line does this; ``import sim`` leaves numpy alone.
"""

from __future__ import annotations

import importlib.util
import sys

DEFERRED = ("f2py", "testing", "ma")


def defer_unused_numpy_modules() -> None:
    """Register :data:`DEFERRED` numpy submodules not yet imported as lazy modules (before scipy is imported)."""
    import numpy

    for name in DEFERRED:
        qualified = f"numpy.{name}"
        if qualified in sys.modules:
            continue
        spec = importlib.util.find_spec(qualified)
        if spec is None or spec.loader is None:
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        spec.loader.exec_module(module)
        setattr(numpy, name, module)  # as an import of the submodule would: numpy.__getattr__ is not asked again
