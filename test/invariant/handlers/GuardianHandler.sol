// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Loan} from "../../../contracts/Loan.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Env} from "../../utils/DisfrutaFixture.sol";
import {Ghost} from "../Ghost.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @notice The guardian (the Safe, no delay) pauses; the revoker pulls a lender's KYC; governance (the timelock, here
/// its executed call) unpauses and distributes fees. The guardian also tries what only governance may do: it must
/// fail every time (invariant 7).
contract GuardianHandler is HandlerBase {
    constructor(Env memory env_, Ghost ghost_, address[] memory borrowers_, address[] memory lenders_)
        HandlerBase(env_, ghost_, borrowers_, lenders_)
    {}

    function pause(uint256 which) external {
        // A pause is an emergency: one call in four pauses something (else the market would be frozen most of the run).
        if ((which >> 8) % 4 != 0) return;
        vm.prank(env.guardian);
        uint256 w = which % 3;
        if (w == 0) {
            try env.factory.pause() {} catch {}
        } else if (w == 1) {
            try env.pool.pause() {} catch {}
        } else {
            try env.registry.pause() {} catch {}
        }
        _count("guardian.pause");
    }

    function pauseLoan(uint256 loanSeed, uint256 dice) external {
        (Loan loan, bool ok) = _loan(loanSeed);
        if (!ok) return;
        bool paused = dice % 4 == 0; // pausing one loan is the exception, unpausing the rule
        uint256 id = loan.loanId();
        vm.prank(env.underwriter);
        if (paused) {
            try env.factory.pauseLoan(id) {} catch {}
        } else {
            try env.factory.unpauseLoan(id) {} catch {}
        }
        _count("underwriter.pauseLoan");
    }

    /// @dev The timelock executing an unpause that waited out its delay.
    function governanceUnpause() external {
        vm.startPrank(env.gov);
        if (env.factory.paused()) env.factory.unpause();
        if (env.pool.paused()) env.pool.unpause();
        if (env.registry.paused()) env.registry.unpause();
        vm.stopPrank();
        _count("governance.unpause");
    }

    function governanceDistributeFees(uint256 amountSeed) external {
        uint256 available = env.treasury.availableFees();
        if (available == 0) return;
        uint256 amount = bound(amountSeed, 1, available);
        vm.prank(env.gov);
        try env.treasury.distributeFees(address(0xFEE5), amount) {
            ghost.addFeesDistributed(amount);
            _count("governance.distributeFees");
        } catch {}
    }

    /// @dev A lender's KYC pulled at once (they keep their notes, claims and cash; they just can't take new risk).
    function revokeLender(uint256 who, uint256 dice) external {
        if (dice % 3 != 0) return; // revocations are rare events
        address l = _lender(who);
        vm.prank(env.revoker);
        try env.registry.revokeUser(l, "fuzz") {
            _count("revoker.revokeUser");
        } catch {}
    }

    /// @dev A revoked or lapsed lender resubmits KYC and the KYC admin verifies it again.
    function reverify(uint256 who) external {
        address l = _lender(who);
        vm.prank(l);
        try env.registry.updateKYC(keccak256(abi.encode("kyc again", l, block.timestamp))) {} catch {}
        vm.prank(env.kycAdmin);
        try env.registry.verifyUser(l) {
            _count("kycAdmin.reverify");
        } catch {}
    }

    /// @dev Invariant 7: the guardian may pause but never do what is governed (behind the timelock).
    function guardianOverreach(uint256 which) external {
        uint256 w = which % 8;
        address target;
        bytes memory data;
        if (w == 0) (target, data) = (address(env.factory), abi.encodeWithSignature("unpause()"));
        else if (w == 1) (target, data) = (address(env.pool), abi.encodeWithSignature("unpause()"));
        else if (w == 2) (target, data) = (address(env.registry), abi.encodeWithSignature("unpause()"));
        else if (w == 3) (target, data) = (address(env.factory), abi.encodeWithSignature("setRate(uint8,uint16,uint16)", 1, 100, 0));
        else if (w == 4) (target, data) = (address(env.registry), abi.encodeWithSignature("addSigner(address)", env.guardian));
        else if (w == 5) (target, data) = (address(env.treasury), abi.encodeWithSignature("setPolicy(uint16,uint16)", 0, 10_000));
        else if (w == 6) (target, data) = (address(env.treasury), abi.encodeWithSignature("distributeFees(address,uint256)", env.guardian, 1));
        else (target, data) = (address(env.factory), abi.encodeWithSignature("upgradeToAndCall(address,bytes)", address(env.loanImpl), ""));
        vm.prank(env.guardian);
        (bool success, bytes memory ret) = target.call(data);
        bool accessError = !success && ret.length >= 4 && bytes4(ret) == IAccessControl.AccessControlUnauthorizedAccount.selector;
        ghost.privilegedTried(!accessError, "guardian ran a governed function");
        _count("guardian.overreach");
    }
}
