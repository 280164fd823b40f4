// Smoke tests of the borrower and lender dashboards against a faked chain, index and oracle: every section renders
// with its heading and labels, and a write builds its preview with the SDK's call.
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import type { Address } from "viem";
import { AppContext, type AppValue } from "../../lib/context";
import { WalletContext, type WalletValue } from "../../lib/wallet";
import BorrowerDashboard from "../borrower/BorrowerDashboard";
import LenderDashboard from "./LenderDashboard";

const ME = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;
const OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as Address;
const LOAN = "0x8464135c8F25Da09e49BC8782676a84730C318bC" as Address;
const TOKEN = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9" as Address;
const POOL = "0x0000000000000000000000000000000000000a01" as Address;
const MARKET = "0x0000000000000000000000000000000000000a02" as Address;
const AUTOPAY = "0x0000000000000000000000000000000000000a03" as Address;
const U = 1_000_000n;

const VIEWS: Record<string, unknown> = {
  getUser: {
    status: 2, roles: 3, kycCommitment: "0x" + "11".repeat(32), registeredAt: 1, kycValidUntil: 2_000_000_000, grade: 7,
    borrowLimit: 5000n * U, creditValidUntil: 2_000_000_000, kycNonce: 1, creditNonce: 1, defaults: 0, lastDefaultAt: 0,
  },
  isVerifiedBorrower: true,
  isVerifiedLender: true,
  creditOf: [7, 5000n * U],
  borrowerExposure: 0n,
  limits: { minAmount: 100n * U, maxAmount: 50_000n * U, minTermMonths: 3, maxTermMonths: 60, minFundingPeriod: 86_400, maxFundingPeriod: 90 * 86_400 },
  rateFor: [1250, 200],
  calculateSchedule: [88n * U, [10n * U, 5n * U], [80n * U, 83n * U]],
  terms: { loanId: 3n, borrower: ME, asset: TOKEN, goal: 1000n * U, principal: 1000n * U, annualRateBps: 1250n, termMonths: 12n, grade: 7n, purpose: 0n, monthlyPayment: 89n * U, originationFeeBps: 200n, servicingFeeBps: 100n, fundingPeriod: 1_209_600n },
  position: { status: 3, principalOutstanding: 900n * U, interestOwed: 0n, lateFeesOwed: 0n, paidTowardSchedule: 0n, startTime: 1_700_000_000n, fundingDeadline: 0n, fundedAt: 1_699_000_000n, accPerNote: 0n, feesAccrued: 0n },
  funding: [1000n * U, 1000n * U, 1_800_000_000n],
  amountDue: 89n * U,
  payoffAmount: 905n * U,
  nextDueDate: 1_800_000_000n,
  standing: { status: 3, borrower: ME, principalOutstanding: 900n * U, unpaid: 0n, notes: 1000n * U, nextDueDate: 1_800_000_000n, installmentsLeft: 11n, gracePeriod: 864_000n, servicingFeeBps: 100n },
  config: { minNote: 25n * U, partialFundingBps: 7000, acceptanceWindow: 259_200, drawdownWindow: 1_209_600 },
  isPaused: false,
  capOf: 0n,
  lenderBalances: 1000n * U,
  balanceOf: 500n * U,
  allowance: 10n ** 30n,
  criteriaOf: { enabled: false, minGrade: 0, maxGrade: 0, minRateBps: 0, maxRateBps: 0, maxTermMonths: 0, purposes: 0, amountPerLoan: 0n, maxPerBorrower: 0n, cashToKeep: 0n },
  claimable: 5n * U,
  status: 3,
  sellerFeeBps: 100n,
  priceOf: 99n * U,
  listing: { notes: 100n * U, premiumBps: -100, expiry: 0, version: 2 },
  quote: [99n * U, 990_000n, 130_000_000_000_000_000n],
};

const loanRow = {
  loan_id: 3, address: LOAN, borrower: ME, status: "active", grade: "B2", purpose: "debt consolidation", annual_rate_bps: 1250,
  term_months: 12, funding_deadline: 0, funded_at: 0, start_time: 0, paused: false, created_at: 0, goal: "1000000000",
  principal: "1000000000", funded: "1000000000", monthly_payment: "89000000", principal_outstanding: "900000000",
  interest_paid: "0", principal_paid: "0", late_fees_paid: "0", servicing_fees: "0", reserve_cover: "0", defaulted_principal: "0", live: null,
};

function setup(page: "borrower" | "lender", opts: { sessionAddress?: Address } = {}) {
  const client = {
    readContract: vi.fn(async ({ functionName }: { functionName: string }) => {
      if (!(functionName in VIEWS)) throw new Error(`unexpected read ${functionName}`);
      return VIEWS[functionName];
    }),
    simulateContract: vi.fn(async () => ({ request: {} })),
    estimateContractGas: vi.fn(async () => 84_000n),
    getGasPrice: vi.fn(async () => 1_000_000_000n),
  };
  const index = {
    borrower: vi.fn(async () => ({ borrower: ME, grade: "B2", borrow_limit: "5000000000", loans: [loanRow], total_outstanding: "900000000", amount_due: "89000000", next_due_date: 1_800_000_000 })),
    loans: vi.fn(async () => ({ items: [{ ...loanRow, status: "funding", borrower: OTHER, funded: "250000000" }], next_cursor: null })),
    portfolio: vi.fn(async () => ({
      lender: ME, pool: null, auto_invest: null, invested: "100000000", received: "0", claimable: "5000000", principal_outstanding: "100000000",
      interest_and_fees: "0", losses: "0", expected_losses: "1000000", expected_losses_by_grade: { B2: "1000000" }, net_annualized_return: 0.1,
      xirr: 0.12, cash_flows: [],
      loans: [{ loan_id: 3, address: LOAN, status: "active", grade: "B2", notes: "100000000", invested: "100000000", received: "0", claimable: "5000000", principal_outstanding: "100000000", interest_and_fees: "0", loss: "0", expected_loss: "1000000", notes_bought: "0", notes_sold: "0" }],
    })),
    listings: vi.fn(async () => ({
      items: [{ loan_id: 3, loan: LOAN, seller: OTHER, notes: "100000000", listed_notes: "100000000", premium_bps: -100, expiry: 0, version: 2, status: 1, expired: false, open: true, seller_notes: "100000000", loan_status: "active", listed_block: 1, listed_at: 1, updated_block: 1, updated_at: 1 }],
      next_cursor: null,
    })),
    autopay: vi.fn(async () => ({ items: [], next_cursor: null })),
    statementUrl: (a: string) => `/index/v1/lenders/${a}/statement?format=csv`,
  };
  const session = { address: opts.sessionAddress ?? ME, accessToken: "a", refreshToken: "r", expiresAt: Date.now() + 3_600_000 };
  const oracle = {
    subscribe: () => () => undefined,
    getSession: () => session,
    kycMe: vi.fn(async () => ({ wallet_address: ME, kyc_status: "approved", roles: ["borrower", "lender"], kyc_commitment: "0x" + "11".repeat(32), updated_at: "2026-01-02T00:00:00" })),
    latestAssessment: vi.fn(async () => null),
    kycAttestation: vi.fn(async () => ({
      kind: "kyc", message: { user: ME, roles: 3, kycCommitment: "0x" + "11".repeat(32), validUntil: 2_000_000_000, nonce: 1, deadline: 2_000_000_000 },
      signer: OTHER, signature: "0x" + "22".repeat(65), digest: "0x", chain_id: 31337, registry: POOL,
    })),
  };
  const app = {
    config: { chainId: 31337, chainName: "Anvil (local)", nativeSymbol: "ETH", rpcUrl: "http://x", indexUrl: "/index", oracleUrl: "http://o", deploymentUrl: "./d.json", explorerUrl: null },
    deployment: { chain_id: 31337, block: 1, contracts: { InterestCalculator: { address: "0x0000000000000000000000000000000000000a04" } } },
    chain: { id: 31337 },
    addresses: { registry: POOL, factory: POOL, pool: POOL, treasury: POOL, market: MARKET, autopay: AUTOPAY, asset: TOKEN },
    token: { address: TOKEN, decimals: 6, symbol: "USDC" },
    publicClient: client,
    index,
    oracle,
  } as unknown as AppValue;
  const wallet = { status: "ready", address: ME, chainId: 31337, connect: vi.fn(), switchNetwork: vi.fn(), walletClient: {} } as unknown as WalletValue;
  render(
    <AppContext.Provider value={app}>
      <WalletContext.Provider value={wallet}>
        <MemoryRouter>{page === "borrower" ? <BorrowerDashboard /> : <LenderDashboard />}</MemoryRouter>
      </WalletContext.Provider>
    </AppContext.Provider>,
  );
  return { client, index, oracle };
}

const sectionOf = (name: string) => screen.getByRole("heading", { level: 2, name }).closest("section") as HTMLElement;

describe("BorrowerDashboard", () => {
  it("renders every section and previews a loan application", async () => {
    const { client } = setup("borrower");
    expect(screen.getByTestId("page-title").textContent).toBe("Borrower dashboard");
    for (const h of ["KYC", "Credit assessment", "On-chain profile", "Apply for a loan", "My loans"]) {
      expect(screen.getByRole("heading", { level: 2, name: h })).toBeTruthy();
    }
    await screen.findByText(/KYC status: approved/);
    expect(await screen.findByLabelText("Checking account balance")).toBeTruthy();
    await screen.findByTestId("apply-rate");
    await waitFor(() => expect(screen.getByTestId("apply-rate").textContent).toBe("12.50% APR"));
    fireEvent.change(screen.getByLabelText("Loan amount (USDC)"), { target: { value: "1000" } });
    const apply = sectionOf("Apply for a loan");
    await act(async () => fireEvent.click(within(apply).getByRole("button", { name: "Apply for the loan" })));
    const preview = await within(apply).findByTestId("tx-preview");
    await waitFor(() => expect(within(preview).getByTestId("apply-monthly").textContent).toBe("88.00 USDC"));
    expect(within(preview).getByTestId("apply-fee").textContent).toContain("20.00 USDC");
    expect(client.simulateContract).toHaveBeenCalledWith(
      expect.objectContaining({ functionName: "createLoan", args: [1000n * U, 12n, 0, 14n * 86_400n] }),
    );
    // My loans: the active loan with its actions
    const row = await screen.findByTestId("borrower-loan");
    await within(row).findByRole("button", { name: "Pay the installment" });
    await act(async () => fireEvent.click(within(row).getByRole("button", { name: "Pay the installment" })));
    await within(row).findByTestId("tx-preview");
    expect(client.simulateContract).toHaveBeenCalledWith(expect.objectContaining({ functionName: "makeRepayment", args: [89n * U] }));
    // On-chain profile: the KYC attestation goes to submitKycAttestation
    const profile = sectionOf("On-chain profile");
    await within(profile).findByTestId("onchain-profile");
    fireEvent.click(within(profile).getByLabelText(/Include my KYC attestation/));
    await act(async () => fireEvent.click(within(profile).getByRole("button", { name: "Put my attestations on chain" })));
    await within(profile).findByTestId("tx-preview");
    expect(client.simulateContract).toHaveBeenCalledWith(expect.objectContaining({ functionName: "submitKycAttestation" }));
  });
});

describe("LenderDashboard", () => {
  it("renders every section; deposit, fund, claim, buy build the SDK's calls", async () => {
    const { client } = setup("lender");
    expect(screen.getByTestId("page-title").textContent).toBe("Lender dashboard");
    for (const h of ["KYC", "On-chain profile", "Pool cash", "Auto-invest criteria", "Fund a loan", "Claims", "Portfolio", "Note market"]) {
      expect(screen.getByRole("heading", { level: 2, name: h })).toBeTruthy();
    }
    await waitFor(() => expect(screen.getByTestId("pool-cash-balance").textContent).toBe("1,000.00 USDC"));
    fireEvent.change(screen.getByLabelText("Deposit amount (USDC)"), { target: { value: "50" } });
    const pool = sectionOf("Pool cash");
    await act(async () => fireEvent.click(within(pool).getByRole("button", { name: "Deposit" })));
    await within(pool).findByTestId("tx-preview");
    expect(client.simulateContract).toHaveBeenCalledWith(expect.objectContaining({ functionName: "deposit", args: [50n * U] }));

    const fund = sectionOf("Fund a loan");
    await within(fund).findByLabelText("Loan to fund");
    fireEvent.change(within(fund).getByLabelText("Amount to invest (USDC)"), { target: { value: "25" } });
    await act(async () => fireEvent.click(within(fund).getByRole("button", { name: "Invest in this loan" })));
    await within(fund).findByTestId("tx-preview");
    expect(client.simulateContract).toHaveBeenCalledWith(expect.objectContaining({ functionName: "invest", args: [LOAN, 25n * U] }));

    const claims = sectionOf("Claims");
    const claimRow = await within(claims).findByTestId("claim-row");
    await waitFor(() => expect(within(claimRow).getByTestId("claimable-amount").textContent).toBe("5.00 USDC"));
    await act(async () => fireEvent.click(within(claimRow).getByRole("button", { name: "Claim" })));
    await within(claimRow).findByTestId("tx-preview");
    expect(client.simulateContract).toHaveBeenCalledWith(expect.objectContaining({ functionName: "claimReturns", args: [LOAN] }));

    const portfolio = sectionOf("Portfolio");
    await within(portfolio).findByTestId("portfolio-xirr");
    expect(within(portfolio).getByTestId("portfolio-xirr").textContent).toBe("12.00%");
    expect(within(portfolio).getByRole("link", { name: "Download statement (CSV)" }).getAttribute("href")).toContain("format=csv");

    const market = sectionOf("Note market");
    const listing = await within(market).findByTestId("listing-row");
    await waitFor(() => expect(within(listing).queryByText("…")).toBeNull());
    await act(async () => fireEvent.click(within(listing).getByRole("button", { name: "Buy" })));
    await within(listing).findByTestId("tx-preview");
    expect(client.simulateContract).toHaveBeenCalledWith(
      expect.objectContaining({ functionName: "buy", args: [LOAN, OTHER, 100n * U, 99n * U + 99_000n, 2n] }),
    );
    fireEvent.change(within(market).getByLabelText("Notes to sell"), { target: { value: "10" } });
    await act(async () => fireEvent.click(within(market).getByRole("button", { name: "Sell" })));
    await within(market).findByTestId("sell-fee");
    expect(client.simulateContract).toHaveBeenCalledWith(expect.objectContaining({ functionName: "list", args: [LOAN, 10n * U, 0n, 0n] }));
  });
});

describe("Note market Buy", () => {
  it("never sends a new note count with an old quote, and sends the quote's version", async () => {
    const { client } = setup("lender");
    const market = sectionOf("Note market");
    const listing = await within(market).findByTestId("listing-row");
    await waitFor(() => expect(within(listing).queryByText("…")).toBeNull());
    // the quote for 50 notes is slow; the listing's version moves on meanwhile (read at click time it would be 3)
    let release: (v: readonly [bigint, bigint, bigint]) => void = () => undefined;
    const base = client.readContract.getMockImplementation()!;
    let listingReads = 0;
    client.readContract.mockImplementation(async (call: { functionName: string; args?: readonly unknown[] }) => {
      if (call.functionName === "quote" && call.args?.[2] === 50n * U) {
        return new Promise((resolve) => (release = resolve)) as never;
      }
      if (call.functionName === "listing") return { ...(VIEWS.listing as object), version: 2 + listingReads++ } as never;
      return base(call) as never;
    });
    fireEvent.change(within(listing).getByLabelText(/Notes to buy/), { target: { value: "50" } });
    // Buy while the quote for 50 is still loading: nothing is simulated with the old quote (100 notes' price)
    await act(async () => fireEvent.click(within(listing).getByRole("button", { name: "Buy" })));
    await new Promise((r) => setTimeout(r, 50));
    expect(within(listing).queryByTestId("tx-preview")).toBeNull();
    expect(client.simulateContract).not.toHaveBeenCalledWith(expect.objectContaining({ functionName: "buy" }));
    await act(async () => release([49n * U, 490_000n, 130_000_000_000_000_000n]));
    await within(listing).findByTestId("tx-preview");
    await waitFor(() => expect(within(listing).getByTestId("buy-price").textContent).toBe("49.00 USDC"));
    expect(client.simulateContract).toHaveBeenCalledWith(
      expect.objectContaining({ functionName: "buy", args: [LOAN, OTHER, 50n * U, 49n * U + 49_000n, 2n] }),
    );
    expect(client.simulateContract).not.toHaveBeenCalledWith(expect.objectContaining({ functionName: "buy", args: [LOAN, OTHER, 50n * U, 99n * U + 99_000n, 2n] }));
  });
});

describe("WalletGate", () => {
  it("shows the signed-out state when the oracle session belongs to another account", async () => {
    setup("lender", { sessionAddress: OTHER });
    expect(await screen.findByTestId("signed-out")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Sign in with your wallet" })).toBeTruthy();
  });
});
