"""datasketch's MinHash and MinHashLSH, imported without loading scipy.

datasketch imports `scipy.integrate` at module level (52 MB resident here) for one
purpose: choosing the LSH bands and rows from a threshold by numerical integration.
The index passes those parameters itself (`LSH_PARAMS`), so scipy is never needed;
its import would have been a quarter of `watcher run`'s memory budget. A stand-in
`scipy.integrate` is in place only while datasketch is imported; should datasketch
ever call `quad`, the stand-in loads the real module and hands the call over.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_MODULE = "scipy.integrate"


def _real_quad(*args: Any, **kwargs: Any) -> Any:
    if sys.modules.get(_MODULE) is _STAND_IN:
        del sys.modules[_MODULE]
    return importlib.import_module(_MODULE).quad(*args, **kwargs)


_STAND_IN = types.ModuleType(_MODULE)
_STAND_IN.quad = _real_quad  # type: ignore[attr-defined]

if "datasketch" not in sys.modules and _MODULE not in sys.modules:
    sys.modules[_MODULE] = _STAND_IN
    try:
        import datasketch  # noqa: F401
    finally:
        if sys.modules.get(_MODULE) is _STAND_IN:
            del sys.modules[_MODULE]

from datasketch import MinHash, MinHashLSH  # noqa: E402
from datasketch.hashfunc import sha1_hash32  # noqa: E402

# What MinHashLSH(threshold=0.4, num_perm=128) chooses (false positives and negatives weighed
# alike); tests/test_minhash.py checks it against datasketch's own computation.
LSH_THRESHOLD = 0.4
NUM_PERM = 128
LSH_PARAMS = (32, 4)  # bands, rows per band

__all__ = ["LSH_PARAMS", "LSH_THRESHOLD", "NUM_PERM", "MinHash", "MinHashLSH", "sha1_hash32"]
