// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IUserRegistry
/// @notice Who may borrow and lend: KYC status and role per address, and a credit grade per borrower.
/// @dev Two ways in. The seed's admin path: `registerUser` (pending) then `verifyUser` by a KYC admin. The oracle
/// path: anyone submits an EIP-712 attestation signed by an authorised oracle signer (EOA or ERC-1271 contract),
/// bound to this chain and this registry, with a per-user nonce and a deadline. Negative events (revocation) are
/// pushed at once by a revoker. Only a salted KYC commitment, roles, a risk grade with its borrowing limit, and
/// expiries are stored: never a numeric score or personal data.
///
/// Credit grades follow LendingClub's 25 sub-grades: 1 = A1 (best) … 5 = A5, 6 = B1 … 25 = E5; 0 = no grade.
interface IUserRegistry {
    /* ------------------------------------------------------------------ types */

    enum Status {
        None,
        Pending,
        Verified,
        Revoked
    }

    /// @notice Oracle statement that `user` passed KYC for `roles` until `validUntil`.
    /// @param roles Bit set: 1 = borrower, 2 = lender.
    /// @param kycCommitment keccak256 of the salted identity record held by the oracle (never the data itself).
    /// @param nonce Must equal `nonces(user).kyc`; consumed on use.
    /// @param deadline Last second at which the attestation may be submitted.
    struct KycAttestation {
        address user;
        uint8 roles;
        bytes32 kycCommitment;
        uint64 validUntil;
        uint64 nonce;
        uint64 deadline;
    }

    /// @notice Oracle statement that `user` holds credit `grade` with `borrowLimit` (token units) until `validUntil`.
    struct CreditAttestation {
        address user;
        uint8 grade;
        uint128 borrowLimit;
        uint64 validUntil;
        uint64 nonce;
        uint64 deadline;
    }

    /// @notice Everything the registry knows of one address.
    struct UserView {
        Status status;
        uint8 roles;
        bytes32 kycCommitment;
        uint40 registeredAt;
        uint40 kycValidUntil;
        uint8 grade;
        uint128 borrowLimit;
        uint40 creditValidUntil;
        uint32 kycNonce;
        uint32 creditNonce;
        uint8 defaults;
        uint40 lastDefaultAt;
    }

    /* ------------------------------------------------------------------ errors */

    error UserRegistryZeroAddress();
    error UserRegistryZeroCommitment();
    error UserRegistryInvalidRoles(uint8 roles);
    error UserRegistryInvalidGrade(uint8 grade);
    error UserRegistryInvalidValidity(uint256 validUntil, uint256 nowTs);
    error UserRegistryAlreadyRegistered(address user, Status status);
    error UserRegistryNotRegistered(address user);
    error UserRegistryNotPending(address user, Status status);
    error UserRegistryNotVerified(address user);
    error UserRegistryUnknownSigner(address signer);
    error UserRegistryInvalidSignature(address signer);
    error UserRegistryAttestationExpired(uint256 deadline, uint256 nowTs);
    error UserRegistryInvalidNonce(address user, uint256 expected, uint256 given);
    error UserRegistrySignerAlreadyAdded(address signer);
    error UserRegistrySignerNotFound(address signer);
    error UserRegistryKycValidityOutOfRange(uint256 validity);
    error UserRegistryCreditValidityOutOfRange(uint256 validity);
    error UserRegistryValidityTooLong(uint256 validUntil, uint256 latestAllowed);
    error UserRegistryRevoked(address user);
    error UserRegistryNotRevoked(address user, Status status);

    /* ------------------------------------------------------------------ events */

    event UserRegistered(address indexed user, uint8 roles, bytes32 kycCommitment);
    event KycUpdated(address indexed user, bytes32 kycCommitment);
    /// @param verifier The KYC admin (admin path) or the oracle signer (attestation path).
    event UserVerified(address indexed user, uint8 roles, bytes32 kycCommitment, uint64 validUntil, address indexed verifier);
    event CreditGradeSet(address indexed user, uint8 grade, uint128 borrowLimit, uint64 validUntil, address indexed signer);
    event UserRevoked(address indexed user, address indexed revoker, bytes32 reason);
    event CreditRevoked(address indexed user, address indexed revoker, bytes32 reason);
    event SignerAdded(address indexed signer);
    event SignerRemoved(address indexed signer, address indexed by);
    event KycValiditySet(uint256 validity);
    event CreditValiditySet(uint256 validity);
    event UserReinstated(address indexed user, address indexed revoker);
    /// @param defaults How many defaults the registry has recorded against the user (saturating at 255).
    event DefaultRecorded(address indexed user, address indexed recorder, uint8 defaults);

    /* ------------------------------------------------------------------ user actions */

    /// @notice Registers the caller as pending with a salted KYC commitment (admin path, step 1).
    /// @param roles Bit set: 1 = borrower, 2 = lender, 3 = both.
    function registerUser(bytes32 kycHash, uint8 roles) external;

    /// @notice Replaces the caller's KYC commitment; the caller goes back to pending until verified again. A revoked
    /// user cannot (`UserRegistryRevoked`): only the revoker lifts a revocation.
    function updateKYC(bytes32 newKycHash) external;

    /// @notice Applies an oracle-signed KYC attestation (anyone may submit it): the user becomes verified.
    /// `validUntil` may be at most `kycValidity()` from now; a revoked user is refused (`reinstateUser` first).
    function submitKycAttestation(KycAttestation calldata attestation, address signer, bytes calldata signature)
        external;

    /// @notice Applies an oracle-signed credit attestation for a KYC-verified user. `validUntil` may be at most
    /// `creditValidity()` from now.
    function submitCreditAttestation(CreditAttestation calldata attestation, address signer, bytes calldata signature)
        external;

    /* ------------------------------------------------------------------ privileged */

    /// @notice Verifies a pending user for the default KYC validity (admin path, step 2). KYC admin role.
    function verifyUser(address user) external;

    /// @notice Revokes a user's KYC at once and invalidates their unused attestations. Revoker role.
    function revokeUser(address user, bytes32 reason) external;

    /// @notice Lifts a revocation: the user goes back to pending and needs a fresh verification. Revoker role.
    function reinstateUser(address user) external;

    /// @notice Records a default against a borrower (count and time) and clears their credit grade. The loan
    /// factory holds this role; the oracle reads the record and declines the borrower's next assessment.
    function recordDefault(address user) external;

    /// @notice Clears a user's credit grade at once and invalidates their unused credit attestations. Revoker role.
    function revokeCredit(address user, bytes32 reason) external;

    /// @notice Authorises an oracle signer. Admin role (the timelock).
    function addSigner(address signer) external;

    /// @notice Removes an oracle signer. Admin role, or the guardian at once when a key is compromised.
    function removeSigner(address signer) external;

    /// @notice Sets how long an admin-path verification lasts (1 day … 3 years). Admin role.
    function setKycValidity(uint256 validity) external;

    /// @notice Sets the longest a credit attestation may last (1 … 365 days; 180 by default). Admin role.
    function setCreditValidity(uint256 validity) external;

    /// @notice Stops registrations, verifications and attestations. Guardian role. Revocations keep working.
    function pause() external;

    /// @notice Lifts the pause. Admin role (the timelock).
    function unpause() external;

    /* ------------------------------------------------------------------ views */

    function getUser(address user) external view returns (UserView memory);

    /// @notice True when KYC is verified and unexpired.
    function isVerified(address user) external view returns (bool);

    /// @notice True when KYC is verified and unexpired and the lender role is held.
    function isVerifiedLender(address user) external view returns (bool);

    /// @notice True when KYC is verified and unexpired, the borrower role is held and a credit grade is current.
    function isVerifiedBorrower(address user) external view returns (bool);

    /// @notice True when `user` is revoked (until a revoker reinstates them).
    function isRevoked(address user) external view returns (bool);

    /// @notice The current credit grade and limit of a verified borrower; (0, 0) when there is none.
    function creditOf(address user) external view returns (uint8 grade, uint128 borrowLimit);

    /// @notice The next nonces expected in the user's KYC and credit attestations.
    function nonces(address user) external view returns (uint256 kycNonce, uint256 creditNonce);

    function isSigner(address signer) external view returns (bool);

    function getSigners() external view returns (address[] memory);

    /// @notice How long an admin-path verification lasts, and the longest a KYC attestation may last.
    function kycValidity() external view returns (uint256);

    /// @notice The longest a credit attestation may last.
    function creditValidity() external view returns (uint256);

    /// @notice EIP-712 digest of a KYC attestation under this registry's domain.
    function hashKycAttestation(KycAttestation calldata attestation) external view returns (bytes32);

    /// @notice EIP-712 digest of a credit attestation under this registry's domain.
    function hashCreditAttestation(CreditAttestation calldata attestation) external view returns (bytes32);
}
