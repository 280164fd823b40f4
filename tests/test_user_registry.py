"""UserRegistry: admin path, oracle attestations, revocation, signer set, roles, pause, upgrade."""

from __future__ import annotations

import ape
import pytest
from eth_account import Account
from eth_utils import keccak

from disfruta.attestations import Role, attestation_digest

from conftest import DAY, YEAR

PENDING, VERIFIED, REVOKED = 1, 2, 3
COMMITMENT = keccak(text="salted identity record")


# ----------------------------------------------------------------------------------------------- admin path


def test_register_user__new_address__pending_with_commitment(registry, lender):
    tx = registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)
    user = registry.getUser(lender)
    assert user.status == PENDING
    assert user.roles == Role.LENDER
    assert user.kycCommitment == COMMITMENT
    assert not registry.isVerified(lender)
    assert tx.events == [registry.UserRegistered(user=lender, roles=Role.LENDER, kycCommitment=COMMITMENT)]


def test_verify_user__pending__verified_for_kyc_validity(registry, lender, kyc_admin, chain):
    registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)
    tx = registry.verifyUser(lender, sender=kyc_admin)
    user = registry.getUser(lender)
    assert user.status == VERIFIED
    assert user.kycValidUntil == tx.timestamp + YEAR
    assert registry.isVerifiedLender(lender)
    assert not registry.isVerifiedBorrower(lender)
    assert tx.events[0].verifier == kyc_admin


def test_verify_user__expired__no_longer_verified(registry, lender, kyc_admin, chain):
    registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)
    registry.verifyUser(lender, sender=kyc_admin)
    chain.pending_timestamp += YEAR + 1
    chain.mine()
    assert not registry.isVerified(lender)
    assert not registry.isVerifiedLender(lender)


def test_register_user__twice__reverts(registry, lender):
    registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)
    with ape.reverts(registry.UserRegistryAlreadyRegistered, user=lender, status=PENDING):
        registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)


@pytest.mark.parametrize("roles", [0, 4, 255])
def test_register_user__invalid_roles__reverts(registry, lender, roles):
    with ape.reverts(registry.UserRegistryInvalidRoles, roles=roles):
        registry.registerUser(COMMITMENT, roles, sender=lender)


def test_register_user__zero_commitment__reverts(registry, lender):
    with ape.reverts(registry.UserRegistryZeroCommitment):
        registry.registerUser(b"\x00" * 32, Role.LENDER, sender=lender)


def test_verify_user__not_pending__reverts(registry, lender, kyc_admin):
    with ape.reverts(registry.UserRegistryNotPending, user=lender, status=0):
        registry.verifyUser(lender, sender=kyc_admin)


def test_verify_user__without_kyc_admin_role__reverts(registry, lender, stranger):
    registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)
    with ape.reverts(registry.AccessControlUnauthorizedAccount, account=stranger,
                     neededRole=registry.KYC_ADMIN_ROLE()):
        registry.verifyUser(lender, sender=stranger)


def test_update_kyc__verified__back_to_pending(registry, lender, kyc_admin):
    registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)
    registry.verifyUser(lender, sender=kyc_admin)
    new = keccak(text="new record")
    tx = registry.updateKYC(new, sender=lender)
    user = registry.getUser(lender)
    assert (user.status, user.kycCommitment) == (PENDING, new)
    assert not registry.isVerifiedLender(lender)
    assert tx.events == [registry.KycUpdated(user=lender, kycCommitment=new)]


def test_update_kyc__unregistered_caller__reverts(registry, stranger):
    with ape.reverts(registry.UserRegistryNotRegistered, user=stranger):
        registry.updateKYC(COMMITMENT, sender=stranger)


def test_update_kyc__zero_commitment__reverts(registry, lender):
    registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)
    with ape.reverts(registry.UserRegistryZeroCommitment):
        registry.updateKYC(b"\x00" * 32, sender=lender)


# ----------------------------------------------------------------------------------------------- attestations


def test_kyc_attestation__valid__verifies_and_consumes_nonce(registry, borrower, oracle, stranger, kyc_attestation):
    att, sig = kyc_attestation(borrower, roles=Role.BORROWER)
    tx = registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)
    user = registry.getUser(borrower)
    assert user.status == VERIFIED
    assert user.kycValidUntil == att.valid_until
    assert user.kycCommitment == att.kyc_commitment
    assert registry.nonces(borrower) == (1, 0)
    assert tx.events == [
        registry.UserVerified(user=borrower, roles=Role.BORROWER, kycCommitment=att.kyc_commitment,
                              validUntil=att.valid_until, verifier=oracle.address)
    ]


def test_credit_attestation__verified_borrower__grade_and_limit_set(registry, verified_borrower):
    assert registry.isVerifiedBorrower(verified_borrower)
    assert registry.creditOf(verified_borrower) == (8, 50_000 * 10**6)
    assert registry.nonces(verified_borrower) == (1, 1)


def test_credit_attestation__expired_grade__not_a_verified_borrower(registry, verified_borrower, chain):
    chain.pending_timestamp += 91 * DAY
    chain.mine()
    assert registry.isVerified(verified_borrower)
    assert not registry.isVerifiedBorrower(verified_borrower)
    assert registry.creditOf(verified_borrower) == (0, 0)


def test_attestation_digest__python_helper__matches_registry(registry, borrower, kyc_attestation,
                                                             credit_attestation, chain_id):
    att, _ = kyc_attestation(borrower)
    assert registry.hashKycAttestation(att.as_tuple()) == attestation_digest(att, chain_id, registry.address)
    catt, _ = credit_attestation(borrower)
    assert registry.hashCreditAttestation(catt.as_tuple()) == attestation_digest(catt, chain_id, registry.address)


def test_kyc_attestation__replayed__reverts(registry, borrower, oracle, stranger, kyc_attestation):
    att, sig = kyc_attestation(borrower)
    registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)
    with ape.reverts(registry.UserRegistryInvalidNonce, user=borrower, expected=1, given=0):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


def test_credit_attestation__replayed__reverts(registry, verified_borrower, oracle, stranger, credit_attestation):
    att, sig = credit_attestation(verified_borrower, nonce=0)
    with ape.reverts(registry.UserRegistryInvalidNonce, user=verified_borrower, expected=1, given=0):
        registry.submitCreditAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


def test_kyc_attestation__signed_for_another_chain__reverts(registry, borrower, oracle, stranger, kyc_attestation):
    att, sig = kyc_attestation(borrower, sign_chain_id=1)
    with ape.reverts(registry.UserRegistryInvalidSignature, signer=oracle.address):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


def test_kyc_attestation__signed_for_another_registry__reverts(registry, borrower, oracle, stranger,
                                                               kyc_attestation):
    att, sig = kyc_attestation(borrower, sign_registry="0x" + "77" * 20)
    with ape.reverts(registry.UserRegistryInvalidSignature, signer=oracle.address):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


def test_kyc_attestation__past_deadline__reverts(registry, borrower, oracle, stranger, kyc_attestation, chain):
    att, sig = kyc_attestation(borrower)
    chain.pending_timestamp = att.deadline + 1
    with ape.reverts(registry.UserRegistryAttestationExpired, deadline=att.deadline):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


def test_kyc_attestation__validity_in_the_past__reverts(registry, borrower, oracle, stranger, kyc_attestation,
                                                        chain):
    att, sig = kyc_attestation(borrower, valid_until=chain.pending_timestamp - 1)
    with ape.reverts(registry.UserRegistryInvalidValidity, validUntil=att.valid_until):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


def test_kyc_attestation__wrong_signer_key__reverts(registry, borrower, oracle, stranger, kyc_attestation):
    impostor = Account.create()
    att, sig = kyc_attestation(borrower, key=impostor.key)
    with ape.reverts(registry.UserRegistryInvalidSignature, signer=oracle.address):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


def test_kyc_attestation__signer_not_authorised__reverts(registry, borrower, stranger, kyc_attestation):
    impostor = Account.create()
    att, sig = kyc_attestation(borrower, key=impostor.key)
    with ape.reverts(registry.UserRegistryUnknownSigner, signer=impostor.address):
        registry.submitKycAttestation(att.as_tuple(), impostor.address, sig, sender=stranger)


def test_kyc_attestation__removed_signer__reverts(registry, borrower, oracle, stranger, guardian, kyc_attestation):
    att, sig = kyc_attestation(borrower)
    tx = registry.removeSigner(oracle.address, sender=guardian)
    assert tx.events == [registry.SignerRemoved(signer=oracle.address, by=guardian)]
    with ape.reverts(registry.UserRegistryUnknownSigner, signer=oracle.address):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


def test_kyc_attestation__tampered_field__reverts(registry, borrower, oracle, stranger, kyc_attestation):
    att, sig = kyc_attestation(borrower, roles=Role.LENDER)
    tampered = att.as_tuple()[:1] + (int(Role.BORROWER | Role.LENDER),) + att.as_tuple()[2:]
    with ape.reverts(registry.UserRegistryInvalidSignature, signer=oracle.address):
        registry.submitKycAttestation(tampered, oracle.address, sig, sender=stranger)


def test_kyc_attestation__malleable_high_s_signature__reverts(registry, borrower, oracle, stranger,
                                                              kyc_attestation):
    att, sig = kyc_attestation(borrower)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = int.from_bytes(sig[32:64], "big")
    flipped = sig[:32] + (n - s).to_bytes(32, "big") + bytes([55 - sig[64]])  # v: 27 <-> 28
    with ape.reverts(registry.UserRegistryInvalidSignature, signer=oracle.address):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, flipped, sender=stranger)


def test_credit_attestation__unverified_user__reverts(registry, lender, oracle, stranger, credit_attestation):
    att, sig = credit_attestation(lender)
    with ape.reverts(registry.UserRegistryNotVerified, user=lender):
        registry.submitCreditAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


@pytest.mark.parametrize("grade", [0, 26])
def test_credit_attestation__invalid_grade__reverts(registry, verified_borrower, oracle, stranger,
                                                    credit_attestation, grade):
    att, sig = credit_attestation(verified_borrower, grade=grade)
    with ape.reverts(registry.UserRegistryInvalidGrade, grade=grade):
        registry.submitCreditAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


def test_attestations__batched_with_multicall__one_transaction(registry, borrower, oracle, stranger,
                                                                kyc_attestation, credit_attestation):
    att, sig = kyc_attestation(borrower, roles=Role.BORROWER)
    # The credit attestation's nonce is known before the KYC one lands: the two nonces are independent.
    catt, csig = credit_attestation(borrower)
    calls = [
        registry.submitKycAttestation.encode_input(att.as_tuple(), oracle.address, sig),
        registry.submitCreditAttestation.encode_input(catt.as_tuple(), oracle.address, csig),
    ]
    registry.multicall(calls, sender=stranger)
    assert registry.isVerifiedBorrower(borrower)


def test_erc1271_signer__contract_wallet__accepted(project, registry, admin, borrower, stranger, kyc_attestation,
                                                    chain_id):
    owner = Account.create()
    wallet = admin.deploy(project.MockERC1271Wallet, owner.address)
    registry.addSigner(wallet, sender=admin)
    att, _ = kyc_attestation(borrower)
    sig = Account.unsafe_sign_hash(attestation_digest(att, chain_id, registry.address), owner.key).signature
    registry.submitKycAttestation(att.as_tuple(), wallet, bytes(sig), sender=stranger)
    assert registry.isVerified(borrower)


# ----------------------------------------------------------------------------------------------- revocation


def test_revoke_user__verified_borrower__loses_everything_at_once(registry, verified_borrower, revoker):
    tx = registry.revokeUser(verified_borrower, b"sanctions".ljust(32, b"\0"), sender=revoker)
    user = registry.getUser(verified_borrower)
    assert user.status == REVOKED
    assert not registry.isVerified(verified_borrower)
    assert not registry.isVerifiedBorrower(verified_borrower)
    assert registry.creditOf(verified_borrower) == (0, 0)
    assert tx.events[0].revoker == revoker


def test_revoke_user__voids_attestation_signed_before(registry, borrower, oracle, stranger, revoker,
                                                      kyc_attestation):
    registry.registerUser(COMMITMENT, Role.BORROWER, sender=borrower)
    att, sig = kyc_attestation(borrower)
    registry.revokeUser(borrower, b"\0" * 32, sender=revoker)
    # Sticky: no attestation restores a revoked user; once the revoker reinstates them, the old one is still void.
    with ape.reverts(registry.UserRegistryRevoked, user=borrower):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)
    registry.reinstateUser(borrower, sender=revoker)
    with ape.reverts(registry.UserRegistryInvalidNonce, user=borrower, expected=1, given=0):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


def test_revoke_credit__borrower__grade_cleared_kyc_kept(registry, verified_borrower, revoker):
    registry.revokeCredit(verified_borrower, b"\0" * 32, sender=revoker)
    assert registry.isVerified(verified_borrower)
    assert not registry.isVerifiedBorrower(verified_borrower)
    assert registry.nonces(verified_borrower) == (1, 2)


def test_revoke__unregistered__reverts(registry, stranger, revoker):
    with ape.reverts(registry.UserRegistryNotRegistered, user=stranger):
        registry.revokeUser(stranger, b"\0" * 32, sender=revoker)
    with ape.reverts(registry.UserRegistryNotRegistered, user=stranger):
        registry.revokeCredit(stranger, b"\0" * 32, sender=revoker)


def test_revoke__without_revoker_role__reverts(registry, verified_borrower, stranger, kyc_admin):
    role = registry.REVOKER_ROLE()
    for caller in (stranger, kyc_admin):
        with ape.reverts(registry.AccessControlUnauthorizedAccount, account=caller, neededRole=role):
            registry.revokeUser(verified_borrower, b"\0" * 32, sender=caller)
        with ape.reverts(registry.AccessControlUnauthorizedAccount, account=caller, neededRole=role):
            registry.revokeCredit(verified_borrower, b"\0" * 32, sender=caller)


# ----------------------------------------------------------------------------------------------- signer set


def test_add_signer__admin__added_and_listed(registry, admin, oracle):
    new = Account.create().address
    tx = registry.addSigner(new, sender=admin)
    assert registry.isSigner(new)
    assert registry.getSigners() == [oracle.address, new]
    assert tx.events == [registry.SignerAdded(signer=new)]


def test_add_signer__duplicate_or_zero__reverts(registry, admin, oracle):
    with ape.reverts(registry.UserRegistrySignerAlreadyAdded, signer=oracle.address):
        registry.addSigner(oracle.address, sender=admin)
    with ape.reverts(registry.UserRegistryZeroAddress):
        registry.addSigner("0x" + "00" * 20, sender=admin)


def test_add_signer__not_admin__reverts(registry, guardian):
    with ape.reverts(registry.AccessControlUnauthorizedAccount, account=guardian, neededRole=b"\0" * 32):
        registry.addSigner(Account.create().address, sender=guardian)


def test_remove_signer__stranger__reverts(registry, oracle, stranger):
    with ape.reverts(registry.AccessControlUnauthorizedAccount, account=stranger,
                     neededRole=registry.GUARDIAN_ROLE()):
        registry.removeSigner(oracle.address, sender=stranger)


def test_remove_signer__unknown__reverts(registry, admin):
    unknown = Account.create().address
    with ape.reverts(registry.UserRegistrySignerNotFound, signer=unknown):
        registry.removeSigner(unknown, sender=admin)


def test_key_rotation__new_signer_added_old_removed__only_new_accepted(registry, admin, guardian, oracle,
                                                                      borrower, lender, stranger,
                                                                      kyc_attestation):
    new_key = Account.create()
    registry.addSigner(new_key.address, sender=admin)
    registry.removeSigner(oracle.address, sender=guardian)
    att, sig = kyc_attestation(borrower, key=new_key.key)
    registry.submitKycAttestation(att.as_tuple(), new_key.address, sig, sender=stranger)
    assert registry.isVerified(borrower)
    att, sig = kyc_attestation(lender)
    with ape.reverts(registry.UserRegistryUnknownSigner, signer=oracle.address):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)


# ----------------------------------------------------------------------------------------------- parameters, pause


def test_set_kyc_validity__admin__used_by_verify(registry, admin, kyc_admin, lender):
    registry.setKycValidity(30 * DAY, sender=admin)
    registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)
    tx = registry.verifyUser(lender, sender=kyc_admin)
    assert registry.getUser(lender).kycValidUntil == tx.timestamp + 30 * DAY


@pytest.mark.parametrize("validity", [DAY - 1, 3 * YEAR + 1])
def test_set_kyc_validity__out_of_range__reverts(registry, admin, validity):
    with ape.reverts(registry.UserRegistryKycValidityOutOfRange, validity=validity):
        registry.setKycValidity(validity, sender=admin)


def test_set_kyc_validity__not_admin__reverts(registry, kyc_admin):
    with ape.reverts(registry.AccessControlUnauthorizedAccount, account=kyc_admin, neededRole=b"\0" * 32):
        registry.setKycValidity(30 * DAY, sender=kyc_admin)


def test_pause__guardian__blocks_onboarding_not_revocation(registry, guardian, admin, verified_borrower, lender,
                                                           kyc_attestation, oracle, stranger, revoker):
    registry.pause(sender=guardian)
    with ape.reverts(registry.EnforcedPause):
        registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)
    att, sig = kyc_attestation(lender)
    with ape.reverts(registry.EnforcedPause):
        registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)
    registry.revokeUser(verified_borrower, b"\0" * 32, sender=revoker)
    with ape.reverts(registry.AccessControlUnauthorizedAccount, account=guardian, neededRole=b"\0" * 32):
        registry.unpause(sender=guardian)
    registry.unpause(sender=admin)
    registry.registerUser(COMMITMENT, Role.LENDER, sender=lender)


def test_pause__not_guardian__reverts(registry, stranger, admin):
    for caller in (stranger, admin):
        with ape.reverts(registry.AccessControlUnauthorizedAccount, account=caller,
                         neededRole=registry.GUARDIAN_ROLE()):
            registry.pause(sender=caller)


# ----------------------------------------------------------------------------------------------- upgradeability


def test_initialize__twice_on_proxy_or_on_implementation__reverts(registry_with_impl, admin, stranger):
    registry, impl = registry_with_impl
    with ape.reverts(registry.InvalidInitialization):
        registry.initialize(stranger, YEAR, sender=stranger)
    with ape.reverts(impl.InvalidInitialization):
        impl.initialize(stranger, YEAR, sender=stranger)


def test_upgrade__admin__keeps_state(project, registry, admin, verified_borrower):
    new_impl = admin.deploy(project.UserRegistry)
    registry.upgradeToAndCall(new_impl, b"", sender=admin)
    assert registry.isVerifiedBorrower(verified_borrower)
    assert registry.creditOf(verified_borrower) == (8, 50_000 * 10**6)


def test_upgrade__not_admin__reverts(project, registry, admin, guardian):
    new_impl = admin.deploy(project.UserRegistry)
    with ape.reverts(registry.AccessControlUnauthorizedAccount, account=guardian, neededRole=b"\0" * 32):
        registry.upgradeToAndCall(new_impl, b"", sender=guardian)


def test_initialize__zero_admin__reverts(project, admin):
    impl = admin.deploy(project.UserRegistry)
    # A revert inside a constructor is not decoded by ape (no contract type yet): match the error's selector.
    with ape.reverts("0x" + keccak(text="UserRegistryZeroAddress()")[:4].hex()):
        admin.deploy(project.DisfrutaProxy, impl, impl.initialize.encode_input("0x" + "00" * 20, YEAR))
