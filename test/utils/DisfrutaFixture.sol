// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Autopay} from "../../contracts/Autopay.sol";
import {DisfrutaProxy} from "../../contracts/DisfrutaProxy.sol";
import {LendingPool} from "../../contracts/LendingPool.sol";
import {Loan} from "../../contracts/Loan.sol";
import {LoanFactory} from "../../contracts/LoanFactory.sol";
import {NoteMarket} from "../../contracts/NoteMarket.sol";
import {Treasury} from "../../contracts/Treasury.sol";
import {UserRegistry} from "../../contracts/UserRegistry.sol";
import {ILoan} from "../../contracts/interfaces/ILoan.sol";
import {ILoanFactory} from "../../contracts/interfaces/ILoanFactory.sol";
import {IUserRegistry} from "../../contracts/interfaces/IUserRegistry.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {TestBase} from "./TestBase.sol";

/// @notice Everything a handler needs to reach the market.
struct Env {
    MockERC20 token;
    UserRegistry registry;
    LoanFactory factory;
    Treasury treasury;
    LendingPool pool;
    NoteMarket market;
    Autopay autopay;
    Loan loanImpl;
    address gov; // the timelock: DEFAULT_ADMIN_ROLE everywhere
    address kycAdmin;
    address revoker;
    address underwriter;
    address guardian;
    address keeper; // no role: anyone may run the keeper's calls
    address oracle;
    uint256 oracleKey;
}

/// @notice Deploys one market the way `sdk/disfruta/governance/market.py` (`deploy_market`) does: a 6-decimal token;
/// registry, factory, treasury, pool, note market and autopay behind `DisfrutaProxy`, in that order; a Loan
/// implementation with the default `Config`, naming the autopay; the default rate table; the guardian on every
/// pausable contract and the note market as the Treasury's fee collector. Onboards users through both paths: the
/// admin path (registerUser + verifyUser) and oracle-signed EIP-712 attestations.
abstract contract DisfrutaFixture is TestBase {
    uint256 internal constant UNIT = 1e6;
    uint256 internal constant DAY = 1 days;
    uint256 internal constant YEAR = 365 days;
    uint256 internal constant ORACLE_KEY = 0xA11CE;
    uint16 internal constant SERVICING_FEE_BPS = 100;
    uint256 internal constant MIN_NOTE = 25 * UNIT;
    uint256 internal constant SELLER_FEE_BPS = 100; // MarketParams.seller_fee_bps
    uint256 internal constant AUTOPAY_LEAD_TIME = 3 days; // MarketParams.autopay_lead_time

    Env internal env;

    function _deployMarket() internal {
        vm.warp(1_700_000_000);
        env.gov = address(0x71E10C);
        env.kycAdmin = address(0x4B1C);
        env.revoker = address(0x4E40);
        env.underwriter = address(0x0D0C);
        env.guardian = address(0x6A4D);
        env.keeper = address(0x4EE9);
        env.oracleKey = ORACLE_KEY;
        env.oracle = vm.addr(ORACLE_KEY);
        env.token = new MockERC20("Test USD", "TUSD", 6);

        address gov = env.gov;
        env.registry = UserRegistry(
            address(new DisfrutaProxy(address(new UserRegistry()), abi.encodeCall(UserRegistry.initialize, (gov, YEAR))))
        );
        ILoanFactory.Limits memory limits = ILoanFactory.Limits({
            minAmount: uint128(1_000 * UNIT),
            maxAmount: uint128(40_000 * UNIT),
            minTermMonths: 6,
            maxTermMonths: 60,
            minFundingPeriod: uint32(1 days),
            maxFundingPeriod: uint32(30 days)
        });
        env.factory = LoanFactory(
            address(
                new DisfrutaProxy(
                    address(new LoanFactory()),
                    abi.encodeCall(LoanFactory.initialize, (gov, address(env.registry), address(env.token), limits))
                )
            )
        );
        env.treasury = Treasury(
            address(
                new DisfrutaProxy(
                    address(new Treasury()),
                    abi.encodeCall(Treasury.initialize, (gov, address(env.token), address(env.factory), 5_000, 3_000))
                )
            )
        );
        env.pool = LendingPool(
            address(
                new DisfrutaProxy(
                    address(new LendingPool()),
                    abi.encodeCall(LendingPool.initialize, (gov, address(env.token), address(env.factory)))
                )
            )
        );
        // The note market and the autopay come before the Loan implementation, whose Config names the autopay.
        env.market = NoteMarket(
            address(
                new DisfrutaProxy(
                    address(new NoteMarket(address(env.factory), address(env.treasury))),
                    abi.encodeCall(NoteMarket.initialize, (gov, SELLER_FEE_BPS))
                )
            )
        );
        env.autopay = Autopay(
            address(
                new DisfrutaProxy(
                    address(new Autopay(address(env.factory))),
                    abi.encodeCall(Autopay.initialize, (gov, AUTOPAY_LEAD_TIME))
                )
            )
        );
        env.loanImpl = new Loan(
            ILoan.Config({
                factory: address(env.factory),
                registry: address(env.registry),
                treasury: address(env.treasury),
                asset: address(env.token),
                pool: address(env.pool),
                servicingFeeBps: SERVICING_FEE_BPS,
                lateFeeBps: 500,
                lateFeeMin: uint128(15 * UNIT),
                minNote: uint128(MIN_NOTE),
                partialFundingBps: 7_000,
                gracePeriod: uint32(15 days),
                defaultAfter: uint32(120 days),
                acceptanceWindow: uint32(7 days),
                drawdownWindow: uint32(30 days),
                autopay: address(env.autopay)
            })
        );

        vm.startPrank(gov);
        env.factory.setLoanImplementation(address(env.loanImpl));
        for (uint8 grade = 1; grade <= 25; ++grade) {
            // deploy.py's DEFAULT_RATES: 6 % … 30 % APR, 1 % … 6 % origination
            env.factory.setRate(grade, uint16(600 + (uint256(grade) - 1) * 100), uint16(100 + (uint256(grade) - 1) * 500 / 24));
        }
        env.registry.grantRole(env.registry.KYC_ADMIN_ROLE(), env.kycAdmin);
        env.registry.grantRole(env.registry.REVOKER_ROLE(), env.revoker);
        env.registry.grantRole(env.registry.GUARDIAN_ROLE(), env.guardian);
        env.registry.grantRole(env.registry.DEFAULT_RECORDER_ROLE(), address(env.factory));
        env.factory.grantRole(env.factory.UNDERWRITER_ROLE(), env.underwriter);
        env.factory.grantRole(env.factory.GUARDIAN_ROLE(), env.guardian);
        env.pool.grantRole(env.pool.GUARDIAN_ROLE(), env.guardian);
        env.market.grantRole(env.market.GUARDIAN_ROLE(), env.guardian);
        env.autopay.grantRole(env.autopay.GUARDIAN_ROLE(), env.guardian);
        // The note market records its seller fees in the Treasury.
        env.treasury.grantRole(env.treasury.FEE_COLLECTOR_ROLE(), address(env.market));
        env.registry.addSigner(env.oracle);
        vm.stopPrank();
    }

    /// @dev Admin path: the user registers a commitment, the KYC admin verifies it (one year).
    function _onboardByAdmin(address user, uint8 roles) internal {
        vm.prank(user);
        env.registry.registerUser(keccak256(abi.encode("kyc", user)), roles);
        vm.prank(env.kycAdmin);
        env.registry.verifyUser(user);
    }

    /// @dev Oracle path: a KYC attestation (and a credit attestation when `grade` ≠ 0) signed with the oracle key,
    /// submitted by a third party.
    function _onboardByAttestation(address user, uint8 roles, uint8 grade, uint128 limit) internal {
        (uint256 kycNonce, uint256 creditNonce) = env.registry.nonces(user);
        IUserRegistry.KycAttestation memory a = IUserRegistry.KycAttestation({
            user: user,
            roles: roles,
            kycCommitment: keccak256(abi.encode("kyc", user)),
            validUntil: uint64(block.timestamp + YEAR), // the registry's KYC validity: the longest allowed
            nonce: uint64(kycNonce),
            deadline: uint64(block.timestamp + DAY)
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ORACLE_KEY, env.registry.hashKycAttestation(a));
        env.registry.submitKycAttestation(a, env.oracle, abi.encodePacked(r, s, v));
        if (grade == 0) return;
        IUserRegistry.CreditAttestation memory c = IUserRegistry.CreditAttestation({
            user: user,
            grade: grade,
            borrowLimit: limit,
            validUntil: uint64(block.timestamp + 180 days), // the registry's default credit validity
            nonce: uint64(creditNonce),
            deadline: uint64(block.timestamp + DAY)
        });
        (v, r, s) = vm.sign(ORACLE_KEY, env.registry.hashCreditAttestation(c));
        env.registry.submitCreditAttestation(c, env.oracle, abi.encodePacked(r, s, v));
    }
}
