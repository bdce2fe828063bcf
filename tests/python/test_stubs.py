"""The type stubs describe the whole public surface, and the package ships py.typed."""
import ast
import pathlib

import billing

PACKAGE = pathlib.Path(billing.__file__).parent


def stub_names():
    tree = ast.parse((PACKAGE / "__init__.pyi").read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_every_public_name_has_a_stub_and_every_stub_a_name():
    public = set(billing.__all__)
    stubs = stub_names() - {"DecimalLike", "CurrencyLike"}
    assert public - stubs == set()
    assert stubs - public == set()


def test_every_public_name_exists_and_the_package_is_typed():
    for name in billing.__all__:
        assert hasattr(billing, name), name
    assert (PACKAGE / "py.typed").exists()
