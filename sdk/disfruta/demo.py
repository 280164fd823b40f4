"""``disfruta demo``: the foundation on a fresh local anvil.

Deploys the registry (behind its UUPS proxy) and the interest calculator, onboards a borrower and a lender with
oracle-signed EIP-712 attestations, quotes a loan, and prints what it did with the gas each step cost.
"""

from __future__ import annotations

import secrets
from typing import Any

from eth_account import Account
from rich.console import Console
from rich.table import Table

from disfruta.attestations import CreditAttestation, KycAttestation, Role, kyc_commitment, sign_attestation
from disfruta.deploy import deploy_market
from disfruta.grades import Grade

DAY = 86_400
USDC = 10**6  # the demo quotes in a 6-decimal stablecoin


def run_demo(network: str = "ethereum:local:foundry", console: Console | None = None) -> None:
    import ape  # imported here: ape is slow to import and only needed when a chain is used

    from ape.logging import logger

    logger.set_level("WARNING")
    console = console or Console(width=max(Console().width, 120))
    with ape.networks.parse_network_choice(network) as provider:
        chain = ape.chain
        deployer, borrower, lender, relayer = ape.accounts.test_accounts[:4]
        oracle = Account.from_key(secrets.token_bytes(32))  # the oracle service's key until it exists
        console.print(f"[bold]Disfruta demo[/] on {network} (chain id {provider.chain_id})")

        # A local stand-in for USDC: 6 decimals, mintable (the mock ships with the contracts for local chains).
        usd = deployer.deploy(ape.project.MockERC20, "Demo USD", "dUSD", 6)
        market = deploy_market(ape.project, deployer, usd, oracle_signers=(oracle.address,))
        registry, calculator = market.registry, market.calculator
        for name, contract in (("UserRegistry", registry), ("LoanFactory", market.factory),
                               ("Treasury", market.treasury)):
            impl = market.implementations[name].address
            console.print(f"{name + ' proxy':<22} {contract.address} (implementation {impl})")
        console.print(f"{'Loan implementation':<22} {market.loan_implementation.address}")
        console.print(f"{'InterestCalculator':<22} {calculator.address}")
        console.print(f"Oracle signer          {oracle.address}")

        gas: list[tuple[str, int]] = []

        def onboard(user: Any, roles: Role, record: dict[str, str], grade: Grade | None) -> None:
            commitment, _salt = kyc_commitment(record)
            now = chain.pending_timestamp
            kyc_nonce, credit_nonce = registry.nonces(user)
            att = KycAttestation(str(user), int(roles), commitment, now + 365 * DAY, kyc_nonce, now + DAY)
            sig = sign_attestation(att, oracle.key, provider.chain_id, registry.address)
            tx = registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=relayer)
            gas.append((f"submitKycAttestation ({roles.name.lower()})", tx.gas_used))
            if grade is not None:
                limit = 25_000 * USDC
                catt = CreditAttestation(str(user), int(grade), limit, now + 90 * DAY, credit_nonce, now + DAY)
                csig = sign_attestation(catt, oracle.key, provider.chain_id, registry.address)
                tx = registry.submitCreditAttestation(catt.as_tuple(), oracle.address, csig, sender=relayer)
                gas.append(("submitCreditAttestation", tx.gas_used))

        onboard(borrower, Role.BORROWER, {"name": "Ana García", "document": "X1234567"}, Grade.B3)
        onboard(lender, Role.LENDER, {"name": "Luis Pérez", "document": "Y7654321"}, None)

        users = Table(title="Users")
        for col in ("address", "status", "roles", "grade", "borrow limit", "verified borrower", "verified lender"):
            users.add_column(col)
        for user in (borrower, lender):
            info = registry.getUser(user)
            grade, limit = registry.creditOf(user)
            users.add_row(
                str(user.address),
                ["none", "pending", "verified", "revoked"][info.status],
                Role(info.roles).name or "",
                Grade(grade).name if grade else "-",
                f"{limit / USDC:,.2f}",
                str(registry.isVerifiedBorrower(user)),
                str(registry.isVerifiedLender(user)),
            )
        console.print(users)

        principal, rate_bps, term = 10_000 * USDC, 1_150, 36
        payment, interests, principals = calculator.calculateSchedule(principal, rate_bps, term)
        quote = Table(title=f"Quote: {principal / USDC:,.0f} USDC, {rate_bps / 100:.2f} % APR, {term} months")
        for col in ("month", "payment", "interest", "principal"):
            quote.add_column(col, justify="right")
        for k in (0, 1, 2, term - 1):
            quote.add_row(str(k + 1), _fmt(interests[k] + principals[k]), _fmt(interests[k]), _fmt(principals[k]))
        console.print(quote)
        console.print(
            f"Monthly payment {_fmt(payment)} USDC; total interest {_fmt(sum(interests))} USDC; "
            f"principal parts add up to {_fmt(sum(principals))} USDC"
        )
        gas.append(("calculateMonthlyPayment (as a transaction)",
                    calculator.calculateMonthlyPayment.estimate_gas_cost(principal, rate_bps, term, sender=relayer)))

        table = Table(title="Gas per operation (whole transaction)")
        table.add_column("operation")
        table.add_column("gas", justify="right")
        for name, used in gas:
            table.add_row(name, f"{used:,}")
        console.print(table)


def _fmt(units: int) -> str:
    return f"{units / USDC:,.6f}"

