// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The protocol's shared constants, defined once for every contract (Morpho Blue's `ConstantsLib` style).

/// @dev Basis points per 100 %.
uint256 constant BPS = 10_000;
/// @dev One repayment period: a 30-day month. Interest accrues per second at `annualRateBps / 12` per period.
uint256 constant PERIOD = 30 days;
/// @dev Fixed point of every loan's per-note accumulator (token units per note, 1e27 = one unit per note).
uint256 constant ACC_PRECISION = 1e27;
/// @dev Credit grades run 1 (A1, best) … 25 (E5); 0 is "no grade".
uint8 constant MAX_GRADE = 25;
/// @dev Purpose codes 0 … 31: the lending pool's auto-invest criteria select purposes with a 32-bit set.
uint8 constant PURPOSE_CODES = 32;

/// @dev Role ids (AccessControl); each contract exposes the ones it uses under the same name.
bytes32 constant GUARDIAN_ROLE_ID = keccak256("GUARDIAN_ROLE");
bytes32 constant UNDERWRITER_ROLE_ID = keccak256("UNDERWRITER_ROLE");
bytes32 constant KYC_ADMIN_ROLE_ID = keccak256("KYC_ADMIN_ROLE");
bytes32 constant REVOKER_ROLE_ID = keccak256("REVOKER_ROLE");
/// @dev Held by the loan factory on the registry: records a borrower's default when one of its loans defaults.
bytes32 constant DEFAULT_RECORDER_ROLE_ID = keccak256("DEFAULT_RECORDER_ROLE");
