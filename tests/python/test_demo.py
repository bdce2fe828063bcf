"""The demo in Python (examples/demo/demo.py), with a small month: it runs to completion, its books balance and
verify, ledger-cli agrees with its journal, and a second run on the same file records, bills and charges nothing.
The C++ demo runs the same way as ctest's example.demo."""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

DEMO = pathlib.Path(__file__).parents[2] / "examples" / "demo" / "demo.py"


def run_demo(cwd: pathlib.Path) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, str(DEMO), "demo.db", "--events", "20000"], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_demo_bills_once_and_a_rerun_bills_nothing(tmp_path: pathlib.Path) -> None:
    first = run_demo(tmp_path)
    assert re.search(r"recorded [1-9][\d,]*, duplicates 0", first)
    assert re.search(r"periods billed 270, invoices created 270, trials ended 30", first)
    assert re.search(r"first charges .* paid +\d+ .* dunned +\d+", first)
    assert "balanced" in first and "NOT BALANCED" not in first
    assert re.search(r"^  ok: \d+ entries", first, re.M)
    assert "health: " in first and "ledger -f demo.db.ledger bal" in first

    again = run_demo(tmp_path)
    assert re.search(r"recorded 0, duplicates [1-9][\d,]*", again)
    assert "periods billed 0, invoices created 0" in again
    assert re.search(r"first charges +jobs +0 +new payments +0", again)
    assert "nothing was recorded, billed or charged twice" in again


@pytest.mark.skipif(shutil.which("ledger") is None, reason="ledger-cli is not installed")
def test_ledger_cli_balances_the_demo_journal(tmp_path: pathlib.Path) -> None:
    run_demo(tmp_path)
    balance = subprocess.run(["ledger", "-f", "demo.db.ledger", "bal"], cwd=tmp_path, capture_output=True, text=True,
                             check=True).stdout
    assert "invoices:revenue:USD" in balance
    assert balance.rstrip().splitlines()[-1].strip() == "0"  # every entry balances
