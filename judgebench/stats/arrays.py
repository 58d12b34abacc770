"""The numpy array types the statistics pass between them (annotations only; no computation).

- :data:`FloatArray`: ``float64`` values (sums, rates, bootstrap replicates).
- :data:`IntArray`: ``int64`` codes (question, model, judge codes into sorted name lists).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "IntArray"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
