"""The PEP 517 build backend for `pip install .` and `pip wheel .`: CMake builds the extension, this file
packs the wheel. It uses only the standard library, so pip's isolated build environment needs nothing from
an index, and the build works offline; CMake finds Debian's pybind11, Boost, fmt and SQLite as it does for
scripts/build.sh.

config_settings (pip: --config-settings key=value):
  build-dir   a CMake build tree to build in and reuse (default: a fresh temporary one)
  build-type  CMAKE_BUILD_TYPE for a fresh tree (default: Release)
  jobs        parallel build jobs (default: the number of CPUs)

The extension is stripped of symbols and debug information before it goes in the wheel.
"""
import base64
import csv
import hashlib
import io
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[3]
NAME = "billing"
SUMMARY = "Exact money, an append-only double-entry ledger and idempotency keys, embedded (C++20 with Python bindings)"


def _version():
    text = (ROOT / "CMakeLists.txt").read_text()
    match = re.search(r"project\(billing VERSION ([0-9.]+)", text)
    if not match:
        raise RuntimeError("CMakeLists.txt names no project version")
    return match.group(1)


def _tag():
    interpreter = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{interpreter}-{interpreter}{sys.abiflags}-{platform}"


def _setting(config_settings, key, default):
    value = (config_settings or {}).get(key, default)
    return value[-1] if isinstance(value, list) else value


def _build(config_settings, scratch):
    """Configures (if needed) and builds the extension, in the build-dir setting or under `scratch`;
    returns the package directory CMake laid out."""
    build_dir = _setting(config_settings, "build-dir", None)
    if build_dir is None:
        build_dir = pathlib.Path(scratch) / "build"
    build_dir = pathlib.Path(build_dir).resolve()
    if not (build_dir / "CMakeCache.txt").exists():
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build_dir),
                        f"-DCMAKE_BUILD_TYPE={_setting(config_settings, 'build-type', 'Release')}",
                        f"-DPython_EXECUTABLE={sys.executable}", "-DBILLING_BUILD_PYTHON=ON",
                        "-DBILLING_BUILD_TESTS=OFF", "-DBILLING_BUILD_EXAMPLES=OFF",
                        "-DBILLING_BUILD_BENCHMARKS=OFF", "-DBILLING_INSTALL=OFF"], check=True, stdout=sys.stderr)
    jobs = str(_setting(config_settings, "jobs", os.cpu_count() or 2))
    subprocess.run(["cmake", "--build", str(build_dir), "--target", "_billing", "-j", jobs], check=True,
                   stdout=sys.stderr)
    package = build_dir / "python" / NAME
    if not any(package.glob("_billing*.so")):
        raise RuntimeError(f"the build left no extension module in {package}")
    return package


def _metadata():
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {_version()}\nSummary: {SUMMARY}\n"
            "Requires-Python: >=3.9\nLicense: see the repository\n")


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [path, f"sha256={digest}", str(len(data))]


def _stripped(path):
    """The extension's bytes without symbols and debug information (as they are, if strip is missing)."""
    strip = shutil.which("strip")
    if strip is None:
        return path.read_bytes()
    with tempfile.TemporaryDirectory() as scratch:
        copy = pathlib.Path(scratch) / path.name
        shutil.copy2(path, copy)
        subprocess.run([strip, "--strip-unneeded", str(copy)], check=True)
        return copy.read_bytes()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = pathlib.Path(metadata_directory) / f"{NAME}-{_version()}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(_metadata())
    return dist_info.name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with tempfile.TemporaryDirectory(prefix="billing-wheel-") as scratch:
        return _pack(_build(config_settings, scratch), wheel_directory)


def _pack(package, wheel_directory):
    version = _version()
    dist_info = f"{NAME}-{version}.dist-info"
    wheel_name = f"{NAME}-{version}-{_tag()}.whl"
    files = []
    for path in sorted(package.iterdir()):
        if path.suffix == ".so":
            files.append((f"{NAME}/{path.name}", _stripped(path)))
        elif path.suffix in (".py", ".pyi") or path.name == "py.typed":
            files.append((f"{NAME}/{path.name}", path.read_bytes()))
    files.append((f"{dist_info}/METADATA", _metadata().encode()))
    files.append((f"{dist_info}/WHEEL", (f"Wheel-Version: 1.0\nGenerator: billing_build\nRoot-Is-Purelib: false\n"
                                          f"Tag: {_tag()}\n").encode()))
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for path, data in files:
        writer.writerow(_record_line(path, data))
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    files.append((f"{dist_info}/RECORD", record.getvalue().encode()))
    target = pathlib.Path(wheel_directory) / wheel_name
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files:
            info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if path.endswith(".so") else 0o644) << 16
            wheel.writestr(info, data)
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    """The tracked sources (git ls-files) as billing-<version>.tar.gz."""
    import tarfile
    version = _version()
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files"], check=True, capture_output=True, text=True)
    name = f"{NAME}-{version}"
    target = pathlib.Path(sdist_directory) / f"{name}.tar.gz"
    with tarfile.open(target, "w:gz") as sdist:
        for relative in listed.stdout.splitlines():
            sdist.add(ROOT / relative, arcname=f"{name}/{relative}")
        info = tarfile.TarInfo(f"{name}/PKG-INFO")
        data = _metadata().encode()
        info.size = len(data)
        sdist.addfile(info, io.BytesIO(data))
    return target.name
