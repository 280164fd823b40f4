"""L1 data cost of each gas row's transaction on OP-stack chains (Fjord) and Arbitrum, from its signed bytes.

The gas bench sends from impersonated accounts (anvil's `eth_sendTransaction` with auto-impersonation), whose
transactions carry no real signature. So each measured transaction is read back (`eth_getTransactionByHash`) and
signed again, unchanged (type 2, chain id, nonce, gas limit, fees, to, value, data), with its sender's own key: the
bytes that sender's wallet would have sent. anvil's own `eth_getRawTransactionByHash` of such a transaction has an
empty signature (y, r, s = 0, 64 bytes short; with auto-impersonation on, even the dev account's): every re-signed
transaction is checked equal to it field for field, signature aside. The fees come from
`disfruta.l1fees` at its ASSUMED reference prices (see there and the README: illustrative, not live).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import rlp  # type: ignore[import-untyped]
from disfruta import l1fees
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from bench.gas import MeasuredTx
from bench.node import Anvil

UNSIGNED_FIELDS = 9  # an EIP-1559 payload: chain id, nonce, tip, max fee, gas, to, value, data, access list; y, r, s


def signed_bytes(node: Anvil, tx_hash: str, keys: dict[str, LocalAccount]) -> bytes:
    """The transaction ``tx_hash`` signed by its sender's key, checked field for field (all but the signature)
    against anvil's own raw bytes, whose signature must be ours or empty."""
    tx = node.rpc("eth_getTransactionByHash", tx_hash)
    if int(tx["type"], 16) != 2:
        raise ValueError(f"{tx_hash}: type {tx['type']} (the bench sends EIP-1559 transactions only)")
    sender = tx["from"].lower()
    if sender not in keys:
        raise KeyError(f"{tx_hash}: no key for the sender {tx['from']}")
    fields = {"type": 2, "chainId": int(tx["chainId"], 16), "nonce": int(tx["nonce"], 16), "gas": int(tx["gas"], 16),
              "maxFeePerGas": int(tx["maxFeePerGas"], 16), "maxPriorityFeePerGas": int(tx["maxPriorityFeePerGas"], 16),
              "to": to_checksum_address(tx["to"]), "value": int(tx["value"], 16), "data": tx["input"],
              "accessList": tx.get("accessList") or []}
    raw = bytes(keys[sender].sign_transaction(fields).raw_transaction)
    theirs = bytes(HexBytes(node.rpc("eth_getRawTransactionByHash", tx_hash)))
    ours_items, their_items = rlp.decode(raw[1:]), rlp.decode(theirs[1:])
    if theirs[:1] != raw[:1] or ours_items[:UNSIGNED_FIELDS] != their_items[:UNSIGNED_FIELDS]:
        raise AssertionError(f"{tx_hash}: re-encoded fields differ from anvil's ({raw.hex()} vs {theirs.hex()})")
    if their_items[UNSIGNED_FIELDS:] not in (ours_items[UNSIGNED_FIELDS:], [b"", b"", b""]):
        raise AssertionError(f"{tx_hash}: anvil's signature is neither ours nor empty ({theirs.hex()})")
    return raw


def measure_l1_data(node: Anvil, measured: Sequence[MeasuredTx], senders: Sequence[LocalAccount], gas_rows: list[Any],
                    log: Callable[[str], None]) -> dict[str, Any]:
    keys = {a.address.lower(): a for a in senders}
    gas_by_op = {r.operation: r.gas for r in gas_rows}
    op, arb = l1fees.ASSUMED_OP_STACK, l1fees.ASSUMED_ARBITRUM
    rows, checked = [], 0
    for m in measured:
        raw = signed_bytes(node, m.tx_hash, keys)
        checked += 1
        e = l1fees.estimate(raw, op, arb)
        row = {"operation": m.operation, "l2_gas": gas_by_op[m.operation], **e.as_json()}
        if m.parts > 1:  # a per-lender row: the whole transaction's bytes, its fees shared as its gas is
            row["parts"] = m.parts
            for k in ("op_fjord_fee_wei", "op_ecotone_fee_wei", "arbitrum_fee_wei"):
                row[k] //= m.parts
            row["op_fjord_fee_usd"] = float(l1fees.wei_to_usd(row["op_fjord_fee_wei"], op.eth_usd))
            row["op_ecotone_fee_usd"] = float(l1fees.wei_to_usd(row["op_ecotone_fee_wei"], op.eth_usd))
            row["arbitrum_fee_usd"] = float(l1fees.wei_to_usd(row["arbitrum_fee_wei"], arb.eth_usd))
        rows.append(row)
    log(f"gas: L1 data estimated for {len(rows)} transactions, each re-signed and checked against anvil's raw bytes")
    return {
        "rows": rows,
        "assumptions": {"op_stack": op.as_json(), "arbitrum": arb.as_json(),
                        "note": "ASSUMED round reference prices, illustrative, not read from any chain; the fee "
                                "scales linearly with each price (read live ones as disfruta.l1fees says)"},
        "formulas": l1fees.FORMULAS,
        "signed_bytes": ("each measured transaction as anvil recorded it (type 2, chain id 31337, the bench's gas "
                         "limit 5,000,000, max fee 10 gwei, tip 0), re-signed with its sender's key: anvil keeps the "
                         "bench's impersonated transactions with an empty signature (y, r, s = 0: 64 bytes short of a "
                         f"signed one); all {checked} checked field for field against anvil's "
                         "eth_getRawTransactionByHash"),
        "per_lender_rows": "a row of a batch (parts > 1) shows the whole transaction's bytes and its fees divided "
                           "by the batch, as its gas",
    }
