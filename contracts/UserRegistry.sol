// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {MulticallUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/MulticallUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IUserRegistry} from "./interfaces/IUserRegistry.sol";
import {
    DEFAULT_RECORDER_ROLE_ID, GUARDIAN_ROLE_ID, KYC_ADMIN_ROLE_ID, MAX_GRADE as MAX_GRADE_, REVOKER_ROLE_ID
} from "./libraries/Constants.sol";

/// @title UserRegistry
/// @notice KYC status, roles and credit grades of Disfruta's users. See `IUserRegistry`.
contract UserRegistry is
    IUserRegistry,
    AccessControlUpgradeable,
    PausableUpgradeable,
    MulticallUpgradeable,
    EIP712Upgradeable,
    UUPSUpgradeable
{
    using EnumerableSet for EnumerableSet.AddressSet;

    /* ------------------------------------------------------------------ constants */

    bytes32 public constant KYC_ADMIN_ROLE = KYC_ADMIN_ROLE_ID;
    bytes32 public constant REVOKER_ROLE = REVOKER_ROLE_ID;
    bytes32 public constant GUARDIAN_ROLE = GUARDIAN_ROLE_ID;
    bytes32 public constant DEFAULT_RECORDER_ROLE = DEFAULT_RECORDER_ROLE_ID;

    uint8 public constant ROLE_BORROWER = 1;
    uint8 public constant ROLE_LENDER = 2;
    uint8 public constant MAX_GRADE = MAX_GRADE_; // E5

    bytes32 public constant KYC_ATTESTATION_TYPEHASH = keccak256(
        "KycAttestation(address user,uint8 roles,bytes32 kycCommitment,uint64 validUntil,uint64 nonce,uint64 deadline)"
    );
    bytes32 public constant CREDIT_ATTESTATION_TYPEHASH = keccak256(
        "CreditAttestation(address user,uint8 grade,uint128 borrowLimit,uint64 validUntil,uint64 nonce,uint64 deadline)"
    );

    uint256 private constant _MIN_KYC_VALIDITY = 1 days;
    uint256 private constant _MAX_KYC_VALIDITY = 3 * 365 days;
    /// @dev A credit grade lasts at most this long unless governance sets another limit (the oracle's policy is
    /// 90 days). Also what a registry upgraded from a version without the setting uses.
    uint256 private constant _DEFAULT_CREDIT_VALIDITY = 180 days;
    uint256 private constant _MIN_CREDIT_VALIDITY = 1 days;
    uint256 private constant _MAX_CREDIT_VALIDITY = 365 days;

    /* ------------------------------------------------------------------ storage */

    /// @dev Two packed slots plus the commitment: what the loan factory reads (status, roles, expiries, grade) sits
    /// in one slot.
    struct User {
        bytes32 kycCommitment;
        Status status;
        uint8 roles;
        uint40 registeredAt;
        uint40 kycValidUntil;
        uint8 grade;
        uint40 creditValidUntil;
        uint32 kycNonce;
        uint32 creditNonce;
        uint128 borrowLimit;
        // ---- appended (issue #15): in borrowLimit's slot, so a registry upgraded in place reads zeros for them
        uint8 defaults;
        uint40 lastDefaultAt;
    }

    /// @custom:storage-location erc7201:disfruta.storage.UserRegistry
    struct UserRegistryStorage {
        mapping(address user => User) users;
        EnumerableSet.AddressSet signers;
        uint256 kycValidity;
        uint256 creditValidity;
    }

    // keccak256(abi.encode(uint256(keccak256("disfruta.storage.UserRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_LOCATION = 0x5d2a5ec33ac0ec26bbd7f194fba6cebf8c659bff5be58a65dbfac6f06273d000;

    function _s() private pure returns (UserRegistryStorage storage $) {
        assembly {
            $.slot := _STORAGE_LOCATION
        }
    }

    /* ------------------------------------------------------------------ initializer */

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @param admin Holder of the admin role (the timelock in production; the deployer only in tests).
    /// @param kycValidity_ Duration of an admin-path verification, in seconds.
    function initialize(address admin, uint256 kycValidity_) external initializer {
        if (admin == address(0)) revert UserRegistryZeroAddress();
        __AccessControl_init();
        __Pausable_init();
        __Multicall_init();
        __EIP712_init("Disfruta UserRegistry", "1");
        __UUPSUpgradeable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setKycValidity(kycValidity_);
        _setCreditValidity(_DEFAULT_CREDIT_VALIDITY);
    }

    /* ------------------------------------------------------------------ user actions */

    /// @inheritdoc IUserRegistry
    function registerUser(bytes32 kycHash, uint8 roles) external whenNotPaused {
        _checkRoles(roles);
        if (kycHash == bytes32(0)) revert UserRegistryZeroCommitment();
        User storage u = _s().users[msg.sender];
        if (u.status != Status.None) revert UserRegistryAlreadyRegistered(msg.sender, u.status);

        u.kycCommitment = kycHash;
        u.status = Status.Pending;
        u.roles = roles;
        u.registeredAt = uint40(block.timestamp);
        emit UserRegistered(msg.sender, roles, kycHash);
    }

    /// @inheritdoc IUserRegistry
    function updateKYC(bytes32 newKycHash) external whenNotPaused {
        if (newKycHash == bytes32(0)) revert UserRegistryZeroCommitment();
        User storage u = _s().users[msg.sender];
        if (u.status == Status.None) revert UserRegistryNotRegistered(msg.sender);
        // A revocation is sticky: only the revoker lifts it (`reinstateUser`).
        if (u.status == Status.Revoked) revert UserRegistryRevoked(msg.sender);

        u.kycCommitment = newKycHash;
        u.status = Status.Pending;
        u.kycValidUntil = 0;
        emit KycUpdated(msg.sender, newKycHash);
    }

    /// @inheritdoc IUserRegistry
    function submitKycAttestation(KycAttestation calldata a, address signer, bytes calldata signature)
        external
        whenNotPaused
    {
        _checkRoles(a.roles);
        if (a.kycCommitment == bytes32(0)) revert UserRegistryZeroCommitment();
        User storage u = _s().users[a.user];
        if (u.status == Status.Revoked) revert UserRegistryRevoked(a.user);
        _checkAttestation(a.user, u.kycNonce, a.nonce, a.validUntil, a.deadline, _s().kycValidity);
        _checkSignature(signer, _hashKyc(a), signature);

        u.kycNonce += 1;
        u.kycCommitment = a.kycCommitment;
        u.status = Status.Verified;
        u.roles = a.roles;
        u.kycValidUntil = uint40(a.validUntil);
        if (u.registeredAt == 0) u.registeredAt = uint40(block.timestamp);
        emit UserVerified(a.user, a.roles, a.kycCommitment, a.validUntil, signer);
    }

    /// @inheritdoc IUserRegistry
    function submitCreditAttestation(CreditAttestation calldata a, address signer, bytes calldata signature)
        external
        whenNotPaused
    {
        if (a.grade == 0 || a.grade > MAX_GRADE) revert UserRegistryInvalidGrade(a.grade);
        User storage u = _s().users[a.user];
        if (!_isVerified(u)) revert UserRegistryNotVerified(a.user);
        _checkAttestation(a.user, u.creditNonce, a.nonce, a.validUntil, a.deadline, creditValidity());
        _checkSignature(signer, _hashCredit(a), signature);

        u.creditNonce += 1;
        u.grade = a.grade;
        u.borrowLimit = a.borrowLimit;
        u.creditValidUntil = uint40(a.validUntil);
        emit CreditGradeSet(a.user, a.grade, a.borrowLimit, a.validUntil, signer);
    }

    /* ------------------------------------------------------------------ privileged */

    /// @inheritdoc IUserRegistry
    function verifyUser(address user) external onlyRole(KYC_ADMIN_ROLE) whenNotPaused {
        User storage u = _s().users[user];
        if (u.status != Status.Pending) revert UserRegistryNotPending(user, u.status);

        uint64 validUntil = uint64(block.timestamp + _s().kycValidity);
        u.status = Status.Verified;
        u.kycValidUntil = uint40(validUntil);
        emit UserVerified(user, u.roles, u.kycCommitment, validUntil, msg.sender);
    }

    /// @inheritdoc IUserRegistry
    function revokeUser(address user, bytes32 reason) external onlyRole(REVOKER_ROLE) {
        User storage u = _s().users[user];
        if (u.status == Status.None) revert UserRegistryNotRegistered(user);

        u.status = Status.Revoked;
        u.kycValidUntil = 0;
        _clearCredit(u);
        // Bumping both nonces voids every attestation signed before the revocation but not yet submitted.
        u.kycNonce += 1;
        emit UserRevoked(user, msg.sender, reason);
    }

    /// @inheritdoc IUserRegistry
    function reinstateUser(address user) external onlyRole(REVOKER_ROLE) {
        User storage u = _s().users[user];
        if (u.status != Status.Revoked) revert UserRegistryNotRevoked(user, u.status);
        // Back to pending: a fresh verification (KYC admin or oracle attestation) is still needed.
        u.status = Status.Pending;
        emit UserReinstated(user, msg.sender);
    }

    /// @inheritdoc IUserRegistry
    function recordDefault(address user) external onlyRole(DEFAULT_RECORDER_ROLE) {
        User storage u = _s().users[user];
        if (u.status == Status.None) revert UserRegistryNotRegistered(user);
        // A count that saturates rather than reverting: a default must always be recordable.
        if (u.defaults < type(uint8).max) u.defaults += 1;
        u.lastDefaultAt = uint40(block.timestamp);
        // The grade was given before the default: it is cleared, and unused credit attestations are void.
        _clearCredit(u);
        emit DefaultRecorded(user, msg.sender, u.defaults);
    }

    /// @inheritdoc IUserRegistry
    function revokeCredit(address user, bytes32 reason) external onlyRole(REVOKER_ROLE) {
        User storage u = _s().users[user];
        if (u.status == Status.None) revert UserRegistryNotRegistered(user);

        _clearCredit(u);
        emit CreditRevoked(user, msg.sender, reason);
    }

    /// @inheritdoc IUserRegistry
    function addSigner(address signer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (signer == address(0)) revert UserRegistryZeroAddress();
        if (!_s().signers.add(signer)) revert UserRegistrySignerAlreadyAdded(signer);
        emit SignerAdded(signer);
    }

    /// @inheritdoc IUserRegistry
    function removeSigner(address signer) external {
        // Removing a signer only reduces trust, so the guardian may do it at once (a leaked oracle key must not
        // wait 48 hours); adding one is governed.
        if (!hasRole(DEFAULT_ADMIN_ROLE, msg.sender) && !hasRole(GUARDIAN_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, GUARDIAN_ROLE);
        }
        if (!_s().signers.remove(signer)) revert UserRegistrySignerNotFound(signer);
        emit SignerRemoved(signer, msg.sender);
    }

    /// @inheritdoc IUserRegistry
    function setKycValidity(uint256 validity) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setKycValidity(validity);
    }

    /// @inheritdoc IUserRegistry
    function setCreditValidity(uint256 validity) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setCreditValidity(validity);
    }

    /// @inheritdoc IUserRegistry
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @inheritdoc IUserRegistry
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /* ------------------------------------------------------------------ views */

    /// @inheritdoc IUserRegistry
    function getUser(address user) external view returns (UserView memory v) {
        User storage u = _s().users[user];
        v = UserView({
            status: u.status,
            roles: u.roles,
            kycCommitment: u.kycCommitment,
            registeredAt: u.registeredAt,
            kycValidUntil: u.kycValidUntil,
            grade: u.grade,
            borrowLimit: u.borrowLimit,
            creditValidUntil: u.creditValidUntil,
            kycNonce: u.kycNonce,
            creditNonce: u.creditNonce,
            defaults: u.defaults,
            lastDefaultAt: u.lastDefaultAt
        });
    }

    /// @inheritdoc IUserRegistry
    function isVerified(address user) external view returns (bool) {
        return _isVerified(_s().users[user]);
    }

    /// @inheritdoc IUserRegistry
    function isVerifiedLender(address user) external view returns (bool) {
        User storage u = _s().users[user];
        return _isVerified(u) && u.roles & ROLE_LENDER != 0;
    }

    /// @inheritdoc IUserRegistry
    function isVerifiedBorrower(address user) external view returns (bool) {
        (uint8 grade,) = creditOf(user);
        return grade != 0;
    }

    /// @inheritdoc IUserRegistry
    function isRevoked(address user) external view returns (bool) {
        return _s().users[user].status == Status.Revoked;
    }

    /// @inheritdoc IUserRegistry
    function creditOf(address user) public view returns (uint8 grade, uint128 borrowLimit) {
        User storage u = _s().users[user];
        if (_isVerified(u) && u.roles & ROLE_BORROWER != 0 && u.creditValidUntil > block.timestamp) {
            return (u.grade, u.borrowLimit);
        }
        return (0, 0);
    }

    /// @inheritdoc IUserRegistry
    function nonces(address user) external view returns (uint256 kycNonce, uint256 creditNonce) {
        User storage u = _s().users[user];
        return (u.kycNonce, u.creditNonce);
    }

    /// @inheritdoc IUserRegistry
    function isSigner(address signer) external view returns (bool) {
        return _s().signers.contains(signer);
    }

    /// @inheritdoc IUserRegistry
    function getSigners() external view returns (address[] memory) {
        return _s().signers.values();
    }

    /// @inheritdoc IUserRegistry
    function kycValidity() external view returns (uint256) {
        return _s().kycValidity;
    }

    /// @inheritdoc IUserRegistry
    function creditValidity() public view returns (uint256) {
        uint256 v = _s().creditValidity;
        return v == 0 ? _DEFAULT_CREDIT_VALIDITY : v;
    }

    /// @inheritdoc IUserRegistry
    function hashKycAttestation(KycAttestation calldata a) external view returns (bytes32) {
        return _hashKyc(a);
    }

    /// @inheritdoc IUserRegistry
    function hashCreditAttestation(CreditAttestation calldata a) external view returns (bytes32) {
        return _hashCredit(a);
    }

    /* ------------------------------------------------------------------ internal */

    function _isVerified(User storage u) private view returns (bool) {
        return u.status == Status.Verified && u.kycValidUntil > block.timestamp;
    }

    function _checkRoles(uint8 roles) private pure {
        if (roles == 0 || roles > (ROLE_BORROWER | ROLE_LENDER)) revert UserRegistryInvalidRoles(roles);
    }

    /// @dev `maxValidity`: the longest an attestation may last from now (the registry's KYC or credit validity).
    function _checkAttestation(
        address user,
        uint32 expectedNonce,
        uint64 nonce,
        uint64 validUntil,
        uint64 deadline,
        uint256 maxValidity
    ) private view {
        if (user == address(0)) revert UserRegistryZeroAddress();
        if (block.timestamp > deadline) revert UserRegistryAttestationExpired(deadline, block.timestamp);
        if (validUntil <= block.timestamp) revert UserRegistryInvalidValidity(validUntil, block.timestamp);
        // One leaked or buggy signature must not verify or grade anyone for decades.
        uint256 latest = block.timestamp + maxValidity;
        if (validUntil > latest) revert UserRegistryValidityTooLong(validUntil, latest);
        if (nonce != expectedNonce) revert UserRegistryInvalidNonce(user, expectedNonce, nonce);
    }

    function _checkSignature(address signer, bytes32 digest, bytes calldata signature) private view {
        if (!_s().signers.contains(signer)) revert UserRegistryUnknownSigner(signer);
        // SignatureChecker accepts EOA signatures (ECDSA, malleable high-s forms refused) and ERC-1271 contracts.
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert UserRegistryInvalidSignature(signer);
        }
    }

    function _clearCredit(User storage u) private {
        u.grade = 0;
        u.borrowLimit = 0;
        u.creditValidUntil = 0;
        u.creditNonce += 1;
    }

    function _setKycValidity(uint256 validity) private {
        if (validity < _MIN_KYC_VALIDITY || validity > _MAX_KYC_VALIDITY) {
            revert UserRegistryKycValidityOutOfRange(validity);
        }
        _s().kycValidity = validity;
        emit KycValiditySet(validity);
    }

    function _setCreditValidity(uint256 validity) private {
        if (validity < _MIN_CREDIT_VALIDITY || validity > _MAX_CREDIT_VALIDITY) {
            revert UserRegistryCreditValidityOutOfRange(validity);
        }
        _s().creditValidity = validity;
        emit CreditValiditySet(validity);
    }

    function _hashKyc(KycAttestation calldata a) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    KYC_ATTESTATION_TYPEHASH, a.user, a.roles, a.kycCommitment, a.validUntil, a.nonce, a.deadline
                )
            )
        );
    }

    function _hashCredit(CreditAttestation calldata a) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    CREDIT_ATTESTATION_TYPEHASH, a.user, a.grade, a.borrowLimit, a.validUntil, a.nonce, a.deadline
                )
            )
        );
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}
}
