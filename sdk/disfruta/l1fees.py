"""Estimates of a transaction's L1 data fee on OP-stack chains and on Arbitrum, from its signed bytes.

A rollup charges every transaction, besides its L2 execution gas, for the data it adds to what is posted on L1 (the
"L1 data fee" / "poster fee"). The fee depends on the size of the signed transaction after compression and on
prices the chain reads from L1; this module computes it with the chains' own formulas from the transaction bytes and
the prices you give it. Pure functions, no node: read the live prices from the chain when you need a live figure
(`OpStackPrices`, `ArbitrumPrices` say where), or use the clearly ASSUMED reference values of `ASSUMED_OP_STACK` and
`ASSUMED_ARBITRUM`, which are round numbers chosen for illustration and were not read from any chain.

OP Stack
    *Fjord* (the current rule on OP Mainnet and Base), from the Fjord execution-engine spec
    (https://specs.optimism.io/protocol/fjord/exec-engine.html, mirrored at
    https://docs.base.org/base-chain/specs/upgrades/fjord/exec-engine)::

        l1FeeScaled         = l1BaseFeeScalar*l1BaseFee*16 + l1BlobFeeScalar*l1BlobBaseFee
        estimatedSizeScaled = max(minTransactionSize*1e6, intercept + fastlzCoef*fastlzSize)
        l1Fee               = estimatedSizeScaled*l1FeeScaled / 1e12

    with intercept = -42_585_600, fastlzCoef = 836_500, minTransactionSize = 100, and fastlzSize the length of the
    RLP-encoded *signed* transaction after FastLZ (level 1) compression, exactly as Solady's
    ``LibZip.flzCompress(data).length`` that the GasPriceOracle predeploy uses (op-geth: ``FlzCompressLen``).
    `fastlz_compressed_length` implements that length; the tests check it against Solady's Solidity on a node.

    *Ecotone* (before Fjord; an OP-stack chain that has not activated Fjord still charges this), from op-geth's
    ``core/types/rollup_cost.go`` (``newL1CostFuncEcotone``; the Ecotone spec's "L1 cost fee changes")::

        calldataGas = 4*zeroBytes + 16*nonZeroBytes          (of the signed transaction; no fixed overhead)
        l1Fee       = calldataGas*(16*l1BaseFee*l1BaseFeeScalar + l1BlobBaseFee*l1BlobBaseFeeScalar) / 16e6

    i.e. ``(calldataGas/16)*(…)/1e6`` with the division done last (integer arithmetic, as op-geth). Isthmus' and
    Jovian's operator fee is an L2-side charge on execution gas, not data, and is not included.

Arbitrum Nitro
    From nitro's ``arbos/l1pricing/l1pricing.go`` (``getPosterUnitsWithoutCache``, ``PosterDataCost``) and the docs'
    "Gas and fees" / "Parent chain pricing" pages
    (https://docs.arbitrum.io/how-arbitrum-works/deep-dives/gas-and-fees,
    https://docs.arbitrum.io/how-arbitrum-works/deep-dives/parent-chain-pricing)::

        units  = 16 * len(brotli(signedTx, level))    (params.TxDataNonZeroGasEIP2028 per compressed byte)
        fee    = units * pricePerUnit

    where the level is ArbOS' ``BrotliCompressionLevel`` (nitro's ``InitialBrotliCompressionLevel`` is 0; the
    ArbOS 20 upgrade set 1, Arbitrum One's level since; a chain owner may raise it up to 11, and ``ArbOwnerPublic.getBrotliCompressionLevel()`` at
    0x…006b reads the live one) and nitro's compressor uses brotli's default window (``WINDOW_SIZE = 22``) in
    generic mode. ``pricePerUnit`` is ``ArbGasInfo.getL1BaseFeeEstimate()`` (0x…006c); note that
    ``getPricesInWei()[1]`` is *not* the price per unit but ``pricePerUnit*16``, the price per compressed byte
    (nitro's ``precompiles/ArbGasInfo.go``: ``weiForL1Calldata = PricePerUnit * TxDataNonZeroGasEIP2028``).
    When nitro has no signed transaction (``eth_estimateGas``) it prices a stand-in transaction and pads:
    ``units = (units + 256) * 10_100 / 10_000`` (``estimationPaddingUnits = 16*16``, ``estimationPaddingBasisPoints
    = 100``); `arbitrum_estimation_units` applies that padding, `arbitrum_l1_fee` charges the signed transaction as
    sequenced (no padding). The Arbitrum path needs Google's ``brotli`` package (``pip install brotli``; the project
    pins it in the ``dev`` extra), imported only when used.

Results are in wei (ints); `wei_to_usd` turns a fee into US dollars at an ETH/USD rate you state.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from disfruta.errors import ConfigurationError

# --- OP Stack, Fjord (specs.optimism.io/protocol/fjord/exec-engine.html; the GasPriceOracle's constants)
FJORD_INTERCEPT = -42_585_600  # scaled by 1e6
FJORD_FASTLZ_COEF = 836_500  # scaled by 1e6
FJORD_MIN_TRANSACTION_SIZE = 100  # bytes
FJORD_SCALE = 1_000_000
FJORD_DIVISOR = 1_000_000_000_000
# --- OP Stack, Ecotone (op-geth core/types/rollup_cost.go)
ZERO_BYTE_GAS = 4  # params.TxDataZeroGas
NON_ZERO_BYTE_GAS = 16  # params.TxDataNonZeroGasEIP2028
ECOTONE_DIVISOR = 16 * 1_000_000
# --- Arbitrum Nitro (arbos/l1pricing/l1pricing.go, arbcompress)
ARBITRUM_UNITS_PER_BYTE = 16  # params.TxDataNonZeroGasEIP2028, per byte after brotli
# ArbOS' BrotliCompressionLevel on Arbitrum One: nitro starts a chain at 0 (l1pricing.InitialBrotliCompressionLevel)
# and the ArbOS 20 ("Atlas") upgrade sets 1 (arbos/arbosState/arbosstate.go, upgrade case 20), live on Arbitrum One
# since March 2024. An Orbit chain may differ: ArbOwnerPublic.getBrotliCompressionLevel() reads it.
ARBITRUM_BROTLI_LEVEL = 1
ARBITRUM_MAX_BROTLI_LEVEL = 11  # arbcompress.LEVEL_WELL: ArbOS refuses a higher level
ARBITRUM_BROTLI_WINDOW = 22  # arbcompress.WINDOW_SIZE (BROTLI_DEFAULT_WINDOW)
ARBITRUM_ESTIMATION_PADDING_UNITS = 16 * 16  # estimationPaddingUnits
ARBITRUM_ESTIMATION_PADDING_BIPS = 100  # estimationPaddingBasisPoints (on top of 10,000)

UINT32_MAX = 2**32 - 1  # the OP-stack scalars are uint32 (L1Block / GasPriceOracle)
WEI_PER_ETH = 10**18

# FastLZ level 1 as in Solady's LibZip.flzCompress (itself FastLZ at ariya/FastLZ@344eb40)
_FLZ_HASH_MULTIPLIER = 2654435769
_FLZ_HASH_MASK = 0x1FFF  # 8,192 hash slots
_FLZ_MAX_DISTANCE = 0x1FFF
_FLZ_LITERAL_RUN = 32  # a literal block holds at most 32 bytes after its 1-byte header
_FLZ_MAX_MATCH_CHUNK = 262  # a long match is emitted in pieces of 262 bytes, 3 bytes each
_FLZ_SHORT_MATCH = 7  # a match shorter than this is emitted in 2 bytes, a longer one in 3


# ------------------------------------------------------------------------------------------------- input checks


def _as_bytes(data: Any, name: str = "data") -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{name} must be bytes (the signed transaction's raw bytes), not {type(data).__name__}")


def _non_negative_int(value: Any, name: str, *, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int (wei or a scaled integer), not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative (got {value})")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum} (got {value})")
    return value


def _eth_usd(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise TypeError(f"eth_usd must be a number, not {type(value).__name__}")
    try:
        rate = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except ArithmeticError as exc:
        raise ValueError(f"eth_usd is not a number: {value!r}") from exc
    if not rate.is_finite():
        raise ValueError(f"eth_usd must be finite (got {value!r})")
    if rate < 0:
        raise ValueError(f"eth_usd must not be negative (got {value!r})")
    return rate


# ------------------------------------------------------------------------------------------------- prices


@dataclass(frozen=True)
class OpStackPrices:
    """What an OP-stack chain reads from L1 for its data fee, and an ETH/USD rate for the dollar figure.

    Live values: the GasPriceOracle predeploy (0x420000000000000000000000000000000000000F) answers ``l1BaseFee()``,
    ``blobBaseFee()``, ``baseFeeScalar()`` and ``blobBaseFeeScalar()`` (the scalars are uint32, scaled by 1e6).
    """

    l1_base_fee_wei: int
    l1_blob_base_fee_wei: int
    base_fee_scalar: int
    blob_base_fee_scalar: int
    eth_usd: Decimal
    label: str = ""

    def __post_init__(self) -> None:
        _non_negative_int(self.l1_base_fee_wei, "l1_base_fee_wei")
        _non_negative_int(self.l1_blob_base_fee_wei, "l1_blob_base_fee_wei")
        _non_negative_int(self.base_fee_scalar, "base_fee_scalar", maximum=UINT32_MAX)
        _non_negative_int(self.blob_base_fee_scalar, "blob_base_fee_scalar", maximum=UINT32_MAX)
        object.__setattr__(self, "eth_usd", _eth_usd(self.eth_usd))

    def as_json(self) -> dict[str, Any]:
        return {"l1_base_fee_wei": self.l1_base_fee_wei, "l1_blob_base_fee_wei": self.l1_blob_base_fee_wei,
                "base_fee_scalar": self.base_fee_scalar, "blob_base_fee_scalar": self.blob_base_fee_scalar,
                "eth_usd": str(self.eth_usd), "label": self.label}


@dataclass(frozen=True)
class ArbitrumPrices:
    """Arbitrum's price of one L1 data unit (16 units per brotli-compressed byte), its brotli level, and ETH/USD.

    Live values: ``ArbGasInfo.getL1BaseFeeEstimate()`` at 0x000000000000000000000000000000000000006C is the price per
    unit (``getPricesInWei()[1]`` is 16 times it: the price per byte); ``ArbOwnerPublic.getBrotliCompressionLevel()``
    at 0x…006B is the level.
    """

    price_per_unit_wei: int
    eth_usd: Decimal
    brotli_level: int = ARBITRUM_BROTLI_LEVEL
    label: str = ""

    def __post_init__(self) -> None:
        _non_negative_int(self.price_per_unit_wei, "price_per_unit_wei")
        _non_negative_int(self.brotli_level, "brotli_level", maximum=ARBITRUM_MAX_BROTLI_LEVEL)
        object.__setattr__(self, "eth_usd", _eth_usd(self.eth_usd))

    @classmethod
    def from_price_per_byte(cls, wei_per_byte: int, eth_usd: Decimal, **kw: Any) -> ArbitrumPrices:
        """From ``ArbGasInfo.getPricesInWei()[1]`` (wei per compressed byte = 16 units)."""
        wei_per_byte = _non_negative_int(wei_per_byte, "wei_per_byte")
        if wei_per_byte % ARBITRUM_UNITS_PER_BYTE:
            raise ValueError(f"a price per byte is 16 x the price per unit; {wei_per_byte} is not a multiple of 16")
        return cls(wei_per_byte // ARBITRUM_UNITS_PER_BYTE, eth_usd, **kw)

    def as_json(self) -> dict[str, Any]:
        return {"price_per_unit_wei": self.price_per_unit_wei, "brotli_level": self.brotli_level,
                "eth_usd": str(self.eth_usd), "label": self.label}


ASSUMED_ETH_USD = Decimal(3_000)
# ASSUMED reference values for the bench and the README: round numbers, NOT read from any chain and not claimed to be
# current. L1 base fee 1 gwei, blob base fee 1 gwei; OP-stack scalars of the size chains set after Ecotone (a base-fee
# scalar in the thousands, a blob scalar near 1e6, i.e. about one blob-gas unit per compressed byte); Arbitrum's price
# per unit such that a compressed byte (16 units) costs the same 1 gwei as a blob byte.
ASSUMED_OP_STACK = OpStackPrices(
    l1_base_fee_wei=10**9, l1_blob_base_fee_wei=10**9, base_fee_scalar=2_000, blob_base_fee_scalar=1_000_000,
    eth_usd=ASSUMED_ETH_USD, label="ASSUMED (illustrative, not live): L1 base fee 1 gwei, blob base fee 1 gwei, "
                                   "baseFeeScalar 2,000, blobBaseFeeScalar 1,000,000, ETH = 3,000 USD")
ASSUMED_ARBITRUM = ArbitrumPrices(
    price_per_unit_wei=10**9 // ARBITRUM_UNITS_PER_BYTE, eth_usd=ASSUMED_ETH_USD, brotli_level=ARBITRUM_BROTLI_LEVEL,
    label="ASSUMED (illustrative, not live): price per unit 62,500,000 wei (1 gwei per compressed byte), "
          "brotli level 1 (Arbitrum One since ArbOS 20), ETH = 3,000 USD")


def wei_to_usd(wei: int, eth_usd: Decimal | float | str) -> Decimal:
    """``wei`` in US dollars at ``eth_usd`` dollars per ether (exact decimal arithmetic)."""
    return Decimal(_non_negative_int(wei, "wei")) * _eth_usd(eth_usd) / WEI_PER_ETH


# ------------------------------------------------------------------------------------------------- FastLZ


def _flz_literals_length(run: int) -> int:
    """Bytes FastLZ spends on ``run`` literal bytes: blocks of up to 32 bytes, each with a 1-byte header."""
    full, rest = divmod(run, _FLZ_LITERAL_RUN)
    return full * (_FLZ_LITERAL_RUN + 1) + (rest + 1 if rest else 0)


def _flz_match_length(length: int) -> int:
    """Bytes FastLZ spends on one match of the (encoder-internal) ``length``: 3 per 262-byte piece, then 2 or 3."""
    size = 0
    while length > _FLZ_MAX_MATCH_CHUNK:
        size += 3
        length -= _FLZ_MAX_MATCH_CHUNK
    return size + (2 if length < _FLZ_SHORT_MATCH else 3)


def fastlz_compressed_length(data: bytes) -> int:
    """Length of ``data`` after FastLZ level-1 compression, equal to Solady's ``LibZip.flzCompress(data).length``
    (what OP's GasPriceOracle and op-geth's ``FlzCompressLen`` compute for the Fjord fee).

    The encoder: a hash of each 3-byte sequence indexes an 8,192-slot table of the last position where that hash was
    seen (a slot never written reads as position 0); a match needs the same 3 bytes within 8,191 bytes back. Bytes
    before a match go out as literal blocks, a match as a 2- or 3-byte back-reference, and matching stops 4 bytes
    before the end (the last 13 bytes never start one); whatever is left goes out as literals.
    """
    data = _as_bytes(data)
    n = len(data)
    limit = n - 13
    table = [0] * (_FLZ_HASH_MASK + 1)

    def u24(i: int) -> int:
        return data[i] | (data[i + 1] << 8) | (data[i + 2] << 16)

    def slot(sequence: int) -> int:
        return ((sequence * _FLZ_HASH_MULTIPLIER) >> 19) & _FLZ_HASH_MASK

    size = 0
    anchor = 0  # the first byte not yet emitted
    ip = 2
    while ip < limit:
        while True:  # look for a match at ip, ip + 1, …
            sequence = u24(ip)
            h = slot(sequence)
            ref = table[h]
            table[h] = ip
            distance = ip - ref
            if ip >= limit:
                break
            ip += 1
            if distance <= _FLZ_MAX_DISTANCE and sequence == u24(ref):
                break
        if ip >= limit:  # also drops a match found at the last position tried, as Solady does
            break
        ip -= 1  # the match starts here
        if ip > anchor:
            size += _flz_literals_length(ip - anchor)
        # The match runs on past its first 3 bytes; the encoder's length counts the first differing byte too (or stops
        # at the bound, 4 bytes before the end).
        p, q = ref + 3, ip + 3
        bound = limit + 9 - q
        length = 0
        while length < bound:
            same = data[p + length] == data[q + length]
            length += 1
            if not same:
                break
        size += _flz_match_length(length)
        ip += length
        for _ in range(2):  # the two positions after the match go into the table
            table[slot(u24(ip))] = ip
            ip += 1
        anchor = ip
    return size + _flz_literals_length(n - anchor)


# ------------------------------------------------------------------------------------------------- OP Stack


def calldata_gas(data: bytes) -> int:
    """L1 calldata gas of ``data``: 4 per zero byte, 16 per non-zero byte (EIP-2028), as Ecotone counts it."""
    data = _as_bytes(data)
    zeros = data.count(0)
    return ZERO_BYTE_GAS * zeros + NON_ZERO_BYTE_GAS * (len(data) - zeros)


def fjord_estimated_size_scaled(fastlz_size: int) -> int:
    """Fjord's estimated compressed size, scaled by 1e6: ``max(100e6, -42_585_600 + 836_500*fastlzSize)``."""
    fastlz_size = _non_negative_int(fastlz_size, "fastlz_size")
    return max(FJORD_MIN_TRANSACTION_SIZE * FJORD_SCALE, FJORD_INTERCEPT + FJORD_FASTLZ_COEF * fastlz_size)


def op_fjord_l1_fee_from_size(fastlz_size: int, prices: OpStackPrices) -> int:
    """Fjord L1 data fee in wei of a transaction whose signed bytes FastLZ-compress to ``fastlz_size`` bytes."""
    l1_fee_scaled = (prices.base_fee_scalar * prices.l1_base_fee_wei * 16
                     + prices.blob_base_fee_scalar * prices.l1_blob_base_fee_wei)
    return fjord_estimated_size_scaled(fastlz_size) * l1_fee_scaled // FJORD_DIVISOR


def op_fjord_l1_fee(signed_tx: bytes, prices: OpStackPrices) -> int:
    """Fjord L1 data fee in wei of the RLP-encoded signed transaction ``signed_tx`` (OP Mainnet, Base)."""
    return op_fjord_l1_fee_from_size(fastlz_compressed_length(signed_tx), prices)


def op_ecotone_l1_fee(signed_tx: bytes, prices: OpStackPrices) -> int:
    """Ecotone L1 data fee in wei of the signed transaction ``signed_tx``, for an OP-stack chain not yet on Fjord:
    ``calldataGas*(16*l1BaseFee*baseFeeScalar + blobBaseFee*blobBaseFeeScalar) // 16e6``."""
    weighted = (16 * prices.l1_base_fee_wei * prices.base_fee_scalar
                + prices.l1_blob_base_fee_wei * prices.blob_base_fee_scalar)
    return calldata_gas(signed_tx) * weighted // ECOTONE_DIVISOR


# ------------------------------------------------------------------------------------------------- Arbitrum


def _brotli() -> Any:
    try:
        import brotli  # type: ignore[import-untyped]  # Google's bindings (PyPI `brotli`)
    except ImportError as exc:
        raise ConfigurationError(
            "the Arbitrum L1 fee estimate needs Google's brotli package: pip install 'brotli==1.2.1' "
            "(in the project: `make setup` installs it with the dev extra)") from exc
    return brotli


def brotli_compressed_length(data: bytes, level: int = ARBITRUM_BROTLI_LEVEL) -> int:
    """Length of ``data`` compressed as nitro's ``arbcompress.CompressLevel`` does: brotli at quality ``level``,
    window 22 (brotli's default), generic mode."""
    data = _as_bytes(data)
    level = _non_negative_int(level, "level", maximum=ARBITRUM_MAX_BROTLI_LEVEL)
    brotli = _brotli()
    return len(brotli.compress(data, mode=brotli.MODE_GENERIC, quality=level, lgwin=ARBITRUM_BROTLI_WINDOW))


def arbitrum_poster_units(signed_tx: bytes, level: int = ARBITRUM_BROTLI_LEVEL) -> int:
    """Nitro's L1 data units of the signed transaction: 16 per byte after brotli (``getPosterUnitsWithoutCache``)."""
    return ARBITRUM_UNITS_PER_BYTE * brotli_compressed_length(signed_tx, level)


def arbitrum_estimation_units(units: int) -> int:
    """The padding nitro adds when it estimates gas without the signed transaction:
    ``(units + 256) * 10_100 // 10_000`` (``PosterDataCost``; ``arbmath.UintMulByBips``)."""
    units = _non_negative_int(units, "units")
    bips = 10_000 + ARBITRUM_ESTIMATION_PADDING_BIPS
    return (units + ARBITRUM_ESTIMATION_PADDING_UNITS) * bips // 10_000


def arbitrum_l1_fee(signed_tx: bytes, prices: ArbitrumPrices) -> int:
    """Arbitrum's poster (L1 data) fee in wei of the sequenced signed transaction: units × price per unit."""
    return arbitrum_poster_units(signed_tx, prices.brotli_level) * prices.price_per_unit_wei


# ------------------------------------------------------------------------------------------------- one transaction


@dataclass(frozen=True)
class L1DataEstimate:
    """Every figure of one signed transaction: sizes, then the fees in wei and US dollars at the given prices."""

    signed_tx_bytes: int
    calldata_gas: int
    fastlz_bytes: int
    op_fjord_fee_wei: int
    op_fjord_fee_usd: Decimal
    op_ecotone_fee_wei: int
    op_ecotone_fee_usd: Decimal
    arbitrum_brotli_bytes: int
    arbitrum_units: int
    arbitrum_fee_wei: int
    arbitrum_fee_usd: Decimal

    def as_json(self) -> dict[str, Any]:
        return {k: (float(v) if isinstance(v, Decimal) else v) for k, v in self.__dict__.items()}


def estimate(signed_tx: bytes, op: OpStackPrices = ASSUMED_OP_STACK,
             arbitrum: ArbitrumPrices = ASSUMED_ARBITRUM) -> L1DataEstimate:
    """All the L1 data figures of one signed transaction (defaults: the ASSUMED reference prices)."""
    signed_tx = _as_bytes(signed_tx, "signed_tx")
    if not signed_tx:
        raise ValueError("signed_tx is empty: pass the raw signed transaction (eth_getRawTransactionByHash)")
    fastlz = fastlz_compressed_length(signed_tx)
    fjord = op_fjord_l1_fee_from_size(fastlz, op)
    ecotone = op_ecotone_l1_fee(signed_tx, op)
    brotli_bytes = brotli_compressed_length(signed_tx, arbitrum.brotli_level)
    units = ARBITRUM_UNITS_PER_BYTE * brotli_bytes
    arb = units * arbitrum.price_per_unit_wei
    return L1DataEstimate(
        signed_tx_bytes=len(signed_tx), calldata_gas=calldata_gas(signed_tx), fastlz_bytes=fastlz,
        op_fjord_fee_wei=fjord, op_fjord_fee_usd=wei_to_usd(fjord, op.eth_usd),
        op_ecotone_fee_wei=ecotone, op_ecotone_fee_usd=wei_to_usd(ecotone, op.eth_usd),
        arbitrum_brotli_bytes=brotli_bytes, arbitrum_units=units, arbitrum_fee_wei=arb,
        arbitrum_fee_usd=wei_to_usd(arb, arbitrum.eth_usd))


FORMULAS = {
    "op_stack_fjord": {
        "formula": "l1Fee = max(minTransactionSize*1e6, intercept + fastlzCoef*fastlzSize) * "
                   "(l1BaseFeeScalar*l1BaseFee*16 + l1BlobFeeScalar*l1BlobBaseFee) / 1e12; intercept -42585600, "
                   "fastlzCoef 836500, minTransactionSize 100; fastlzSize = FastLZ length of the signed RLP tx "
                   "(Solady LibZip.flzCompress)",
        "source": "https://specs.optimism.io/protocol/fjord/exec-engine.html",
        "applies_to": "OP-stack chains on Fjord or later (OP Mainnet, Base)",
    },
    "op_stack_ecotone": {
        "formula": "l1Fee = (4*zeroBytes + 16*nonZeroBytes) * (16*l1BaseFee*baseFeeScalar + "
                   "blobBaseFee*blobBaseFeeScalar) / 16e6, over the signed tx",
        "source": "op-geth core/types/rollup_cost.go (newL1CostFuncEcotone)",
        "applies_to": "OP-stack chains on Ecotone that have not activated Fjord",
    },
    "arbitrum": {
        "formula": "fee = 16 * len(brotli(signedTx, level=ArbOS BrotliCompressionLevel, window 22)) * pricePerUnit; "
                   "pricePerUnit = ArbGasInfo.getL1BaseFeeEstimate() (getPricesInWei()[1] is 16x it, per byte); "
                   "eth_estimateGas pads: (units + 256) * 1.01",
        "source": "nitro arbos/l1pricing/l1pricing.go (getPosterUnitsWithoutCache, PosterDataCost), "
                  "precompiles/ArbGasInfo.go; https://docs.arbitrum.io/how-arbitrum-works/deep-dives/gas-and-fees",
        "applies_to": "Arbitrum Nitro chains; level 1 is Arbitrum One's since ArbOS 20 (nitro's initial level is 0)",
    },
}

__all__ = [
    "ASSUMED_ARBITRUM",
    "ASSUMED_ETH_USD",
    "ASSUMED_OP_STACK",
    "FORMULAS",
    "ArbitrumPrices",
    "L1DataEstimate",
    "OpStackPrices",
    "arbitrum_estimation_units",
    "arbitrum_l1_fee",
    "arbitrum_poster_units",
    "brotli_compressed_length",
    "calldata_gas",
    "estimate",
    "fastlz_compressed_length",
    "fjord_estimated_size_scaled",
    "op_ecotone_l1_fee",
    "op_fjord_l1_fee",
    "op_fjord_l1_fee_from_size",
    "wei_to_usd",
]
