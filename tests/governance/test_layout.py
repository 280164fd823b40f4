"""Storage-layout safety of upgrades: layouts read from the compiler AST of the real contracts, and the compatibility
rules on hand-made layouts (append only; same names, types, order; same namespace ids; same OpenZeppelin release).
No chain needed."""

from __future__ import annotations

import pytest
from disfruta.deployment import PROXIES
from disfruta.governance import StorageLayoutError, UpgradeSafetyError
from disfruta.governance.layout import (
    Namespace,
    SolType,
    StorageLayout,
    check_upgrade,
    check_uups,
    erc7201_slot,
    layouts_of,
)

NAMES = (*PROXIES, "LoanFactoryV2", "LoanFactoryBadLayout")


@pytest.fixture(scope="module")
def layouts(project) -> dict[str, StorageLayout]:
    return layouts_of(project, NAMES)


def test_erc7201_slot__matches_the_constants_in_the_sources():
    assert erc7201_slot("disfruta.storage.LoanFactory") == (
        0x1B831F4CED5B8CF30CBA27EEF235E177EF315B94B975CD885A536AF35B09FC00)
    assert erc7201_slot("openzeppelin.storage.AccessControl") == (
        0x02DD7BC7DEC4DCEEDDA775E58DD541E08A116C6C53815C0BD028192F7B626800)


def test_layouts__real_contracts__one_disfruta_namespace_each_plus_openzeppelins(layouts):
    for name in PROXIES:
        ids = set(layouts[name].namespaces)
        assert {i for i in ids if i.startswith("disfruta.")} == {f"disfruta.storage.{name}"}
        assert {"openzeppelin.storage.Initializable", "openzeppelin.storage.AccessControl"} <= ids
        assert {layouts[name].namespaces[i].openzeppelin for i in ids if i.startswith("openzeppelin.")} == {"5.1.0"}
    factory = layouts["LoanFactory"].namespaces["disfruta.storage.LoanFactory"].struct
    assert [(n, t.label) for n, t in factory.members][:5] == [
        ("registry", "address"), ("asset", "address"), ("loanImplementation", "address"), ("loanCounter", "uint64"),
        ("limits", "struct ILoanFactory.Limits")]
    rates = dict(factory.members)["rates"]
    assert rates.kind == "mapping" and [n for n, _ in rates.value.members] == ["annualRateBps", "originationFeeBps"]


def test_layouts__json_round_trip__identical(layouts):
    for layout in layouts.values():
        assert StorageLayout.from_json(layout.to_json()) == layout


def test_check__v2_appends_a_member__compatible(layouts):
    check_upgrade(layouts["LoanFactory"], layouts["LoanFactoryV2"])


def test_check__same_code__compatible(layouts):
    for name in PROXIES:
        check_upgrade(layouts[name], layouts[name])


def test_check__retyped_and_reordered_members__refused_naming_them(layouts):
    with pytest.raises(StorageLayoutError) as info:
        check_upgrade(layouts["LoanFactory"], layouts["LoanFactoryBadLayout"])
    assert info.value.member == "LoanFactoryStorage.loanCounter"
    assert [p.reason for p in info.value.problems] == ["type changed", "member 6 renamed or reordered",
                                                       "member 7 renamed or reordered"]


def test_check__v2_downgraded_to_v1__refused_member_removed(layouts):
    with pytest.raises(StorageLayoutError, match="upgradedAt.*member removed"):
        check_upgrade(layouts["LoanFactoryV2"], layouts["LoanFactory"])


def test_annotation__slot_constant_disagrees__refused(project):
    with pytest.raises(UpgradeSafetyError, match="annotation and the slot used disagree"):
        layouts_of(project, ["MockMislabelledNamespace"])


def test_check_uups__implementation_without_upgrade_entry_point__refused(project):
    check_uups((m.name for m in project.LoanFactoryV2.contract_type.methods), "LoanFactoryV2")
    with pytest.raises(UpgradeSafetyError, match="not a UUPS implementation"):
        check_uups((m.name for m in project.Loan.contract_type.methods), "Loan")


# ------------------------------------------------------------------------------------------------ rules


U = {bits: SolType("elementary", f"uint{bits}") for bits in (8, 64, 128, 256)}
ADDRESS = SolType("elementary", "address")


def struct(name: str, *members: tuple[str, SolType]) -> SolType:
    return SolType("struct", f"struct {name}", members=tuple(members))


def mapping(value: SolType) -> SolType:
    return SolType("mapping", f"mapping(address => {value.label})", key=ADDRESS, value=value)


def layout(root: SolType, oz: str | None = None, ns: str = "disfruta.storage.X") -> StorageLayout:
    return StorageLayout("X", {ns: Namespace(ns, erc7201_slot(ns), root, "X", oz)})


POSITION = struct("X.Position", ("amount", U[128]), ("since", U[64]))


@pytest.mark.parametrize("new_root", [
    struct("X.S", ("positions", mapping(struct("X.Position", ("amount", U[128]), ("since", U[64]), ("flag", U[8]))))),
    struct("X.S", ("positions", mapping(POSITION)), ("extra", U[256])),
    struct("X.S2", ("positions", mapping(POSITION))),  # the struct's name doesn't matter, its id and members do
], ids=["grow-struct-in-mapping", "append-to-namespace", "rename-struct"])
def test_rules__compatible_changes(new_root):
    check_upgrade(layout(struct("X.S", ("positions", mapping(POSITION)))), layout(new_root))


@pytest.mark.parametrize(("old_root", "new_root", "member", "reason"), [
    (struct("X.S", ("inline", POSITION), ("after", U[256])),
     struct("X.S", ("inline", struct("X.Position", ("amount", U[128]), ("since", U[64]), ("flag", U[8]))),
            ("after", U[256])),
     "S.inline.flag", "members appended to a struct stored inline"),
    (struct("X.S", ("a", U[64])), struct("X.S", ("b", U[64])), "S.a", "renamed or reordered"),
    (struct("X.S", ("a", U[64]), ("b", U[64])), struct("X.S", ("a", U[64])), "S.b", "member removed"),
    (struct("X.S", ("m", mapping(U[64]))),
     struct("X.S", ("m", SolType("mapping", "mapping(uint256 => uint64)", key=U[256], value=U[64]))),
     "S.m", "mapping key type changed"),
    (struct("X.S", ("e", SolType("enum", "enum X.E", values=("A", "B")))),
     struct("X.S", ("e", SolType("enum", "enum X.E", values=("B", "A")))), "S.e", "enum values changed"),
    (struct("X.S", ("xs", SolType("array", "uint64[3]", value=U[64], length=3))),
     struct("X.S", ("xs", SolType("array", "uint64[4]", value=U[64], length=4))), "S.xs", "array length changed"),
], ids=["grow-inline-struct", "rename", "remove", "mapping-key", "enum-reorder", "array-length"])
def test_rules__incompatible_changes__refused(old_root, new_root, member, reason):
    with pytest.raises(StorageLayoutError) as info:
        check_upgrade(layout(old_root), layout(new_root))
    assert info.value.member == member and reason in info.value.problems[0].reason


def test_rules__enum_value_appended__compatible():
    enum = SolType("enum", "enum X.E", values=("A", "B"))
    check_upgrade(layout(struct("X.S", ("e", enum))),
                  layout(struct("X.S", ("e", SolType("enum", "enum X.E", values=("A", "B", "C"))))))


def test_rules__openzeppelin_namespace_from_another_release__refused():
    root = struct("AccessControlUpgradeable.AccessControlStorage", ("_roles", mapping(U[256])))
    ns = "openzeppelin.storage.AccessControl"
    with pytest.raises(StorageLayoutError, match="another OpenZeppelin release"):
        check_upgrade(layout(root, "5.1.0", ns), layout(root, "5.2.0", ns))


def test_rules__namespace_id_changed__refused():
    root = struct("X.S", ("a", U[64]))
    with pytest.raises(StorageLayoutError, match="namespace removed or renamed"):
        check_upgrade(layout(root, ns="disfruta.storage.X"), layout(root, ns="disfruta.storage.Y"))


def test_factory_v2__generated_from_the_real_source__not_stale():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, str(root / "tools" / "gen_factory_v2.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_check__recorded_deployment_of_an_earlier_release__upgrades_to_todays_code(layouts):
    """`deployments/local.json` was recorded by an earlier release (its layouts predate issue #15's appended members:
    the factory's default records, the registry's credit validity and default record, the Treasury's recoveries):
    every proxy it has can be upgraded in place to today's implementation (the note market and autopay of issue #16
    are new proxies, deployed beside the old ones, so an earlier record has none)."""
    from pathlib import Path

    from disfruta.deployment import Deployment

    record = Deployment.from_file(Path(__file__).resolve().parents[2] / "deployments" / "local.json")
    recorded = [name for name in PROXIES if name in record.contracts]
    assert recorded == ["UserRegistry", "LoanFactory", "Treasury", "LendingPool"]
    for name in recorded:
        check_upgrade(StorageLayout.from_json(record.contracts[name].storage_layout), layouts[name])
