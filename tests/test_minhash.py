"""datasketch without scipy: the same LSH, a lighter `watcher run`."""

from __future__ import annotations

import random
import subprocess
import sys

from watcher import minhash


def test_lsh_parameters_are_the_ones_datasketch_chooses_for_the_threshold() -> None:
    from datasketch.lsh import _optimal_param

    assert _optimal_param(minhash.LSH_THRESHOLD, minhash.NUM_PERM, 0.5, 0.5) == minhash.LSH_PARAMS


def test_the_service_does_not_load_scipy() -> None:
    code = "import sys, watcher.cli, watcher.schedule; print('scipy.integrate' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "False"


def test_the_stand_in_hands_a_call_over_to_scipy() -> None:
    area = minhash._real_quad(lambda x: x, 0.0, 1.0)[0]
    assert abs(area - 0.5) < 1e-9
    assert "scipy.integrate" in sys.modules and sys.modules["scipy.integrate"] is not minhash._STAND_IN


def test_lean_lsh_answers_as_datasketch_s_own_tables() -> None:
    rng = random.Random(3)
    vocabulary = [f"mot{n}" for n in range(400)]
    documents = {f"d{n}": set(rng.sample(vocabulary, 30)) for n in range(300)}
    for n in range(0, 300, 3):  # near-duplicates, so that band hashes are shared
        documents[f"d{n}"] = set(documents[f"d{n + 1}"]) ^ {vocabulary[n]}
    signatures = {}
    for key, words in documents.items():
        signature = minhash.MinHash(num_perm=minhash.NUM_PERM)
        signature.update_batch([word.encode() for word in sorted(words)])
        signatures[key] = signature
    lean = minhash.lean_lsh()
    reference = minhash.MinHashLSH(threshold=minhash.LSH_THRESHOLD, num_perm=minhash.NUM_PERM)
    for key, signature in signatures.items():
        lean.insert(key, signature)
        reference.insert(key, signature)
    for key in list(signatures)[::5]:  # removal keeps both in step
        lean.remove(key)
        reference.remove(key)
        del signatures[key]
    for signature in signatures.values():
        assert sorted(lean.query(signature)) == sorted(reference.query(signature))
    shared = [table for table in lean.hashtables if any(count > 1 for count in table.itemcounts().values())]
    assert shared, "the test must exercise bands shared by several items"
    for key in signatures:  # nothing of a removed item stays behind
        lean.remove(key)
    assert lean.is_empty() and not any(table.size() for table in lean.hashtables)


def test_band_table_keeps_a_bare_key_until_items_share_a_band() -> None:
    table = minhash.BandTable()
    table.insert(7, "a")
    assert table.get(7) == ("a",) and table.get(8) == ()
    table.insert(7, "b")
    table.insert(7, "b")
    assert sorted(table.get(7)) == ["a", "b"]
    table.remove_val(7, "a")
    assert table.get(7) == ("b",)
    table.remove_val(7, "b")
    assert table.get(7) == () and table.size() == 0


def test_lean_lsh_band_hashes_are_datasketch_s() -> None:
    signature = minhash.MinHash(num_perm=minhash.NUM_PERM)
    signature.update_batch([f"mot{n}".encode() for n in range(40)])
    lean = minhash.lean_lsh()
    lean.insert("d", signature)
    expected = [lean._hashed_byteswap(signature.hashvalues[start:end]) for start, end in lean.hashranges]
    assert list(lean.keys.get("d")) == expected
