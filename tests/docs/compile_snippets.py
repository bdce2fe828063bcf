#!/usr/bin/python3
"""Compiles the C++ snippets of README.md and docs/*.md, so that what the docs show builds without warnings.

Usage: compile_snippets.py --compiler c++ --work-dir DIR [--flag F]... [--include-dirs A|B]
                           [--system-include-dirs C|D] FILE_OR_DIRECTORY...

The convention (docs/README's "Snippets" note repeats it for writers):
  ```cpp            compiled. A block that defines main() is a whole program, compiled as written. Any other
                    block is a fragment: its #include lines go to the top, after <billing/billing.hpp> and
                    <billing/storage/sqlite.hpp>, and the rest becomes the body of a function with
                    `using namespace billing;` in scope and one ready name, `books` (a billing::Books&),
                    unless the fragment declares its own `Books books`.
  ```cpp excerpt    not compiled: deliberately partial, such as an excerpt of code under src/ that names
                    members of a class the page does not show. Use it only for that.
  ```python, ```sh  and every other language: not looked at.

Each snippet is compiled on its own (-fsyntax-only, with the flags given: the project's warning set and
-Werror), and #line directives point errors at the Markdown file and line. A fragment shows values it
does not go on to use (`Money total = ...;  // 64.97 USD`), so fragments alone are compiled with
-Wno-unused-variable and -Wno-unused-but-set-variable; every other warning stands, [[nodiscard]] included.
Exits 1 when any fails, after trying them all; prints one line per snippet either way.
"""
import argparse
import pathlib
import re
import subprocess
import sys

FENCE = re.compile(r"^(\s*)(`{3,})(.*)$")
MAIN = re.compile(r"\bint\s+main\s*\(")
OWN_BOOKS = re.compile(r"\bBooks\s+books\b")
FRAGMENT_FLAGS = ["-Wno-unused-variable", "-Wno-unused-but-set-variable"]
INCLUDE = re.compile(r"^\s*#\s*include\b")


class Snippet:
    def __init__(self, path, line, info, text):
        self.path = path  # the Markdown file
        self.line = line  # the line of the first line of code, 1-based
        self.info = info  # the words after ```cpp
        self.text = text

    def name(self):
        return f"{self.path}:{self.line}"


def snippets(path):
    """Every ```cpp block of a Markdown file, nested (indented) ones included."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, info = match.group(1), match.group(2), match.group(3).strip()
        if "`" in info:  # CommonMark: then it is inline code at the start of a line, not a fence
            i += 1
            continue
        body = []
        start = i + 2  # 1-based line of the first line of code
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1  # the closing fence
        words = info.split()
        if words and words[0] == "cpp":
            yield Snippet(path, start, words[1:], "\n".join(body) + "\n")


def translation_unit(snippet, display_path):
    """The C++ source that compiles `snippet`, with #line directives back into the Markdown."""
    quoted = str(display_path).replace("\\", "\\\\").replace('"', '\\"')
    if MAIN.search(snippet.text):
        return f'#line {snippet.line} "{quoted}"\n{snippet.text}'
    includes, body = [], []
    for number, line in enumerate(snippet.text.splitlines(), start=snippet.line):
        (includes if INCLUDE.match(line) else body).append((number, line))
    out = ["#include <billing/billing.hpp>", "#include <billing/storage/sqlite.hpp>"]
    for number, line in includes:
        out += [f'#line {number} "{quoted}"', line]
    parameter = "" if OWN_BOOKS.search(snippet.text) else "[[maybe_unused]] billing::Books& books"
    out += ["using namespace billing;", f"[[maybe_unused]] static void snippet({parameter}) {{"]
    if body:
        out.append(f'#line {body[0][0]} "{quoted}"')
        previous = body[0][0] - 1
        for number, line in body:
            if number != previous + 1:
                out.append(f'#line {number} "{quoted}"')
            out.append(line)
            previous = number
    out.append("}")
    return "\n".join(out) + "\n"


def markdown_files(arguments):
    for argument in arguments:
        path = pathlib.Path(argument)
        if path.is_dir():
            yield from sorted(path.glob("*.md"))
        else:
            yield path


def split_dirs(text):
    return [d for d in (text or "").split("|") if d]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--work-dir", required=True, type=pathlib.Path)
    parser.add_argument("--flag", action="append", default=[], help="a compiler flag (repeat)")
    parser.add_argument("--include-dirs", default="", help="'|'-separated, as -I")
    parser.add_argument("--system-include-dirs", default="", help="'|'-separated, as -isystem")
    parser.add_argument("--root", type=pathlib.Path, help="print paths relative to this directory")
    parser.add_argument("inputs", nargs="+")
    options = parser.parse_args()

    flags = list(options.flag) + ["-fsyntax-only", "-x", "c++"]
    flags += [f"-I{d}" for d in split_dirs(options.include_dirs)]
    for d in split_dirs(options.system_include_dirs):
        flags += ["-isystem", d]
    options.work_dir.mkdir(parents=True, exist_ok=True)

    compiled = skipped = 0
    failed = []
    for path in markdown_files(options.inputs):
        display = path.resolve().relative_to(options.root.resolve()) if options.root else path
        for snippet in snippets(path):
            label = f"{display}:{snippet.line}"
            if "excerpt" in snippet.info:
                skipped += 1
                print(f"skipped   {label} (excerpt)")
                continue
            source = options.work_dir / (re.sub(r"[^A-Za-z0-9]+", "_", label) + ".cpp")
            source.write_text(translation_unit(snippet, display), encoding="utf-8")
            extra = [] if MAIN.search(snippet.text) else FRAGMENT_FLAGS
            result = subprocess.run([options.compiler, *flags, *extra, str(source)], capture_output=True, text=True)
            compiled += 1
            if result.returncode == 0 and not result.stderr.strip():
                print(f"compiled  {label}")
            else:
                failed.append(label)
                print(f"FAILED    {label}\n{result.stderr}", end="" if result.stderr.endswith("\n") else "\n")
    print(f"{compiled} snippets compiled, {len(failed)} failed, {skipped} excerpts skipped")
    if compiled == 0:
        print("no ```cpp snippet found: wrong paths?")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
