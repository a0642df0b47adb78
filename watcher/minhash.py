"""datasketch's MinHash and MinHashLSH, imported without loading scipy, with leaner band tables.

datasketch imports `scipy.integrate` at module level (52 MB resident here) for one
purpose: choosing the LSH bands and rows from a threshold by numerical integration.
The index passes those parameters itself (`LSH_PARAMS`), so scipy is never needed;
its import would have been a quarter of `watcher run`'s memory budget. A stand-in
`scipy.integrate` is in place only while datasketch is imported; should datasketch
ever call `quad`, the stand-in loads the real module and hands the call over.

`lean_lsh` gives the index band tables that hold a bare key where datasketch's
in-memory storage holds a set: nearly every band hash belongs to a single item,
and 32 sets per item were two thirds of the story index's memory. Its band
hashes are those of datasketch, made from one byte swap of the whole signature
rather than one numpy slice and swap per band.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Hashable, Iterable
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
from datasketch.minhash import _check_scheme_consistency  # noqa: E402
from datasketch.minhash import _fmix as fmix  # noqa: E402  (the affine schemes' pre-mix of a word hash)

# What MinHashLSH(threshold=0.4, num_perm=128) chooses (false positives and negatives weighed
# alike); tests/test_minhash.py checks it against datasketch's own computation.
LSH_THRESHOLD = 0.4
NUM_PERM = 128
LSH_PARAMS = (32, 4)  # bands, rows per band


class _Keys(list[Hashable]):
    """Several items under one band hash (a list subclass, so that no item key is mistaken for it)."""


class BandTable:
    """One band's table: band hash -> the item key, or `_Keys` when items share it.

    The methods are those MinHashLSH calls on its in-memory `DictSetStorage`.
    """

    def __init__(self) -> None:
        self._table: dict[Hashable, Hashable] = {}

    def insert(self, band: Hashable, *keys: Hashable, buffer: bool = False) -> None:
        for key in keys:
            self.add(band, key)

    def add(self, band: Hashable, key: Hashable) -> None:
        current = self._table.setdefault(band, key)
        if current is key:
            return  # the band's first key, nearly always
        if isinstance(current, _Keys):
            if key not in current:
                current.append(key)
        elif current != key:
            self._table[band] = _Keys([current, key])

    def get(self, band: Hashable) -> tuple[Hashable, ...] | _Keys:
        current = self._table.get(band, _ABSENT)
        if current is _ABSENT:
            return ()
        return current if isinstance(current, _Keys) else (current,)

    def collect(self, band: Hashable, into: set[Hashable]) -> None:
        """Add the band's keys to `into`: a query's way, without a tuple per band."""
        current = self._table.get(band, _ABSENT)
        if current is _ABSENT:
            return
        if isinstance(current, _Keys):
            into.update(current)
        else:
            into.add(current)

    def remove_val(self, band: Hashable, key: Hashable, buffer: bool = False) -> None:
        current = self._table.get(band, _ABSENT)
        if isinstance(current, _Keys):
            current.remove(key)
            if len(current) == 1:
                self._table[band] = current[0]
        elif current == key:
            del self._table[band]

    def remove(self, *bands: Hashable, buffer: bool = False) -> None:
        for band in bands:
            self._table.pop(band, None)

    def size(self) -> int:
        return len(self._table)

    def keys(self) -> Iterable[Hashable]:
        return self._table.keys()

    def has_key(self, band: Hashable) -> bool:
        return band in self._table

    def itemcounts(self) -> dict[Hashable, int]:
        return {band: len(self.get(band)) for band in self._table}


_ABSENT = object()


class _LeanLSH(MinHashLSH):
    """MinHashLSH with `BandTable`s, and the band hashes of a signature made in one pass.

    Per band, datasketch slices the signature, swaps its bytes and copies them: 32 numpy calls
    per query and as many per insert, a tenth of a cold cycle's story grouping.
    """

    def _bands(self, minhash: MinHash) -> list[int]:
        if len(minhash) != self.h:
            raise ValueError(f"Expecting minhash with length {self.h}, got {len(minhash)}")
        self._minhash_scheme = _check_scheme_consistency(getattr(self, "_minhash_scheme", None), minhash)
        swapped = minhash.hashvalues.byteswap().tobytes()
        width = self.r * minhash.hashvalues.itemsize
        return [hash(swapped[start : start + width]) for start in range(0, self.b * width, width)]

    def _insert(self, key: Hashable, minhash: MinHash, check_duplication: bool = True, buffer: bool = False) -> None:
        if check_duplication and key in self.keys:
            raise ValueError("The given key already exists")
        bands = self._bands(minhash)
        self.keys.insert(key, *bands, buffer=buffer)
        for band, table in zip(bands, self.hashtables, strict=True):
            table.add(band, key)

    def _remove(self, key: Hashable, buffer: bool = False) -> None:
        # datasketch asks each table again whether the band is empty, and removes it: `remove_val` already has.
        if key not in self.keys:
            raise ValueError("The given key does not exist")
        for band, table in zip(self.keys.get(key), self.hashtables, strict=True):
            table.remove_val(band, key)
        self.keys.remove(key, buffer=buffer)

    def query(self, minhash: MinHash) -> list[Hashable]:
        candidates: set[Hashable] = set()
        for band, table in zip(self._bands(minhash), self.hashtables, strict=True):
            table.collect(band, candidates)
        return list(candidates)


def lean_lsh() -> MinHashLSH:
    """The story index's LSH: the veille's parameters, band hashes as ints, `BandTable`s."""
    lsh = _LeanLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM, params=LSH_PARAMS, hashfunc=hash)
    lsh.hashtables = [BandTable() for _ in range(lsh.b)]  # type: ignore[list-item]
    return lsh


__all__ = [
    "LSH_PARAMS",
    "LSH_THRESHOLD",
    "NUM_PERM",
    "BandTable",
    "MinHash",
    "MinHashLSH",
    "fmix",
    "lean_lsh",
    "sha1_hash32",
]
