// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Test only: a namespace annotation that disagrees with the slot the contract really uses (the constant is
/// LoanFactory's slot, not erc7201("disfruta.storage.Mislabelled")). The layout check must refuse it.
contract MockMislabelledNamespace {
    /// @custom:storage-location erc7201:disfruta.storage.Mislabelled
    struct MislabelledStorage {
        uint256 value;
    }

    bytes32 private constant _STORAGE_LOCATION = 0x1b831f4ced5b8cf30cba27eef235e177ef315b94b975cd885a536af35b09fc00;

    function value() external view returns (uint256 v) {
        MislabelledStorage storage $;
        assembly {
            $.slot := _STORAGE_LOCATION
        }
        v = $.value;
    }
}
