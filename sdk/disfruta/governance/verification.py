"""Explorer verification bundles, checked offline.

A bundle is what a block explorer needs to verify one deployed contract: the compiler's Standard JSON input (the
contract's own sources with their content, and the project's settings: optimizer runs, EVM version, remappings),
the long compiler version (``v0.8.28+commit.7893614a``), the ABI-encoded constructor arguments, and, for a proxy,
the ERC-1967 implementation it points at. It carries the same data twice more, in the exact forms the tools submit:
Etherscan's ``verifysourcecode`` form fields and a ``forge verify-contract`` command line.

`check_bundle` verifies a bundle the way Etherscan and Sourcify do, without them: it recompiles the bundle's Standard
JSON input with the bundle's compiler (in an empty directory, so nothing but the bundle's own content is read),
masks the immutables' ranges on both sides, and compares the result with the runtime code at the address. A
*full* match includes the CBOR metadata (the hash of the sources and settings) at the end of the code; a *partial*
match is equal only without it. When the bundle names its creation transaction, the transaction's input must end
with the compiled creation code followed by the bundle's constructor arguments; for a proxy, the EIP-1967
implementation slot must hold the bundle's implementation.

One JSON file per contract (`write_bundles` / `read_bundles`), e.g. ``deployments/verification/<network>/``.

The compile settings follow a whole-project ``ape compile``: ape-solidity's Standard JSON input for the contract's
source closure, with the remappings of the whole project (solc records every remapping it is given in the
metadata, so a contract compiled alone would otherwise get a different metadata hash than the deployed one).
`build_bundle` checks its bundle against the project's compiled artifact and falls back to the contract's own
remappings when the artifact was compiled that way.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from disfruta.governance.errors import GovernanceError

# keccak256("eip1967.proxy.implementation") - 1
IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"
BUNDLE_VERSION = 1
REQUIRED_FIELDS = ("bundle_version", "label", "address", "chain_id", "contract", "compiler_version",
                   "standard_json_input", "constructor_arguments", "optimization_used", "runs", "evm_version",
                   "etherscan", "forge_verify_contract")
COMPILE_TIMEOUT = 900  # seconds; solc-js compiles the largest contract in well under a minute

_LONG_VERSION = re.compile(r"^v(\d+\.\d+\.\d+)\+commit\.([0-9a-f]{8})$")
_HEX = re.compile(r"^(0x)?([0-9a-fA-F]{2})*$")
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SPDX = re.compile(r"SPDX-License-Identifier:\s*([^\s*]+)")


class VerificationError(GovernanceError):
    """A bundle can't be built, read or checked (bad input, missing compiler, compile error); the message says why."""


# ------------------------------------------------------------------------------------------------ the compiler


@dataclass(frozen=True)
class Compiler:
    """A solc executable (native or the solc-js adapter) and the long version it reports."""

    path: str
    long_version: str  # v0.8.28+commit.7893614a

    @property
    def version(self) -> str:
        return self.long_version[1:].split("+", 1)[0]


_VERSION_CACHE: dict[str, str] = {}


def compiler_long_version(path: str | os.PathLike[str]) -> str:
    """``v<version>+commit.<hash>`` from ``<path> --version`` (the form explorers take; the platform suffix, e.g.
    ``.Emscripten.clang`` of solc-js, is not part of it)."""
    key = str(path)
    if key not in _VERSION_CACHE:
        try:
            out = subprocess.run([key, "--version"], capture_output=True, text=True, timeout=120, check=False)
        except OSError as err:
            raise VerificationError(f"the compiler {key} can't be run: {err}") from err
        match = re.search(r"Version:\s*(\d+\.\d+\.\d+)\+commit\.([0-9a-f]{8})", out.stdout)
        if out.returncode != 0 or not match:
            raise VerificationError(f"the compiler {key} did not report a version (`--version` printed "
                                    f"{(out.stdout + out.stderr).strip()[:200]!r})")
        _VERSION_CACHE[key] = f"v{match.group(1)}+commit.{match.group(2)}"
    return _VERSION_CACHE[key]


def _installed_solc(version: str, wanted: str) -> Path:
    """py-solc-x's ``solc-v<version>`` (in ``SOLCX_BINARY_PATH``, as ape-solidity finds it)."""
    from solcx.exceptions import SolcNotInstalled
    from solcx.install import get_executable, get_solcx_install_folder

    try:
        return get_executable(version=version)
    except (SolcNotInstalled, ValueError) as err:
        raise VerificationError(f"compiler {wanted} is not installed (py-solc-x looked in "
                                f"{get_solcx_install_folder()}); install solc {version} or pass its executable "
                                f"as solc=") from err


def find_compiler(long_version: str, solc: str | os.PathLike[str] | None = None) -> Compiler:
    """The executable for ``long_version``: ``solc`` if given, else py-solc-x's installed ``solc-v<version>`` (its
    ``SOLCX_BINARY_PATH``, as ape-solidity uses). Its own ``--version`` must report the same commit."""
    match = _LONG_VERSION.match(long_version or "")
    if not match:
        raise VerificationError(f"compiler version {long_version!r} is not of the form v0.8.28+commit.7893614a")
    if solc is None:
        solc = _installed_solc(match.group(1), long_version)
    reported = compiler_long_version(solc)
    if reported != long_version:
        raise VerificationError(f"the compiler {solc} is {reported}, the bundle needs {long_version}")
    return Compiler(path=str(solc), long_version=reported)


_COMPILE_CACHE: dict[tuple[str, str], dict[str, Any]] = {}


def compile_standard_json(standard_input: Mapping[str, Any], compiler: Compiler, *,
                          use_cache: bool = True) -> dict[str, Any]:
    """solc's Standard JSON output for ``standard_input``, compiled in an empty directory (the input must carry
    every source; the compiler reads no file). Raises on any compile error. Results are kept per process, keyed by
    the compiler and the exact input (the compiler is deterministic)."""
    text = json.dumps(standard_input, sort_keys=True)
    key = (compiler.long_version + "@" + compiler.path, hashlib.sha256(text.encode()).hexdigest())
    if use_cache and key in _COMPILE_CACHE:
        return _COMPILE_CACHE[key]
    with tempfile.TemporaryDirectory(prefix="disfruta-verify-") as empty:
        try:
            run = subprocess.run([compiler.path, "--standard-json"], input=text, capture_output=True, text=True,
                                 cwd=empty, timeout=COMPILE_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as err:
            raise VerificationError(f"the compiler {compiler.path} took over {COMPILE_TIMEOUT} s") from err
        except OSError as err:
            raise VerificationError(f"the compiler {compiler.path} can't be run: {err}") from err
    try:
        output = json.loads(run.stdout)
    except json.JSONDecodeError as err:
        raise VerificationError(f"the compiler {compiler.path} answered no JSON (exit {run.returncode}): "
                                f"{(run.stderr or run.stdout).strip()[:300]}") from err
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        first = (errors[0].get("formattedMessage") or errors[0].get("message") or "").strip()
        raise VerificationError(f"the bundle's sources don't compile ({len(errors)} error(s)); first: {first}")
    _COMPILE_CACHE[key] = output
    return output


def _target_input(standard_input: Mapping[str, Any], source_id: str, name: str) -> dict[str, Any]:
    """The same input asking only for what the check needs, of the one contract (other contracts' code isn't
    generated; outputSelection changes no bytecode)."""
    target = copy.deepcopy(dict(standard_input))
    target.setdefault("settings", {})["outputSelection"] = {source_id: {name: [
        "evm.bytecode.object", "evm.deployedBytecode.object", "evm.deployedBytecode.immutableReferences",
        "metadata"]}}
    return target


@dataclass(frozen=True)
class Compiled:
    creation: bytes
    runtime: bytes
    immutables: tuple[tuple[int, int], ...]  # (start, length) in the runtime code
    metadata: str


def compile_contract(standard_input: Mapping[str, Any], contract: str, compiler: Compiler, *,
                     use_cache: bool = True) -> Compiled:
    """Compiles ``contract`` (``path:Name``) from ``standard_input``."""
    source_id, name = _split_fqn(contract)
    if source_id not in standard_input.get("sources", {}):
        raise VerificationError(f"the Standard JSON input has no source {source_id!r}")
    output = compile_standard_json(_target_input(standard_input, source_id, name), compiler, use_cache=use_cache)
    try:
        data = output["contracts"][source_id][name]
    except KeyError as err:
        raise VerificationError(f"the compiler produced no contract {contract} (is the name right?)") from err
    evm = data["evm"]
    runtime_hex = evm["deployedBytecode"]["object"]
    if "__$" in runtime_hex or "__$" in evm["bytecode"]["object"]:
        raise VerificationError(f"{contract} needs linked libraries; bundles don't support them")
    ranges = sorted((ref["start"], ref["length"])
                    for refs in (evm["deployedBytecode"].get("immutableReferences") or {}).values() for ref in refs)
    return Compiled(creation=bytes.fromhex(evm["bytecode"]["object"]), runtime=bytes.fromhex(runtime_hex),
                    immutables=tuple(ranges), metadata=data.get("metadata", ""))


# ------------------------------------------------------------------------------------------------ comparing code


def metadata_length(code: bytes) -> int:
    """Length of the CBOR metadata tail, its 2-byte length field included (0 when the tail is not plausible)."""
    if len(code) < 2:
        return 0
    n = int.from_bytes(code[-2:], "big") + 2
    # solc's CBOR map starts with 0xa1..0xa5 (a map of 1-5 entries)
    return n if n <= len(code) and 0xA1 <= code[-n] <= 0xA5 else 0


def mask(code: bytes, ranges: Iterable[tuple[int, int]]) -> bytes:
    """``code`` with each immutable range zeroed (the compiler leaves zeros there; the chain holds the values)."""
    out = bytearray(code)
    for start, length in ranges:
        if start + length > len(out):
            raise VerificationError(f"immutable reference {start}+{length} lies past the code's end ({len(out)})")
        out[start:start + length] = bytes(length)
    return bytes(out)


def _first_difference(a: bytes, b: bytes) -> int | None:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


@dataclass(frozen=True)
class CodeComparison:
    match: str  # "full" | "partial" | "mismatch" | "no code"
    first_difference: int | None  # byte offset into the runtime code, on a mismatch
    compiled_length: int
    onchain_length: int


def compare_runtime(compiled: bytes, immutables: Iterable[tuple[int, int]], onchain: bytes) -> CodeComparison:
    """Compares compiled with on-chain runtime code, immutables masked on both sides: equal → "full"; equal once
    each side's CBOR metadata tail is cut off → "partial"; else "mismatch" at the first differing byte."""
    if not onchain:
        return CodeComparison("no code", None, len(compiled), 0)
    ranges = list(immutables)
    if len(onchain) != len(compiled):
        return CodeComparison("mismatch", _first_difference(compiled, onchain), len(compiled), len(onchain))
    ours, theirs = mask(compiled, ranges), mask(onchain, ranges)
    if ours == theirs:
        return CodeComparison("full", None, len(compiled), len(onchain))
    n_ours, n_theirs = metadata_length(ours), metadata_length(theirs)
    if n_ours and n_ours == n_theirs and ours[:-n_ours] == theirs[:-n_theirs]:
        return CodeComparison("partial", None, len(compiled), len(onchain))
    return CodeComparison("mismatch", _first_difference(ours, theirs), len(compiled), len(onchain))


# ------------------------------------------------------------------------------------------------ bundles


def _split_fqn(contract: str) -> tuple[str, str]:
    source_id, sep, name = (contract or "").rpartition(":")
    if not sep or not source_id or not name:
        raise VerificationError(f"contract {contract!r} is not a fully qualified name like contracts/Loan.sol:Loan")
    return source_id, name


def _hex_args(constructor_args: bytes | str) -> str:
    if isinstance(constructor_args, (bytes, bytearray)):
        return bytes(constructor_args).hex()
    if isinstance(constructor_args, str) and _HEX.match(constructor_args):
        return constructor_args.removeprefix("0x").lower()
    raise VerificationError(f"constructor arguments must be bytes or an even-length hex string, "
                            f"got {str(constructor_args)[:60]!r}")


def _address(value: Any, what: str) -> str:
    from eth_utils import is_address, to_checksum_address

    text = getattr(value, "address", value)
    if not isinstance(text, str) or not is_address(text):
        raise VerificationError(f"{what} {str(text)[:60]!r} is not an address")
    return to_checksum_address(text)


def etherscan_form(bundle: Mapping[str, Any]) -> dict[str, str]:
    """Etherscan's ``verifysourcecode`` form fields for ``bundle`` (without the API key)."""
    return {
        "chainid": str(bundle["chain_id"]),
        "module": "contract",
        "action": "verifysourcecode",
        "contractaddress": bundle["address"],
        "sourceCode": json.dumps(bundle["standard_json_input"], sort_keys=True),
        "codeformat": "solidity-standard-json-input",
        "contractname": bundle["contract"],
        "compilerversion": bundle["compiler_version"],
        "constructorArguements": bundle["constructor_arguments"],  # (sic: Etherscan's spelling)
    }


def forge_command(bundle: Mapping[str, Any]) -> list[str]:
    """The ``forge verify-contract`` command line for ``bundle`` (run from the project's root)."""
    command = ["forge", "verify-contract", bundle["address"], bundle["contract"],
               "--compiler-version", bundle["compiler_version"]]
    if bundle["optimization_used"]:
        command += ["--num-of-optimizations", str(bundle["runs"])]
    command += ["--evm-version", bundle["evm_version"]]
    if bundle["constructor_arguments"]:
        command += ["--constructor-args", "0x" + bundle["constructor_arguments"]]
    return command + ["--chain", str(bundle["chain_id"])]


def refresh_forms(bundle: dict[str, Any]) -> dict[str, Any]:
    """Re-derives the ``etherscan`` and ``forge_verify_contract`` forms from the bundle's own fields (after an edit);
    `check_bundle` refuses a bundle whose forms say something else than its fields."""
    bundle["etherscan"] = etherscan_form(bundle)
    bundle["forge_verify_contract"] = forge_command(bundle)
    return bundle


def _sol_compiler() -> Any:
    from ape import compilers

    try:
        return compilers.registered_compilers[".sol"]
    except KeyError as err:
        raise VerificationError("ape-solidity is not installed (no compiler for .sol files)") from err


def project_standard_input(project: Any, source_id: str, *, remappings: str = "project") -> tuple[str, dict]:
    """``(solc version, Standard JSON input)`` ape-solidity builds for the closure of ``source_id``: only the
    sources it needs, each with its content. ``remappings="project"`` uses those of a whole-project compile (what
    ``ape compile`` passes, and so what the metadata of a fully compiled project records); ``"contract"`` keeps
    ape-solidity's own, the remappings the closure uses."""
    solidity = _sol_compiler()
    path = Path(project.path) / source_id
    if not path.is_file():
        raise VerificationError(f"the project has no source {source_id} (looked at {path})")
    inputs = solidity.get_standard_input_json([path], project=project)
    if len(inputs) != 1:
        raise VerificationError(f"{source_id} compiles with {len(inputs)} solc versions, expected one")
    (version, standard_input), = inputs.items()
    standard_input = copy.deepcopy(standard_input)
    if remappings == "project":
        all_paths = [p for p in project.sources.paths if p.suffix == ".sol"]
        project_settings = solidity.get_compiler_settings(all_paths, project=project)
        first: dict[str, Any] = next(iter(project_settings.values()), {})
        project_remappings = first.get("remappings")
        if project_remappings:
            standard_input["settings"]["remappings"] = project_remappings
    elif remappings != "contract":
        raise VerificationError(f"remappings must be 'project' or 'contract', not {remappings!r}")
    return str(version), standard_input


def build_bundle(project: Any, contract_name: str, address: Any, constructor_args: bytes | str, *, chain_id: int,
                 proxy_implementation: Any | None = None, label: str | None = None,
                 creation_transaction: str | None = None, solc: str | os.PathLike[str] | None = None,
                 check_artifact: bool = True) -> dict[str, Any]:
    """The verification bundle of ``contract_name`` (a project contract's name, e.g. ``"Loan"``) deployed at
    ``address`` with ABI-encoded ``constructor_args`` (bytes or hex).

    ``proxy_implementation``: for an ERC-1967 proxy, the implementation it must point at. ``label``: the bundle's
    file name (default: the contract name; a market has several proxies, so the deployment passes its record key).
    ``creation_transaction``: the deployment transaction's hash, checked by `check_bundle` when given.
    ``check_artifact``: compile the bundle and require it to reproduce the project's compiled artifact (the code
    that was deployed) byte for byte, metadata included; without it, the bundle is not compiled here.
    """
    if not isinstance(chain_id, int) or isinstance(chain_id, bool) or chain_id <= 0:
        raise VerificationError(f"chain id must be a positive integer, got {chain_id!r}")
    label = label or contract_name
    if not _LABEL.match(label):
        raise VerificationError(f"label {label!r} can't be a file name (letters, digits, '.', '_', '-')")
    try:
        contract_type = project.get_contract(contract_name).contract_type
    except Exception as err:
        raise VerificationError(f"the project has no contract {contract_name!r}") from err
    source_id = contract_type.source_id
    if not source_id or not source_id.endswith(".sol"):
        raise VerificationError(f"{contract_name} is not a Solidity contract of the project (source {source_id!r})")
    if creation_transaction is not None and not re.match(r"^0x[0-9a-fA-F]{64}$", str(creation_transaction)):
        raise VerificationError(f"creation transaction {creation_transaction!r} is not a transaction hash")

    checked_address = _address(address, "address")
    args_hex = _hex_args(constructor_args)
    implementation = None if proxy_implementation is None else _address(proxy_implementation, "implementation")
    version, standard_input = project_standard_input(project, source_id, remappings="project")
    compiler = find_compiler(_long_version_of(version, solc), solc)
    settings = standard_input["settings"]
    optimizer = settings.get("optimizer", {})
    source_text = standard_input["sources"][source_id]["content"]
    license_match = _SPDX.search(source_text)
    bundle: dict[str, Any] = {
        "bundle_version": BUNDLE_VERSION,
        "label": label,
        "address": checked_address,
        "chain_id": chain_id,
        "contract": f"{source_id}:{contract_name}",
        "compiler_version": compiler.long_version,
        "standard_json_input": standard_input,
        "constructor_arguments": args_hex,
        "optimization_used": bool(optimizer.get("enabled")),
        "runs": int(optimizer.get("runs", 200)),
        "evm_version": settings.get("evmVersion", "default"),
        "license": license_match.group(1) if license_match else None,
    }
    if creation_transaction is not None:
        bundle["creation_transaction"] = str(creation_transaction)
    if proxy_implementation is not None:
        bundle["proxy"] = {"kind": "ERC-1967", "implementation": implementation,
                           "implementation_slot": IMPLEMENTATION_SLOT}
    refresh_forms(bundle)
    if check_artifact:
        _reproduce_artifact(project, bundle, contract_type, compiler, source_id)
    return bundle


def _long_version_of(ape_version: str, solc: str | os.PathLike[str] | None) -> str:
    """The long version: from the executable's own ``--version`` (ape's version string carries the commit too; they
    must agree)."""
    base = ape_version.split("+", 1)[0]
    if solc is None:
        solc = _installed_solc(base, ape_version)
    long_version = compiler_long_version(solc)
    if "+commit." in ape_version and long_version != "v" + ape_version:
        raise VerificationError(f"ape compiles with {ape_version}, but {solc} reports {long_version}")
    return long_version


def _reproduce_artifact(project: Any, bundle: dict[str, Any], contract_type: Any, compiler: Compiler,
                        source_id: str) -> None:
    artifact = bytes.fromhex((contract_type.runtime_bytecode.bytecode or "0x")[2:])
    compiled = compile_contract(bundle["standard_json_input"], bundle["contract"], compiler)
    found = compare_runtime(compiled.runtime, compiled.immutables, artifact)
    if found.match == "partial":
        # The artifact was compiled without the whole project (ape recompiles a changed file with its own imports):
        # its metadata records only the remappings the contract uses.
        _, alone = project_standard_input(project, source_id, remappings="contract")
        compiled_alone = compile_contract(alone, bundle["contract"], compiler)
        if compare_runtime(compiled_alone.runtime, compiled_alone.immutables, artifact).match == "full":
            bundle["standard_json_input"] = alone
            refresh_forms(bundle)
            return
    if found.match != "full":
        how = ("only the metadata differs" if found.match == "partial" else
               "the artifact is empty" if found.match == "no code" else
               f"first difference at byte {found.first_difference}")
        raise VerificationError(
            f"{bundle['contract']}: the bundle compiles to other code than the project's artifact ({how}); the "
            f"artifact is stale or was compiled with other settings: recompile the project (`ape compile --force`) "
            f"and deploy from it")


def _validate(bundle: Any, where: str = "bundle") -> dict[str, Any]:
    if not isinstance(bundle, dict):
        raise VerificationError(f"{where} is not a JSON object")
    missing = [f for f in REQUIRED_FIELDS if f not in bundle]
    if missing:
        raise VerificationError(f"{where} lacks {', '.join(missing)}")
    if bundle["bundle_version"] != BUNDLE_VERSION:
        raise VerificationError(f"{where} has bundle version {bundle['bundle_version']!r}, this SDK reads "
                                f"{BUNDLE_VERSION}")
    _split_fqn(bundle["contract"])
    _address(bundle["address"], f"{where}: address")
    _hex_args(bundle["constructor_arguments"])
    if not isinstance(bundle["standard_json_input"], dict) or "sources" not in bundle["standard_json_input"]:
        raise VerificationError(f"{where}: standard_json_input has no sources")
    if "proxy" in bundle:
        proxy = bundle["proxy"]
        if not isinstance(proxy, dict) or proxy.get("kind") != "ERC-1967" or "implementation" not in proxy:
            raise VerificationError(f"{where}: proxy must be {{kind: ERC-1967, implementation, implementation_slot}}")
        _address(proxy["implementation"], f"{where}: proxy implementation")
        if str(proxy.get("implementation_slot", "")).lower() != IMPLEMENTATION_SLOT:
            raise VerificationError(f"{where}: proxy implementation_slot is not the EIP-1967 slot")
    return bundle


# ------------------------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class CheckResult:
    """The outcome of `check_bundle`. ``ok``: the code matches (fully or partially), the forms agree with the
    bundle, and the creation transaction and proxy slot (where the bundle names them) agree too."""

    label: str
    contract: str
    address: str
    match: str  # "full" | "partial" | "mismatch" | "no code"
    first_difference: int | None
    creation_ok: bool | None  # None: the bundle names no creation transaction
    proxy_ok: bool | None  # None: not a proxy bundle
    implementation_onchain: str | None
    problems: tuple[str, ...]
    create2_ok: bool | None = None  # None: the bundle names no CREATE2 salt, or only a partial match

    @property
    def ok(self) -> bool:
        return self.match in ("full", "partial") and not self.problems

    @property
    def message(self) -> str:
        head = f"{self.label} ({self.contract}) at {self.address}: "
        if self.ok:
            words = {"full": "runtime code matches, metadata included (full match)",
                     "partial": "runtime code matches except the metadata hash (partial match)"}[self.match]
            extras = []
            if self.creation_ok:
                extras.append("creation code and constructor arguments match the creation transaction")
            if self.create2_ok:
                extras.append("creation code and constructor arguments give this address by CREATE2")
            if self.proxy_ok:
                extras.append(f"the ERC-1967 slot points at {self.implementation_onchain}")
            return head + "; ".join([words, *extras])
        return head + "NOT VERIFIED: " + "; ".join(self.problems)

    def __str__(self) -> str:
        return self.message


def _code_problem(found: CodeComparison) -> str | None:
    if found.match == "no code":
        return "there is no code at the address"
    if found.match != "mismatch":
        return None
    if found.compiled_length != found.onchain_length:
        return (f"the recompiled runtime code is {found.compiled_length} bytes, the chain's {found.onchain_length}; "
                f"first difference at byte {found.first_difference}")
    return f"the recompiled runtime code differs from the chain's from byte {found.first_difference} on"


def check_bundle(bundle: Mapping[str, Any], web3: Any, *, solc: str | os.PathLike[str] | None = None,
                 use_cache: bool = True) -> CheckResult:
    """Recompiles ``bundle`` and compares it with the chain ``web3`` is connected to (see the module's doc).

    Raises `VerificationError` for a malformed bundle, a missing compiler, sources that don't compile or a chain
    with another chain id; a code, creation or proxy mismatch is reported in the result."""
    bundle = _validate(dict(bundle))
    chain_id = web3.eth.chain_id
    if chain_id != bundle["chain_id"]:
        raise VerificationError(f"{bundle['label']}: the bundle is for chain {bundle['chain_id']}, the node is on "
                                f"chain {chain_id}")
    problems: list[str] = []
    if bundle["etherscan"] != etherscan_form(bundle):
        problems.append("the etherscan form fields differ from the bundle's own fields (run refresh_forms)")
    if bundle["forge_verify_contract"] != forge_command(bundle):
        problems.append("the forge command differs from the bundle's own fields (run refresh_forms)")

    compiler = find_compiler(bundle["compiler_version"], solc)
    compiled = compile_contract(bundle["standard_json_input"], bundle["contract"], compiler, use_cache=use_cache)
    onchain = bytes(web3.eth.get_code(bundle["address"]))
    found = compare_runtime(compiled.runtime, compiled.immutables, onchain)
    if problem := _code_problem(found):
        problems.append(problem)

    creation_ok = None
    if tx_hash := bundle.get("creation_transaction"):
        creation_ok, problem = _check_creation(web3, tx_hash, bundle, compiled)
        if problem:
            problems.append(problem)

    create2_ok = None
    if (created := bundle.get("create2")) and found.match == "full":
        from disfruta.governance.create2 import create2_address

        init = compiled.creation + bytes.fromhex(bundle["constructor_arguments"])
        expected = create2_address(bytes.fromhex(str(created["salt"]).removeprefix("0x")), init,
                                   str(created["factory"]))
        create2_ok = expected.lower() == str(bundle["address"]).lower()
        if not create2_ok:
            problems.append(f"the creation code with these constructor arguments and salt gives {expected} by "
                            "CREATE2, not this address: the constructor arguments are wrong")

    proxy_ok = implementation = None
    if proxy := bundle.get("proxy"):
        word = bytes(web3.eth.get_storage_at(bundle["address"], int(IMPLEMENTATION_SLOT, 16)))
        from eth_utils import to_checksum_address

        implementation = to_checksum_address(word[-20:].rjust(20, b"\0"))
        proxy_ok = implementation.lower() == proxy["implementation"].lower()
        if not proxy_ok:
            problems.append(f"the ERC-1967 implementation slot holds {implementation}, the bundle says "
                            f"{proxy['implementation']}")
    return CheckResult(label=bundle["label"], contract=bundle["contract"], address=bundle["address"],
                       match=found.match, first_difference=found.first_difference, creation_ok=creation_ok,
                       proxy_ok=proxy_ok, implementation_onchain=implementation, problems=tuple(problems),
                       create2_ok=create2_ok)


def _check_creation(web3: Any, tx_hash: str, bundle: Mapping[str, Any], compiled: Compiled) -> tuple[bool, str | None]:
    """The creation transaction's input ends with creation code ++ constructor arguments (a plain creation, or a
    CREATE2 factory call whose calldata ends with the init code), and its receipt created the bundle's address
    (for a plain creation)."""
    try:
        tx = web3.eth.get_transaction(tx_hash)
    except Exception as err:  # noqa: BLE001 - web3 raises TransactionNotFound and RPC errors
        return False, f"the creation transaction {tx_hash} can't be read: {err}"
    data = bytes(tx["input"])
    args = bytes.fromhex(bundle["constructor_arguments"])
    if tx.get("to") is None:
        receipt = web3.eth.get_transaction_receipt(tx_hash)
        created = receipt.get("contractAddress")
        if not created or created.lower() != bundle["address"].lower():
            return False, f"the creation transaction {tx_hash} created {created}, not {bundle['address']}"
    creation = compiled.creation
    n = len(creation)
    # A partial match leaves the runtime's metadata (inside the creation code) different: masked there, as in the
    # runtime comparison.
    meta = metadata_length(compiled.runtime)
    pos = creation.rfind(compiled.runtime[-meta:]) if meta else -1
    ranges = [(pos, meta)] if pos >= 0 else []

    def creation_at(i: int) -> bool:
        return 0 <= i and i + n <= len(data) and mask(data[i:i + n], ranges) == mask(creation, ranges)

    if data.endswith(args) and creation_at(len(data) - len(args) - n):
        return True, None
    at = data.find(creation[:pos] if pos > 0 else creation)
    if at < 0 or not creation_at(at):
        return False, "the creation transaction's input does not contain the recompiled creation code"
    tail = data[at + n:]
    return False, (f"the creation transaction passed constructor arguments 0x{tail.hex()[:80]}"
                   f"{'…' if len(tail) > 40 else ''}, the bundle says 0x{args.hex()[:80]}"
                   f"{'…' if len(args) > 40 else ''}")


def check_bundles(bundles: Iterable[Mapping[str, Any]], web3: Any, **kwargs: Any) -> list[CheckResult]:
    return [check_bundle(b, web3, **kwargs) for b in bundles]


# ------------------------------------------------------------------------------------------------ files


def write_bundles(bundles: Iterable[Mapping[str, Any]], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Writes each bundle to ``<out_dir>/<label>.json`` (creating the directory); two bundles with one label are
    refused before anything is written."""
    bundles = [_validate(dict(b)) for b in bundles]
    labels = [b["label"] for b in bundles]
    if duplicates := sorted({x for x in labels if labels.count(x) > 1}):
        raise VerificationError(f"two bundles share the label(s) {', '.join(duplicates)}; pass label= to build_bundle")
    for label in labels:
        if not _LABEL.match(label):
            raise VerificationError(f"label {label!r} can't be a file name")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for bundle in bundles:
        path = out / f"{bundle['label']}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(bundle, indent=2, sort_keys=True) + "\n", encoding="utf8")
        os.replace(tmp, path)
        paths.append(path)
    return paths


def read_bundles(directory: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every ``*.json`` bundle in ``directory``, by file name."""
    folder = Path(directory)
    if not folder.is_dir():
        raise VerificationError(f"{folder} is not a directory")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise VerificationError(f"{folder} holds no bundle (*.json)")
    bundles = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise VerificationError(f"{path} can't be read as JSON: {err}") from err
        bundles.append(_validate(data, str(path)))
    return bundles


def bundles_for_record(project: Any, record: Any, *, check_artifact: bool = True) -> list[dict[str, Any]]:
    """Every bundle of a governed deployment record (`disfruta.deployment.Deployment`) whose contracts were created
    through CREATE2 (each record entry keeps its constructor arguments): the six proxies and their implementations,
    the Loan implementation, the calculator, the timelock, the proxies' bootstrap, and a demo token. The Safe and a
    chain's own stablecoin are not the project's code, so they have no bundle here."""
    bundles = []
    for name, entry in record.contracts.items():
        created = entry.extra.get("create2")
        if created is None:
            continue
        contract = "DisfrutaProxy" if entry.implementation else (
            "MockERC20" if name == "asset" else entry.contract)
        bundle = build_bundle(project, contract, entry.address, str(created["constructor_args"]),
                              chain_id=record.chain_id, proxy_implementation=entry.implementation, label=name,
                              check_artifact=check_artifact)
        bundle["create2"] = {"factory": created["factory"], "salt": created["salt"]}
        bundles.append(bundle)
        impl_created = entry.extra.get("implementation_create2")
        if entry.implementation and impl_created is not None:
            bundle = build_bundle(project, entry.contract, entry.implementation,
                                  str(impl_created["constructor_args"]), chain_id=record.chain_id,
                                  label=f"{name}.implementation", check_artifact=check_artifact)
            bundle["create2"] = {"factory": impl_created["factory"], "salt": impl_created["salt"]}
            bundles.append(bundle)
    if not bundles:
        raise VerificationError(f"the {record.network or 'deployment'} record keeps no CREATE2 constructor "
                                "arguments (deployed before deterministic deployment?): no bundle can be built")
    return bundles


def write_record_bundles(record_path: Path, out_dir: Path) -> tuple[Any, list[Path]]:
    """``disfruta bundles write``: the bundles of the deployment file at ``record_path`` (with ape's project: the
    sources and the compiled artifacts), written to ``out_dir``; returns the record and the files."""
    import ape
    from ape.logging import logger

    from disfruta.deployment import Deployment

    logger.set_level("ERROR")
    record = Deployment.from_file(record_path)
    return record, write_bundles(bundles_for_record(ape.project, record), out_dir)
