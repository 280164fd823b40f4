"""disfruta.l1fees: the OP-stack (Fjord, Ecotone) and Arbitrum L1 data fee formulas, and the FastLZ length checked
against Solady's ``LibZip.flzCompress`` (the code the OP GasPriceOracle predeploy runs) on the test node.

The Solidity reference is compiled here from a string (a harness over the npm ``solady`` package's LibZip.sol, with
the project's solc 0.8.28) and put on ape's anvil with ``anvil_setCode``; the project's contracts are not touched.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import brotli
import pytest
from disfruta import l1fees
from disfruta.errors import ConfigurationError
from disfruta.l1fees import (
    ARBITRUM_BROTLI_LEVEL,
    ArbitrumPrices,
    OpStackPrices,
    arbitrum_estimation_units,
    arbitrum_l1_fee,
    arbitrum_poster_units,
    brotli_compressed_length,
    calldata_gas,
    estimate,
    fastlz_compressed_length,
    fjord_estimated_size_scaled,
    op_ecotone_l1_fee,
    op_fjord_l1_fee,
    op_fjord_l1_fee_from_size,
    wei_to_usd,
)
from eth_abi import decode, encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st


def _noise(n: int, seed: bytes = b"l1fees") -> bytes:
    """``n`` deterministic pseudo-random bytes (a keccak chain)."""
    out, block = b"", seed
    while len(out) < n:
        block = keccak(block)
        out += block
    return out[:n]


ROOT = Path(__file__).resolve().parent.parent
LIBZIP = ROOT / "node_modules" / "solady" / "src" / "utils" / "LibZip.sol"
HARNESS_ADDRESS = "0x00000000000000000000000000000000F1a21f00"
HARNESS = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;
import {LibZip} from "LibZip.sol";
contract FlzHarness {
    function compress(bytes calldata data) external pure returns (bytes memory) {
        return LibZip.flzCompress(data);
    }
    function decompress(bytes calldata data) external pure returns (bytes memory) {
        return LibZip.flzDecompress(data);
    }
}
"""
PRICES = OpStackPrices(l1_base_fee_wei=10**9, l1_blob_base_fee_wei=10**9, base_fee_scalar=2_000,
                       blob_base_fee_scalar=1_000_000, eth_usd=Decimal(3_000))


def _solc() -> str:
    binary = Path(os.environ.get("SOLCX_BINARY_PATH", ROOT / ".solcx")) / "solc-v0.8.28"
    if not binary.exists():
        pytest.fail(f"{binary} missing: run `make setup`")
    return str(binary)


@pytest.fixture(scope="module")
def harness_code() -> str:
    import solcx

    if not LIBZIP.exists():
        pytest.fail(f"{LIBZIP} missing: run `make setup` (npm ci installs the solady dev dependency)")
    standard = {"language": "Solidity",
                "sources": {"LibZip.sol": {"content": LIBZIP.read_text()}, "FlzHarness.sol": {"content": HARNESS}},
                "settings": {"optimizer": {"enabled": True, "runs": 200}, "evmVersion": "cancun",
                             "outputSelection": {"FlzHarness.sol": {"FlzHarness": ["evm.deployedBytecode.object"]}}}}
    out = solcx.compile_standard(standard, solc_binary=_solc())
    errors = [e for e in out.get("errors", []) if e["severity"] == "error"]
    assert not errors, json.dumps(errors, indent=1)
    return "0x" + out["contracts"]["FlzHarness.sol"]["FlzHarness"]["evm"]["deployedBytecode"]["object"]


@pytest.fixture
def solady(chain, harness_code):
    """``solady(fn, data) -> bytes``: the harness's ``compress``/``decompress`` by eth_call on ape's anvil."""
    w3 = chain.provider.web3
    w3.provider.make_request("anvil_setCode", [HARNESS_ADDRESS, harness_code])

    def call(fn: str, data: bytes) -> bytes:
        selector = keccak(text=f"{fn}(bytes)")[:4]
        out = w3.eth.call({"to": HARNESS_ADDRESS, "data": "0x" + (selector + encode(["bytes"], [data])).hex(),
                           "gas": 100_000_000})
        return decode(["bytes"], bytes(out))[0]

    return call


# ----------------------------------------------------------------------------------------------- FastLZ vs Solady

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _words(draw_word) -> st.SearchStrategy[bytes]:
    return st.lists(draw_word, max_size=12).map(b"".join)


_abi_word = st.one_of(st.integers(0, 2**40).map(lambda v: v.to_bytes(32, "big")),  # amounts, ids: mostly zeros
                      st.binary(min_size=20, max_size=20).map(lambda a: bytes(12) + a),  # addresses
                      st.just(b"\xff" * 32))  # MAX_UINT
_calldata = st.tuples(st.binary(min_size=4, max_size=4), _words(_abi_word)).map(lambda t: t[0] + t[1])


@st.composite
def signed_transactions(draw) -> bytes:
    """Real EIP-1559 transactions, signed: ABI-style calldata to a contract, as the protocol's users send."""
    key = draw(st.integers(1, SECP256K1_N - 1))
    tx = {"type": 2, "chainId": draw(st.sampled_from([10, 8453, 42161, 31337])), "nonce": draw(st.integers(0, 5000)),
          "gas": draw(st.integers(21_000, 5_000_000)), "maxFeePerGas": draw(st.integers(1, 10**11)),
          "maxPriorityFeePerGas": draw(st.integers(0, 10**9)), "to": to_checksum_address(draw(st.binary(min_size=20, max_size=20))),
          "value": draw(st.sampled_from([0, 0, 10**16])), "data": draw(_calldata), "accessList": []}
    tx["maxPriorityFeePerGas"] = min(tx["maxPriorityFeePerGas"], tx["maxFeePerGas"])
    return bytes(Account.from_key(key.to_bytes(32, "big")).sign_transaction(tx).raw_transaction)


_runs = st.lists(st.tuples(st.integers(0, 255), st.integers(1, 600)), max_size=8).map(
    lambda runs: b"".join(bytes([b]) * n for b, n in runs))  # long runs of zeros and of one byte
_repeats = st.tuples(st.binary(min_size=1, max_size=40), st.integers(1, 300)).map(lambda t: t[0] * t[1])
_far_repeat = st.tuples(st.binary(min_size=16, max_size=64), st.binary(min_size=8_120, max_size=8_220)).map(
    lambda t: t[0] + t[1] + t[0])  # a repeat about the 8,191-byte window away
byte_strings = st.one_of(st.binary(max_size=2_000), _runs, _repeats, signed_transactions(), _far_repeat,
                         st.lists(st.sampled_from([b"\x00", b"\x01", b"\xab\xcd", b"\x00" * 32]), max_size=200).map(
                             b"".join))


@given(data=byte_strings)
@settings(max_examples=300)
def test_fastlz_length_equals_solady(solady, data):
    compressed = solady("compress", data)
    assert fastlz_compressed_length(data) == len(compressed)
    assert solady("decompress", compressed) == data  # the reference round-trips: the harness is the real LibZip


@pytest.mark.parametrize("n", [0, 1, 2, 12, 13, 14, 15, 16, 17, 31, 32, 33, 64, 262, 263, 264, 300, 1_000, 10_000])
def test_fastlz_length_at_the_edges(solady, n):
    for data in (bytes(n), bytes(range(256)) * (n // 256) + bytes(range(n % 256)), _noise(n)):
        assert fastlz_compressed_length(data) == len(solady("compress", data)), (n, data[:16].hex())


@pytest.mark.parametrize("distance", [8_189, 8_190, 8_191, 8_192, 8_193])
def test_fastlz_length_at_the_window_edge(solady, distance):
    """A 32-byte pattern repeated ``distance`` bytes after its start: matched up to 8,191 bytes back, not beyond."""
    pattern = _noise(32, b"pattern")
    data = b"\x01\x02" + pattern + _noise(distance - 32, b"filler") + pattern + _noise(40, b"tail")
    assert fastlz_compressed_length(data) == len(solady("compress", data))


def test_fastlz_known_shapes():
    assert fastlz_compressed_length(b"") == 0
    assert fastlz_compressed_length(b"\x07") == 2  # one literal block: header + byte
    assert fastlz_compressed_length(_noise(32)) == 33  # incompressible: one full literal block
    assert fastlz_compressed_length(_noise(33)) == 35  # a full block and a 1-byte one
    assert fastlz_compressed_length(bytes(10_000)) < 150  # zeros: long back-references
    with pytest.raises(TypeError, match="must be bytes"):
        fastlz_compressed_length("0xdead")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------- OP Stack, Fjord


def test_fjord_constants_are_the_specs():
    assert (l1fees.FJORD_INTERCEPT, l1fees.FJORD_FASTLZ_COEF, l1fees.FJORD_MIN_TRANSACTION_SIZE) == \
        (-42_585_600, 836_500, 100)


def test_fjord_min_size_floor():
    # 836,500 x 170 - 42,585,600 = 99,619,400 < 100e6: floored; 171 gives 100,455,900: not
    assert fjord_estimated_size_scaled(0) == 100_000_000
    assert fjord_estimated_size_scaled(170) == 100_000_000
    assert fjord_estimated_size_scaled(171) == 100_455_900
    assert op_fjord_l1_fee_from_size(0, PRICES) == op_fjord_l1_fee_from_size(170, PRICES)
    assert op_fjord_l1_fee_from_size(171, PRICES) > op_fjord_l1_fee_from_size(170, PRICES)


def test_fjord_fee_by_hand():
    # l1FeeScaled = 2,000 x 1e9 x 16 + 1e6 x 1e9 = 1.032e15; size 200 -> 124,714,400; x 1.032e15 / 1e12
    assert fjord_estimated_size_scaled(200) == 124_714_400
    assert op_fjord_l1_fee_from_size(200, PRICES) == 124_714_400 * 1_032
    assert op_fjord_l1_fee_from_size(100, PRICES) == 100_000_000 * 1_032  # the floor
    tx = bytes(range(256)) * 2  # no 3-byte repeat within: incompressible
    assert op_fjord_l1_fee(tx, PRICES) == op_fjord_l1_fee_from_size(fastlz_compressed_length(tx), PRICES)


# ----------------------------------------------------------------------------------------------- OP Stack, Ecotone


def test_ecotone_byte_counting():
    assert calldata_gas(b"") == 0
    assert calldata_gas(b"\x00") == 4
    assert calldata_gas(b"\x01") == 16
    assert calldata_gas(b"\x00\x01\x00\xff") == 4 + 16 + 4 + 16
    assert calldata_gas(bytes(100) + b"\x01" * 50) == 400 + 800


def test_ecotone_fee_by_hand():
    # (4 + 16) x (16 x 1e9 x 2,000 + 1e9 x 1e6) / 16e6 = 20 x 64,500,000
    assert op_ecotone_l1_fee(b"\x00\x01", PRICES) == 1_290_000_000
    # the division comes last: 1 zero byte at 1 wei, scalar 1 -> 4 x 16 / 16e6 rounds to 0, not earlier
    tiny = OpStackPrices(1, 0, 1, 0, 1)
    assert op_ecotone_l1_fee(b"\x00", tiny) == 0
    assert op_ecotone_l1_fee(b"\x01" * 1_000_000, tiny) == 16_000_000 * 16 // 16_000_000


# ----------------------------------------------------------------------------------------------- properties

_prices = st.builds(OpStackPrices, st.integers(0, 10**12), st.integers(0, 10**12), st.integers(0, 2**32 - 1),
                    st.integers(0, 2**32 - 1), st.just(Decimal(3_000)))
_raise = st.integers(0, 10**12)


@given(tx=signed_transactions(), p=_prices, d1=_raise, d2=_raise, d3=st.integers(0, 1_000), d4=st.integers(0, 1_000))
def test_op_fees_monotone_in_every_price(tx, p, d1, d2, d3, d4):
    up = OpStackPrices(p.l1_base_fee_wei + d1, p.l1_blob_base_fee_wei + d2,
                       min(p.base_fee_scalar + d3, 2**32 - 1), min(p.blob_base_fee_scalar + d4, 2**32 - 1), p.eth_usd)
    assert op_fjord_l1_fee(tx, up) >= op_fjord_l1_fee(tx, p)
    assert op_ecotone_l1_fee(tx, up) >= op_ecotone_l1_fee(tx, p)


@given(tx=signed_transactions(), price=st.integers(0, 10**12), more=st.integers(0, 10**12))
def test_arbitrum_fee_monotone_in_price(tx, price, more):
    lo, hi = ArbitrumPrices(price, Decimal(3_000)), ArbitrumPrices(price + more, Decimal(3_000))
    assert arbitrum_l1_fee(tx, hi) >= arbitrum_l1_fee(tx, lo)
    assert arbitrum_l1_fee(tx, lo) == arbitrum_poster_units(tx) * price


@given(tx=st.one_of(signed_transactions(), st.binary(min_size=1, max_size=3_000)))
def test_zero_prices_zero_fees(tx):
    zero = OpStackPrices(0, 0, 0, 0, Decimal(3_000))
    assert op_fjord_l1_fee(tx, zero) == 0
    assert op_ecotone_l1_fee(tx, zero) == 0
    assert arbitrum_l1_fee(tx, ArbitrumPrices(0, Decimal(3_000))) == 0
    e = estimate(tx, zero, ArbitrumPrices(0, Decimal(0)))
    assert (e.op_fjord_fee_wei, e.op_ecotone_fee_wei, e.arbitrum_fee_wei) == (0, 0, 0)
    assert e.op_fjord_fee_usd == e.arbitrum_fee_usd == 0


@given(tx=signed_transactions())
def test_fjord_fee_monotone_in_size(tx):
    size = fastlz_compressed_length(tx)
    assert op_fjord_l1_fee_from_size(size + 1, PRICES) >= op_fjord_l1_fee_from_size(size, PRICES)


# ----------------------------------------------------------------------------------------------- Arbitrum

KNOWN_TX = bytes(Account.from_key("0x" + "11" * 32).sign_transaction({
    "type": 2, "chainId": 42161, "nonce": 7, "gas": 120_000, "maxFeePerGas": 10**8, "maxPriorityFeePerGas": 0,
    "to": to_checksum_address("0x" + "22" * 20), "value": 0, "accessList": [],
    # makeRepayment(uint256): a selector and one amount word
    "data": keccak(text="makeRepayment(uint256)")[:4] + (850 * 10**6).to_bytes(32, "big"),
}).raw_transaction)


def test_brotli_path_on_a_known_transaction():
    n = brotli_compressed_length(KNOWN_TX)
    assert ARBITRUM_BROTLI_LEVEL == 1  # Arbitrum One's level since ArbOS 20
    assert brotli.decompress(brotli.compress(KNOWN_TX, quality=1, lgwin=22)) == KNOWN_TX
    assert n == len(brotli.compress(KNOWN_TX, mode=brotli.MODE_GENERIC, quality=1, lgwin=22))
    # brotli 1.2.1 at level 0 (nitro's initial level) finds nothing to gain in so few bytes: the 144-byte
    # transaction comes out 4 bytes longer (brotli's framing)
    assert (len(KNOWN_TX), brotli_compressed_length(KNOWN_TX, 0)) == (144, 148)
    assert n <= 148
    assert brotli_compressed_length(KNOWN_TX, 11) <= n + 2  # the best level is no worse (within framing)
    assert arbitrum_poster_units(KNOWN_TX) == 16 * n
    prices = ArbitrumPrices(62_500_000, Decimal(3_000))
    assert arbitrum_l1_fee(KNOWN_TX, prices) == 16 * n * 62_500_000
    assert ArbitrumPrices.from_price_per_byte(10**9, Decimal(3_000)).price_per_unit_wei == 62_500_000
    e = estimate(KNOWN_TX, PRICES, prices)
    assert (e.signed_tx_bytes, e.arbitrum_brotli_bytes, e.arbitrum_units) == (len(KNOWN_TX), n, 16 * n)
    assert e.arbitrum_fee_usd == Decimal(16 * n * 62_500_000) * 3_000 / 10**18


def test_brotli_compresses_repetition():
    assert brotli_compressed_length(bytes(5_000)) < 100


def test_arbitrum_estimation_padding():
    assert arbitrum_estimation_units(0) == 256 * 10_100 // 10_000  # 258
    assert arbitrum_estimation_units(1_600) == (1_600 + 256) * 101 // 100


def test_brotli_missing_is_a_configuration_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "brotli", None)
    with pytest.raises(ConfigurationError, match="pip install 'brotli"):
        brotli_compressed_length(KNOWN_TX)
    assert fastlz_compressed_length(KNOWN_TX) > 0  # the OP path needs no brotli


# ----------------------------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("kwargs, message", [
    ({"l1_base_fee_wei": -1}, "l1_base_fee_wei must not be negative"),
    ({"l1_blob_base_fee_wei": -5}, "l1_blob_base_fee_wei must not be negative"),
    ({"base_fee_scalar": -1}, "base_fee_scalar must not be negative"),
    ({"blob_base_fee_scalar": 2**32}, "blob_base_fee_scalar must be at most 4294967295"),
    ({"eth_usd": -3}, "eth_usd must not be negative"),
    ({"eth_usd": float("nan")}, "eth_usd must be finite"),
    ({"eth_usd": "lots"}, "eth_usd is not a number"),
])
def test_bad_op_prices_are_value_errors(kwargs, message):
    base = {"l1_base_fee_wei": 1, "l1_blob_base_fee_wei": 1, "base_fee_scalar": 1, "blob_base_fee_scalar": 1,
            "eth_usd": 1}
    with pytest.raises(ValueError, match=message):
        OpStackPrices(**{**base, **kwargs})


def test_bad_types_and_arbitrum_inputs():
    with pytest.raises(TypeError, match="l1_base_fee_wei must be an int"):
        OpStackPrices(1.5, 1, 1, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be an int"):
        OpStackPrices(True, 1, 1, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="price_per_unit_wei must not be negative"):
        ArbitrumPrices(-1, Decimal(1))
    with pytest.raises(ValueError, match="brotli_level must be at most 11"):
        ArbitrumPrices(1, Decimal(1), brotli_level=12)
    with pytest.raises(ValueError, match="not a multiple of 16"):
        ArbitrumPrices.from_price_per_byte(17, Decimal(1))
    with pytest.raises(ValueError, match="level must be at most 11"):
        brotli_compressed_length(b"x", 12)
    with pytest.raises(ValueError, match="fastlz_size must not be negative"):
        fjord_estimated_size_scaled(-1)
    with pytest.raises(ValueError, match="signed_tx is empty"):
        estimate(b"")
    with pytest.raises(ValueError, match="wei must not be negative"):
        wei_to_usd(-1, 3_000)
    with pytest.raises(TypeError, match="must be bytes"):
        calldata_gas([0, 1])  # type: ignore[arg-type]


def test_usd():
    assert wei_to_usd(10**18, 3_000) == 3_000
    assert wei_to_usd(10**15, "2500.5") == Decimal("2.5005")
    assert wei_to_usd(0, 0) == 0


def test_assumed_reference_values_are_labelled():
    assert "ASSUMED" in l1fees.ASSUMED_OP_STACK.label and "not live" in l1fees.ASSUMED_OP_STACK.label
    assert "ASSUMED" in l1fees.ASSUMED_ARBITRUM.label and "not live" in l1fees.ASSUMED_ARBITRUM.label
    assert l1fees.ASSUMED_ARBITRUM.price_per_unit_wei * 16 == l1fees.ASSUMED_OP_STACK.l1_blob_base_fee_wei
