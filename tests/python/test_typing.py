"""mypy --strict passes over tests/python and examples/python, against the stubs of the billing package
that this interpreter imports (build/python on PYTHONPATH, or the wheel installed in a venv), and it
refuses code that misuses the package: the stubs are read, and they describe the module as it is.

Debian's mypy runs it (scripts/install-deps.sh installs the package); its options are pyproject.toml's
[tool.mypy]. The first run fills a cache in a temporary directory that the second one reuses.
"""
import importlib.util
import os
import pathlib
import re
import shutil
import site
import subprocess
import sys

import pytest

import billing

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = pathlib.Path(billing.__file__).parent
CHECKED = [ROOT / "tests" / "python", ROOT / "examples" / "python"]


def mypy_command() -> list[str]:
    """mypy for this interpreter, or else the `mypy` executable; pytest.fail if there is neither."""
    if importlib.util.find_spec("mypy") is not None:
        return [sys.executable, "-m", "mypy"]
    executable = shutil.which("mypy")
    if executable is None:
        pytest.fail("mypy is not installed: scripts/install-deps.sh installs Debian's mypy (apt-get install mypy)")
    return [executable]


def site_directories() -> list[str]:
    """This interpreter's site-packages, as mypy's pyinfo finds them for --python-executable."""
    found = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        found.append(site.getusersitepackages())
    return [os.path.abspath(d) for d in found]


def mypy_environment() -> dict[str, str]:
    """MYPYPATH names the directory billing was imported from, unless that is a site-packages, where mypy
    finds an installed package by its py.typed on its own (and refuses a MYPYPATH that names one)."""
    env = dict(os.environ)
    env.pop("MYPYPATH", None)
    root = os.path.abspath(PACKAGE.parent)
    if not any(root == d or root.startswith(d + os.sep) for d in site_directories()):
        env["MYPYPATH"] = root
    return env


def run_mypy(cache: pathlib.Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [*mypy_command(), "--config-file", str(ROOT / "pyproject.toml"), "--strict",
               "--python-executable", sys.executable, "--cache-dir", str(cache), *arguments]
    # From an empty directory: mypy looks for modules in the one it runs in before anywhere else.
    return subprocess.run(command, cwd=cache.parent, env=mypy_environment(), capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("mypy") / "cache"


def test_the_tests_and_examples_pass_mypy_strict_against_the_stubs(cache: pathlib.Path) -> None:
    result = run_mypy(cache, *map(str, CHECKED))
    assert result.returncode == 0, f"mypy --strict failed:\n{result.stdout}{result.stderr}"


# Three mistakes the stubs must catch: a str and a float where money is expected, and an entry that is
# None when the transfer was refused.
MISUSE = """\
import billing

books = billing.open()
books.ledger.transfer("cash", "sales", "9.99")
price = billing.Money(1.5, "USD")
print(books.ledger.transfer("cash", "sales", billing.Money("9.99", "USD")).entry.id)
"""
EXPECTED = [
    (4, 'Argument 3 to "transfer" of "Ledger" has incompatible type "str"; expected "Money"  [arg-type]'),
    (5, 'Argument 1 to "Money" has incompatible type "float"; expected "Union[Decimal, str, int]"  [arg-type]'),
    (6, 'Item "None" of "Optional[Entry]" has no attribute "id"  [union-attr]'),
]


def test_mypy_reads_the_imported_stubs_and_refuses_misuse(cache: pathlib.Path) -> None:
    misuse = cache.parent / "misuse.py"
    misuse.write_text(MISUSE)
    result = run_mypy(cache, "--verbose", misuse.name)  # --verbose logs the path of each module it reads
    unlogged = "".join(line + "\n" for line in result.stderr.splitlines() if not line.startswith("LOG: "))
    report = f"mypy's output:\n{result.stdout}{unlogged}"
    assert result.returncode == 1, report
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert errors == [f"{misuse.name}:{line}: error: {message}" for line, message in EXPECTED], report
    # The stub mypy read for billing is the one next to the module imported here.
    read = re.findall(r"(?:Parsing (\S+) \(billing\)|Metadata fresh for billing: file (\S+))", result.stderr)
    paths = [parsed or fresh for parsed, fresh in read]
    assert paths, report
    assert all(os.path.samefile(path, PACKAGE / "__init__.pyi") for path in paths), (paths, PACKAGE)
