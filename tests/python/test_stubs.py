"""The type stubs describe the whole public surface, and the package ships py.typed."""
import ast
import pathlib

import billing

PACKAGE = pathlib.Path(billing.__file__).parent
STUB_ONLY = {"DecimalLike", "CurrencyLike"}  # aliases for annotations, not importable at run time


def stub_tree() -> ast.Module:
    return ast.parse((PACKAGE / "__init__.pyi").read_text())


def stub_names() -> set[str]:
    names: set[str] = set()
    for node in stub_tree().body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names - {"__all__"}


def test_every_public_name_has_a_stub_and_every_stub_a_name() -> None:
    public = set(billing.__all__)
    stubs = stub_names() - STUB_ONLY
    assert public - stubs == set()
    assert stubs - public == set()


def test_the_stubs_list_the_same_public_names() -> None:
    assigned = [node for node in stub_tree().body if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)]
    assert len(assigned) == 1
    assert ast.literal_eval(assigned[0].value) == billing.__all__


def test_every_enum_in_the_stubs_has_the_members_of_the_module() -> None:
    enums = {node.name: node for node in stub_tree().body if isinstance(node, ast.ClassDef)
             and any(isinstance(base, ast.Attribute) and base.attr == "Enum" for base in node.bases)}
    assert {"Side", "PostResult", "ErrorCode", "RoundingMode"} <= set(enums)
    for name, node in enums.items():
        stubbed = [t.id for n in node.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]
        assert stubbed == list(getattr(billing, name).__members__), name


def test_every_public_name_exists_and_the_package_is_typed() -> None:
    for name in billing.__all__:
        assert hasattr(billing, name), name
    assert (PACKAGE / "py.typed").exists()
