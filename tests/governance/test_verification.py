"""Explorer verification bundles (`disfruta.governance.verification`), checked offline against a rehearsal market on
the test chain: every bundle recompiles, in an empty directory, to the runtime code at its address (immutables
masked, metadata included), its constructor arguments are the tail of its creation transaction, and each proxy's
EIP-1967 slot points at its implementation. Tampered sources, wrong arguments and a moved slot are reported.

solc-js is slow, so the module builds the bundles once (one compile per distinct contract; `check_bundle` reuses a
compile of the exact same input within the process) — `test_check__without_the_compile_cache__recompiles` shows the
result is the same from a fresh compile.
"""

from __future__ import annotations

import copy
import json
import re
import time

import pytest
from disfruta.governance.market import MarketParams, deploy_market
from disfruta.governance.verification import (
    IMPLEMENTATION_SLOT,
    VerificationError,
    build_bundle,
    check_bundle,
    compare_runtime,
    metadata_length,
    read_bundles,
    refresh_forms,
    write_bundles,
)
from eth_abi import encode
from eth_utils import to_checksum_address


def _creations(web3, first_block: int) -> dict[str, str]:
    """Address → hash of the transaction that created it, for the plain creations since ``first_block``."""
    out = {}
    for number in range(first_block, web3.eth.block_number + 1):
        for tx in web3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["to"] is None:
                receipt = web3.eth.get_transaction_receipt(tx["hash"])
                out[receipt["contractAddress"]] = tx["hash"].to_0x_hex()
    return out


@pytest.fixture(scope="module")
def web3(chain):
    return chain.provider.web3


@pytest.fixture(scope="module")
def rehearsal(project, admin, chain, web3):
    """A whole market as the deployment leaves it, plus, per contract, the record the deployment keeps: contract
    name, address, constructor arguments (encoded here from the deployment's inputs, not read from the chain) and,
    for a proxy, its implementation."""
    first = web3.eth.block_number + 1
    asset = admin.deploy(project.MockERC20, "Verify USD", "VUSD", 6)
    unit = 10**6
    params = MarketParams()
    m = deploy_market(project, admin, asset, params=params)
    impls = m.implementations
    creations = _creations(web3, first)

    def address(c) -> str:
        return to_checksum_address(c.address)

    records = []

    def impl(label, name, contract, args: bytes):
        records.append({"label": label, "contract": name, "address": address(contract), "constructor_args": args})

    def proxy(label, name, proxied, init_args):
        implementation = impls[name]
        data = bytes(implementation.initialize.encode_input(*init_args))
        records.append({"label": label, "contract": "DisfrutaProxy", "address": address(proxied),
                            "constructor_args": encode(["address", "bytes"], [address(implementation), data]),
                            "implementation": address(implementation)})
        impl(f"{label}.implementation", name, implementation, {
            "NoteMarket": encode(["address", "address"], [address(m.factory), address(m.treasury)]),
            "Autopay": encode(["address"], [address(m.factory)]),
        }.get(name, b""))

    proxy("registry", "UserRegistry", m.registry, (admin, params.kyc_validity))
    proxy("factory", "LoanFactory", m.factory, (admin, m.registry, asset, params.limits(unit)))
    proxy("treasury", "Treasury", m.treasury, (admin, asset, m.factory, params.reserve_share_bps,
                                                params.default_cover_bps))
    proxy("pool", "LendingPool", m.pool, (admin, asset, m.factory))
    proxy("note_market", "NoteMarket", m.note_market, (admin, params.seller_fee_bps))
    proxy("autopay", "Autopay", m.autopay, (admin, params.autopay_lead_time))
    loan_config = params.loan.as_tuple(m.factory.address, m.registry.address, m.treasury.address, asset.address,
                                       m.pool.address, m.autopay.address, unit)
    impl("loan_implementation", "Loan", m.loan_implementation,
         bytes(project.Loan.constructor.encode_input(loan_config)))
    impl("calculator", "InterestCalculator", m.calculator, b"")
    for record in records:
        record["creation_transaction"] = creations[record["address"]]
    return m, records


@pytest.fixture(scope="module")
def bundles(project, rehearsal, chain):
    _, records = rehearsal
    started = time.monotonic()
    built = {r["label"]: build_bundle(project, r["contract"], r["address"], r["constructor_args"],
                                      chain_id=chain.chain_id, proxy_implementation=r.get("implementation"),
                                      label=r["label"], creation_transaction=r["creation_transaction"])
             for r in records}
    print(f"built {len(built)} bundles in {time.monotonic() - started:.1f} s")
    return built


def _tamper(bundle, source_id, old, new):
    """A copy of ``bundle`` whose ``source_id`` has ``old`` replaced by ``new`` once, forms refreshed."""
    tampered = copy.deepcopy(bundle)
    source = tampered["standard_json_input"]["sources"][source_id]
    assert source["content"].count(old) >= 1, f"{old!r} is not in {source_id}"
    source["content"] = source["content"].replace(old, new, 1)
    return refresh_forms(tampered)


# ------------------------------------------------------------------------------------------------ the rehearsal


def test_rehearsal__every_bundle__recompiles_to_the_deployed_runtime_code(bundles, web3, tmp_path):
    paths = write_bundles(bundles.values(), tmp_path / "verification" / "local")
    assert sorted(p.name for p in paths) == sorted(f"{label}.json" for label in bundles)
    read = read_bundles(tmp_path / "verification" / "local")
    assert len(read) == 14  # 6 proxies, their 6 implementations, the Loan implementation, the calculator
    started = time.monotonic()
    results = [check_bundle(b, web3) for b in read]
    print(f"checked {len(results)} bundles in {time.monotonic() - started:.1f} s")
    for result in results:
        assert result.ok, result.message
        assert result.match == "full", result.message
        assert result.creation_ok is True, result.message
        assert "full match" in result.message
    proxies = [r for r in results if r.contract == "contracts/DisfrutaProxy.sol:DisfrutaProxy"]
    assert len(proxies) == 6 and all(r.proxy_ok for r in proxies)
    assert all(r.proxy_ok is None for r in results if r not in proxies)


def test_bundle__fields__as_explorers_take_them(bundles, rehearsal):
    _, records = rehearsal
    record = next(r for r in records if r["label"] == "note_market.implementation")
    bundle = bundles["note_market.implementation"]
    assert bundle["contract"] == "contracts/NoteMarket.sol:NoteMarket"
    assert re.fullmatch(r"v0\.8\.28\+commit\.[0-9a-f]{8}", bundle["compiler_version"])
    assert bundle["compiler_version"] == "v0.8.28+commit.7893614a"
    assert (bundle["optimization_used"], bundle["runs"], bundle["evm_version"]) == (True, 500, "cancun")
    assert bundle["license"] == "MIT"
    assert bundle["constructor_arguments"] == record["constructor_args"].hex()
    assert not bundle["constructor_arguments"].startswith("0x")
    settings = bundle["standard_json_input"]["settings"]
    assert settings["optimizer"] == {"enabled": True, "runs": 500}
    assert settings["evmVersion"] == "cancun"
    assert settings["remappings"] == [
        "@openzeppelin/contracts-upgradeable=contracts/.cache/openzeppelin-upgradeable/5.1.0",
        "@openzeppelin/contracts=contracts/.cache/openzeppelin/5.1.0"]
    assert bundle["standard_json_input"]["language"] == "Solidity"
    form = bundle["etherscan"]
    assert form["codeformat"] == "solidity-standard-json-input"
    assert form["contractname"] == bundle["contract"]
    assert form["compilerversion"] == bundle["compiler_version"]
    assert form["constructorArguements"] == bundle["constructor_arguments"]
    assert json.loads(form["sourceCode"]) == bundle["standard_json_input"]
    assert form["contractaddress"] == bundle["address"] == record["address"]
    assert bundle["forge_verify_contract"] == [
        "forge", "verify-contract", record["address"], "contracts/NoteMarket.sol:NoteMarket",
        "--compiler-version", "v0.8.28+commit.7893614a", "--num-of-optimizations", "500", "--evm-version", "cancun",
        "--constructor-args", "0x" + record["constructor_args"].hex(), "--chain", str(bundle["chain_id"])]
    assert "proxy" not in bundle
    proxy = bundles["note_market"]
    assert proxy["proxy"] == {"kind": "ERC-1967", "implementation": record["address"],
                              "implementation_slot": IMPLEMENTATION_SLOT}
    # A contract without constructor arguments gets no --constructor-args.
    assert "--constructor-args" not in bundles["calculator"]["forge_verify_contract"]
    assert bundles["calculator"]["constructor_arguments"] == ""


def test_bundle__sources__only_what_the_contract_needs_each_with_its_content(bundles):
    loan = bundles["loan_implementation"]["standard_json_input"]["sources"]
    assert "contracts/Loan.sol" in loan and "contracts/LoanNotes.sol" in loan
    assert "contracts/NoteMarket.sol" not in loan and "contracts/LendingPool.sol" not in loan
    assert not any("openzeppelin-upgradeable" in s for s in loan)  # Loan is not upgradeable
    assert not any(s.startswith("contracts/mocks/") for s in loan)
    proxy = bundles["registry"]["standard_json_input"]["sources"]
    assert "contracts/.cache/openzeppelin/5.1.0/proxy/ERC1967/ERC1967Proxy.sol" in proxy
    assert len(proxy) < 15
    for bundle in bundles.values():
        assert all(set(s) == {"content"} and s["content"] for s in bundle["standard_json_input"]["sources"].values())


def test_constructor_arguments__are_the_tail_of_the_creation_transaction_input(bundles, web3):
    for label, bundle in bundles.items():
        data = bytes(web3.eth.get_transaction(bundle["creation_transaction"])["input"])
        args = bytes.fromhex(bundle["constructor_arguments"])
        assert data.endswith(args), label
        assert len(data) > len(args)
    # The Loan's Config struct: 6 addresses and 9 numbers, all static, 15 words.
    assert len(bundles["loan_implementation"]["constructor_arguments"]) == 15 * 64


def test_check__wrong_constructor_arguments__reported_while_the_runtime_code_still_matches(bundles, web3, rehearsal):
    m, _ = rehearsal
    bundle = copy.deepcopy(bundles["autopay.implementation"])
    bundle["constructor_arguments"] = encode(["address"], [m.treasury.address]).hex()
    result = check_bundle(refresh_forms(bundle), web3)
    assert result.match == "full"  # the factory is an immutable: masked in the runtime code
    assert result.creation_ok is False and not result.ok
    assert "constructor arguments" in result.message and "NOT VERIFIED" in result.message


# ------------------------------------------------------------------------------------------------ tampering


def test_check__one_character_changed_in_a_function_body__mismatch_at_a_byte_offset(bundles, web3):
    bundle = bundles["calculator"]
    tampered = _tamper(bundle, "contracts/InterestCalculator.sol", "if (total == 0)", "if (total == 1)")
    result = check_bundle(tampered, web3)
    assert result.match == "mismatch" and not result.ok
    assert isinstance(result.first_difference, int) and result.first_difference >= 0
    assert f"byte {result.first_difference}" in result.message
    # The untampered bundle still passes.
    assert check_bundle(bundle, web3).match == "full"


def test_check__a_comment_changed__only_a_partial_match(bundles, web3):
    bundle = _tamper(bundles["calculator"], "contracts/InterestCalculator.sol", "// SPDX", "//  SPDX")
    result = check_bundle(bundle, web3)
    assert result.match == "partial" and result.ok, result.message
    assert result.creation_ok is True  # the creation code differs from the transaction's in the metadata only
    assert "partial match" in result.message


def test_check__source_edited_without_refreshing_the_forms__reported(bundles, web3):
    bundle = copy.deepcopy(bundles["calculator"])
    bundle["constructor_arguments"] = "00" * 32
    result = check_bundle(bundle, web3)
    assert not result.ok and any("etherscan form" in p for p in result.problems)


def test_check__proxy_slot_moved__reported(bundles, web3, chain, rehearsal):
    m, _ = rehearsal
    bundle = bundles["pool"]
    other = to_checksum_address(m.implementations["Treasury"].address)
    chain.provider.make_request("anvil_setStorageAt", [bundle["address"], IMPLEMENTATION_SLOT,
                                                       "0x" + other[2:].lower().rjust(64, "0")])
    result = check_bundle(bundle, web3)
    assert result.match == "full"
    assert result.proxy_ok is False and not result.ok
    assert result.implementation_onchain == other
    assert other in result.message and bundle["proxy"]["implementation"] in result.message


def test_check__bundle_naming_another_implementation__reported(bundles, web3, rehearsal):
    m, _ = rehearsal
    bundle = copy.deepcopy(bundles["treasury"])
    bundle["proxy"]["implementation"] = to_checksum_address(m.implementations["LendingPool"].address)
    result = check_bundle(bundle, web3)
    assert result.proxy_ok is False and not result.ok


# ------------------------------------------------------------------------------------------------ immutables


def test_immutables__masked__two_deployments_with_other_values_match_one_bundle(project, bundles, web3, admin,
                                                                              rehearsal, chain):
    m, _ = rehearsal
    bundle = bundles["note_market.implementation"]
    other = admin.deploy(project.NoteMarket, m.factory, m.pool)  # another treasury immutable
    first_code = bytes(web3.eth.get_code(bundle["address"]))
    other_code = bytes(web3.eth.get_code(other.address))
    assert first_code != other_code and len(first_code) == len(other_code)
    moved = copy.deepcopy(bundle)
    moved["address"] = other.address
    moved.pop("creation_transaction")
    result = check_bundle(refresh_forms(moved), web3)
    assert result.ok and result.match == "full", result.message
    # Unmasked, the artifact's code (zeros where the immutables go) equals neither.
    artifact = bytes.fromhex(project.NoteMarket.contract_type.runtime_bytecode.bytecode[2:])
    assert artifact not in (first_code, other_code)
    assert compare_runtime(artifact, (), first_code).match == "mismatch"


def test_compare_runtime__metadata_only_difference__partial():
    body = bytes(range(40))
    cbor = bytes([0xA2]) + b"x" * 49
    a = body + cbor + len(cbor).to_bytes(2, "big")
    b = body + bytes([0xA2]) + b"y" * 49 + len(cbor).to_bytes(2, "big")
    assert metadata_length(a) == 52
    assert compare_runtime(a, (), a).match == "full"
    assert compare_runtime(a, (), b).match == "partial"
    c = bytes([1]) + a[1:]
    found = compare_runtime(a, (), c)
    assert (found.match, found.first_difference) == ("mismatch", 0)
    assert compare_runtime(a, [(5, 3)], a[:5] + b"\xff\xff\xff" + a[8:]).match == "full"
    assert compare_runtime(a, (), b"").match == "no code"


# ------------------------------------------------------------------------------------------------ bad inputs


def test_check__no_code_at_the_address__reported(bundles, web3):
    bundle = copy.deepcopy(bundles["calculator"])
    bundle["address"] = "0x" + "12" * 20
    bundle.pop("creation_transaction")
    result = check_bundle(refresh_forms(bundle), web3)
    assert result.match == "no code" and not result.ok and "no code" in result.message


def test_check__missing_compiler_version__clear_error(bundles, web3):
    bundle = copy.deepcopy(bundles["calculator"])
    bundle["compiler_version"] = "v0.8.99+commit.deadbeef"
    with pytest.raises(VerificationError, match="0.8.99.*not installed"):
        check_bundle(refresh_forms(bundle), web3)
    bundle["compiler_version"] = "0.8.28"
    with pytest.raises(VerificationError, match="not of the form"):
        check_bundle(refresh_forms(bundle), web3)


def test_check__other_chain__clear_error(bundles, web3):
    bundle = copy.deepcopy(bundles["calculator"])
    bundle["chain_id"] = 1
    with pytest.raises(VerificationError, match="chain 1"):
        check_bundle(refresh_forms(bundle), web3)


def test_check__sources_that_do_not_compile__clear_error(bundles, web3):
    bundle = _tamper(bundles["calculator"], "contracts/InterestCalculator.sol", "contract ", "contrakt ")
    with pytest.raises(VerificationError, match="don't compile"):
        check_bundle(bundle, web3)
    missing = copy.deepcopy(bundles["calculator"])
    del missing["standard_json_input"]["sources"]["contracts/libraries/InterestMath.sol"]
    with pytest.raises(VerificationError, match="don't compile"):
        check_bundle(refresh_forms(missing), web3)


def test_check__malformed_bundle__clear_error(bundles, web3):
    bundle = copy.deepcopy(bundles["calculator"])
    del bundle["standard_json_input"]
    with pytest.raises(VerificationError, match="lacks standard_json_input"):
        check_bundle(bundle, web3)


def test_build__bad_inputs__clear_errors(project, chain, rehearsal):
    m, _ = rehearsal
    with pytest.raises(VerificationError, match="no contract 'Nope'"):
        build_bundle(project, "Nope", m.calculator.address, b"", chain_id=chain.chain_id)
    with pytest.raises(VerificationError, match="not an address"):
        build_bundle(project, "InterestCalculator", "0x1234", b"", chain_id=chain.chain_id)
    with pytest.raises(VerificationError, match="hex string"):
        build_bundle(project, "InterestCalculator", m.calculator.address, "0xabc", chain_id=chain.chain_id)
    with pytest.raises(VerificationError, match="chain id"):
        build_bundle(project, "InterestCalculator", m.calculator.address, b"", chain_id=0)
    with pytest.raises(VerificationError, match="label"):
        build_bundle(project, "InterestCalculator", m.calculator.address, b"", chain_id=1, label="../x")


def test_files__duplicate_labels_and_empty_folders__clear_errors(bundles, tmp_path):
    with pytest.raises(VerificationError, match="share the label"):
        write_bundles([bundles["calculator"], bundles["calculator"]], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(VerificationError, match="no bundle"):
        read_bundles(tmp_path)
    with pytest.raises(VerificationError, match="not a directory"):
        read_bundles(tmp_path / "missing")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(VerificationError, match="as JSON"):
        read_bundles(tmp_path)


def test_check__without_the_compile_cache__recompiles(bundles, web3):
    result = check_bundle(bundles["registry"], web3, use_cache=False)
    assert result.ok and result.match == "full" and result.proxy_ok


class _ProjectWithArtifact:
    """The project, but ``name``'s compiled artifact replaced by ``runtime`` (a stale or differently compiled
    .build)."""

    def __init__(self, project, name, runtime: bytes):
        self._project, self._name, self._runtime = project, name, runtime

    def __getattr__(self, attr):
        return getattr(self._project, attr)

    def get_contract(self, name):
        from ape.contracts import ContractContainer
        from ethpm_types import Bytecode

        contract_type = self._project.get_contract(name).contract_type
        if name == self._name:
            contract_type = contract_type.model_copy(
                update={"runtime_bytecode": Bytecode(bytecode="0x" + self._runtime.hex())})
        return ContractContainer(contract_type)


def test_build__artifact_compiled_alone__bundle_takes_the_contracts_own_remappings(project, bundles, chain):
    from disfruta.governance.verification import compile_contract, find_compiler, project_standard_input

    bundle = bundles["registry"]  # DisfrutaProxy: imports @openzeppelin/contracts only
    _, alone = project_standard_input(project, "contracts/DisfrutaProxy.sol", remappings="contract")
    assert alone["settings"]["remappings"] == ["@openzeppelin/contracts=contracts/.cache/openzeppelin/5.1.0"]
    compiled = compile_contract(alone, bundle["contract"], find_compiler(bundle["compiler_version"]))
    rebuilt = build_bundle(_ProjectWithArtifact(project, "DisfrutaProxy", compiled.runtime), "DisfrutaProxy",
                           bundle["address"], bundle["constructor_arguments"], chain_id=chain.chain_id)
    assert rebuilt["standard_json_input"] == alone
    assert json.loads(rebuilt["etherscan"]["sourceCode"]) == alone


def test_build__stale_artifact__refused(project, bundles, chain):
    bundle = bundles["registry"]
    artifact = bytearray.fromhex(project.DisfrutaProxy.contract_type.runtime_bytecode.bytecode[2:])
    artifact[10] ^= 0xFF
    with pytest.raises(VerificationError, match="first difference at byte 10.*stale"):
        build_bundle(_ProjectWithArtifact(project, "DisfrutaProxy", bytes(artifact)), "DisfrutaProxy",
                     bundle["address"], bundle["constructor_arguments"], chain_id=chain.chain_id)
