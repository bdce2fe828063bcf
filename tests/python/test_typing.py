"""mypy --strict passes over tests/python, examples/python and examples/demo, against the stubs of the billing package
that this interpreter imports (build/python on PYTHONPATH, or the wheel installed in a venv); it refuses
code that misuses the package, so the stubs are read; and mypy's stubtest finds them true to the module.

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
CHECKED = [ROOT / "tests" / "python", ROOT / "examples" / "python", ROOT / "examples" / "demo"]


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
    finds an installed package by its py.typed on its own (and refuses a MYPYPATH that names one).
    PYTHONPATH is made absolute, since mypy and stubtest run in another directory."""
    env = dict(os.environ)
    env.pop("MYPYPATH", None)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep) if p)
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


# What stubtest cannot compare for a pybind11 module, and the stubs' own aliases. Everything else must
# agree: each method, property and enum member, both ways; which properties are read-only; enum values.
# (A class as a whole, on either side alone, is test_stubs.py's to find.)
STUBTEST_ALLOWLIST = r"""
billing\.(DecimalLike|CurrencyLike)
# a bound class's metaclass is pybind11_type, not type
billing\.[A-Z][A-Za-z0-9]*
# pybind11 shows no signature to inspect: every __init__ reads as (self, *args, **kwargs)
billing\.[A-Za-z0-9]+\.__init__
"""


def test_the_stubs_describe_the_module_as_stubtest_sees_it(cache: pathlib.Path) -> None:
    if importlib.util.find_spec("mypy") is None:  # stubtest imports billing, so it runs in this interpreter
        pytest.skip("mypy.stubtest needs mypy importable by this interpreter")
    allowlist = cache.parent / "stubtest-allowlist.txt"
    allowlist.write_text(STUBTEST_ALLOWLIST)
    command = [sys.executable, "-m", "mypy.stubtest", "billing", "--mypy-config-file", str(ROOT / "pyproject.toml"),
               "--allowlist", str(allowlist), "--ignore-unused-allowlist"]
    result = subprocess.run(command, cwd=cache.parent, env=mypy_environment(), capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"the stubs and the module differ:\n{result.stdout}{result.stderr}"
