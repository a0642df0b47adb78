"""datasketch without scipy: the same LSH, a lighter `watcher run`."""

from __future__ import annotations

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
