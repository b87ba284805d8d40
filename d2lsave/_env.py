"""Defaults for MXNet's CPU back end, set when `d2lsave` is imported.

Written by hand (not generated from the notebooks). MXNet reads these
environment variables once, when it is loaded, so `import d2lsave` must come
before `import mxnet` for them to apply; a value you export yourself always
wins (`os.environ.setdefault`). Measurements behind them: README, "Speed".

- ``OMP_NUM_THREADS``: the number of cores. Without it, MXNet 1.9.1 runs its
  CPU operators on one OpenMP thread.
- ``OPENBLAS_CORETYPE=Haswell`` on CPUs with AVX2 and FMA. The OpenBLAS that
  MXNet 1.9.1 bundles does not recognise some recent Intel CPUs and falls back
  to kernels for a Pentium 4; its Haswell kernels are safe on any CPU with
  AVX2 and FMA (it has none newer).
"""

import os
import platform

__all__ = ['cpu_flags', 'cpu_name']


def cpu_flags():
    """Return the set of CPU feature flags (Linux), or an empty set."""
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('flags'):
                    return set(line.split(':', 1)[1].split())
    except OSError:  # not Linux
        pass
    return set()


def cpu_name():
    """Return the CPU's model name (Linux), else what `platform` knows."""
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:  # not Linux
        pass
    return platform.processor() or 'unknown CPU'


os.environ.setdefault('OMP_NUM_THREADS', str(os.cpu_count() or 1))
if {'avx2', 'fma'} <= cpu_flags():
    os.environ.setdefault('OPENBLAS_CORETYPE', 'Haswell')
