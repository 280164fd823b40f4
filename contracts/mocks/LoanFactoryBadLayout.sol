// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ILoanFactory} from "../interfaces/ILoanFactory.sol";
import {IUserRegistry} from "../interfaces/IUserRegistry.sol";

/// @title LoanFactoryBadLayout (test only)
/// @notice An upgrade of `LoanFactory` that must be refused before it is ever proposed: it keeps the namespace id but
/// widens `loanCounter` (uint64 → uint256, so every later member moves by a slot) and swaps `loans` and `loanIds`.
/// Behind the live proxy it would read the loan limits as the counter and the loan ids as loan addresses.
contract LoanFactoryBadLayout is AccessControlUpgradeable, PausableUpgradeable, UUPSUpgradeable {
    /* ------------------------------------------------------------------ storage */

    struct Rate {
        uint16 annualRateBps;
        uint16 originationFeeBps;
    }

    /// @custom:storage-location erc7201:disfruta.storage.LoanFactory
    struct LoanFactoryStorage {
        IUserRegistry registry;
        address asset;
        address loanImplementation;
        uint256 loanCounter;
        ILoanFactory.Limits limits;
        mapping(uint8 grade => Rate) rates;
        mapping(address loan => uint256) loanIds;
        mapping(uint256 loanId => address) loans;
        mapping(address borrower => uint256) exposure;
        mapping(address borrower => uint256) openDefaults;
        mapping(address loan => ILoanFactory.DefaultRecord) defaults;
    }

    // keccak256(abi.encode(uint256(keccak256("disfruta.storage.LoanFactory")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_LOCATION = 0x1b831f4ced5b8cf30cba27eef235e177ef315b94b975cd885a536af35b09fc00;

    function _s() private pure returns (LoanFactoryStorage storage $) {
        assembly {
            $.slot := _STORAGE_LOCATION
        }
    }

    /* ------------------------------------------------------------------ initializer */

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /* ------------------------------------------------------------------ views */

    function loanCounter() external view returns (uint256) {
        return _s().loanCounter;
    }

    /* ------------------------------------------------------------------ internal */

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}
}
