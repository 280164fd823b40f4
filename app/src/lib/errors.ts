// Turns whatever a write threw (viem errors, RPC errors, wallet errors) into one sentence for the user: the
// contract's custom error decoded with every published ABI and said in words, never a raw revert blob.
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Hex } from "viem";
import { allErrorsAbi } from "../generated/abi/errors";
import { formatAmount, formatDateTime, formatBps, shortAddress } from "./money";

/** How amounts and dates in error sentences are written (the token's decimals when known). */
export type ErrorFormat = { amount: (raw: bigint) => string; date: (unix: bigint) => string };

export type ErrorArgs = readonly unknown[];

const LOAN_STATUS = ["pending", "open for funding", "funded", "active", "repaid", "defaulted", "rejected", "expired"];
const USER_STATUS = ["not registered", "pending", "verified", "revoked"];
const AUTOPAY_REFUSAL = [
  "the loan is not enrolled in autopay",
  "the loan is not active",
  "the borrower's verification was revoked",
  "it is too early: collection opens shortly before the due date",
  "it is too late: the installment is past its grace period",
  "nothing is due",
  "the amount due is above the borrower's autopay cap",
  "the borrower's balance is too low",
  "the borrower's allowance to Autopay is too low",
  "autopay is paused",
];
const PANIC: Record<number, string> = {
  0x01: "an internal check failed (assert)",
  0x11: "an arithmetic overflow or underflow",
  0x12: "a division by zero",
  0x21: "an invalid enum value",
  0x22: "a corrupted storage byte array",
  0x31: "a pop from an empty array",
  0x32: "an array index out of bounds",
  0x41: "too much memory allocated",
  0x51: "a call to an uninitialised function",
};

const big = (v: unknown): bigint => (typeof v === "bigint" ? v : BigInt(v as number | string));
const addr = (v: unknown): string => shortAddress(String(v));
const num = (v: unknown): string => big(v).toString();
const loanStatus = (v: unknown): string => LOAN_STATUS[Number(v)] ?? `status ${String(v)}`;
const userStatus = (v: unknown): string => USER_STATUS[Number(v)] ?? `status ${String(v)}`;
const days = (v: unknown): string => `${num(v)} day${big(v) === 1n ? "" : "s"}`;
const bps = (v: unknown): string => formatBps(big(v));

type Text = (a: ErrorArgs, f: ErrorFormat) => string;

/** Every custom error of the protocol and its libraries, in words (a test checks that none is missing). */
export const ERROR_TEXT: Record<string, Text> = {
  // ------------------------------------------------------------------ Loan
  LoanAlreadyInitialized: () => "This loan was already set up.",
  LoanOnlyFactory: (a) => `Only the loan factory may do this (called by ${addr(a[0])}).`,
  LoanOnlyBorrower: (a) => `Only the loan's borrower may do this; your account ${addr(a[0])} is not the borrower.`,
  LoanInvalidStatus: (a) => `The loan is ${loanStatus(a[0])}, so this action is not possible now.`,
  LoanPausedError: () => "This loan (or the whole market) is paused: funding, drawdown and note transfers are on hold.",
  LoanZeroAmount: () => "The amount must be more than zero.",
  LoanNotMultipleOfNote: (a, f) =>
    `The amount ${f.amount(big(a[0]))} is not a multiple of the minimum note (${f.amount(big(a[1]))}).`,
  LoanExceedsGoal: (a, f) =>
    `The amount ${f.amount(big(a[0]))} is more than the loan still needs (${f.amount(big(a[1]))}).`,
  // Thrown by fundLoan after the funding deadline and by acceptPartialFunding after the acceptance window that
  // follows it (contracts/Loan.sol): a[0] is the funding deadline in both, a[1] the block's time.
  LoanFundingClosed: (a, f) =>
    `Too late: the loan's funding period ended on ${f.date(big(a[0]))} (it is now ${f.date(big(a[1]))}). ` +
    "No funding is taken after that, and partial funding can only be accepted within the acceptance window that follows it.",
  LoanFundingOpen: (a, f) => `The loan's funding period is still open, until ${f.date(big(a[0]))}.`,
  LoanNotVerifiedLender: (a) => `${addr(a[0])} is not a verified lender: complete KYC as a lender first.`,
  LoanBorrowerCannotFund: () => "The borrower cannot fund their own loan.",
  LoanBorrowerNotVerified: (a) => `The borrower ${addr(a[0])} is no longer verified.`,
  LoanBorrowerInDefault: (a) => `The borrower ${addr(a[0])} has a loan in default.`,
  LoanDrawdownWindowClosed: (a, f) => `The time to draw the funds ended on ${f.date(big(a[0]))}.`,
  LoanPartialFundingTooLow: (a, f) =>
    `Only ${f.amount(big(a[0]))} was funded; at least ${f.amount(big(a[1]))} is needed to accept partial funding.`,
  LoanCannotExpire: (a) => `The loan is ${loanStatus(a[0])} and cannot expire now.`,
  LoanNotDefaultable: (a) =>
    `The loan is ${days(a[0])} past due; it can be declared in default at ${days(a[1])}.`,
  LoanNothingToClaim: () => "There is nothing to claim yet on this loan.",
  LoanNothingToRefund: () => "You have nothing to refund on this loan.",
  LoanNotClaimer: (a) => `${addr(a[0])} is not approved to claim for ${addr(a[1])}.`,
  LoanTransferToUnverified: (a) => `Notes can only go to verified lenders; ${addr(a[0])} is not one.`,
  LoanTransferAmountMismatch: (a, f) =>
    `The token moved ${f.amount(big(a[1]))} instead of ${f.amount(big(a[0]))} (fee-on-transfer tokens are refused).`,
  LoanNothingOwed: () => "Nothing is owed on this loan.",
  LoanNoFees: () => "There are no fees to sweep from this loan.",
  LoanInvalidConfig: () => "The loan implementation's configuration is invalid.",
  LoanNotFunder: (a) => `${addr(a[0])} is not approved to fund this loan for ${addr(a[1])}.`,
  LoanTransferFromUnverified: (a) => `${addr(a[0])} is not a verified lender, so it cannot transfer notes.`,
  LoanNoSurplus: (a, f) => `There is no surplus: the balance ${f.amount(big(a[0]))} is all owed (${f.amount(big(a[1]))}).`,
  LoanOnlyAutopay: (a) => `Only the market's Autopay may collect this way (called by ${addr(a[0])}).`,
  // ------------------------------------------------------------------ LoanFactory
  LoanFactoryZeroAddress: () => "An address given to the loan factory is zero.",
  LoanFactoryBorrowerNotEligible: (a) =>
    `${addr(a[0])} cannot borrow: it needs a verified borrower KYC and a valid credit grade.`,
  LoanFactoryAmountOutOfRange: (a, f) =>
    `The amount ${f.amount(big(a[0]))} is outside the allowed range (${f.amount(big(a[1]))} to ${f.amount(big(a[2]))}).`,
  LoanFactoryExceedsBorrowLimit: (a, f) =>
    `The amount ${f.amount(big(a[0]))} is above what you may still borrow (${f.amount(big(a[1]))}).`,
  LoanFactoryTermOutOfRange: (a) =>
    `A term of ${num(a[0])} months is outside the allowed range (${num(a[1])} to ${num(a[2])} months).`,
  LoanFactoryFundingPeriodOutOfRange: (a) =>
    `A funding period of ${num(a[0])} seconds is outside the allowed range (${num(a[1])} to ${num(a[2])} seconds).`,
  LoanFactoryGradeNotPriced: (a) => `There is no interest rate for grade ${num(a[0])} yet.`,
  LoanFactoryInvalidGrade: (a) => `Grade ${num(a[0])} is not a valid grade (1 = A1 … 25 = E5).`,
  LoanFactoryInvalidPurpose: (a) => `Purpose code ${num(a[0])} is not valid.`,
  LoanFactoryInvalidRate: (a) => `The rate ${bps(a[0])} is not allowed.`,
  LoanFactoryInvalidFee: (a) => `The fee ${bps(a[0])} is not allowed.`,
  LoanFactoryInvalidLimits: () => "The loan limits are inconsistent (minimum above maximum).",
  LoanFactoryUnknownLoan: (a) => `There is no loan #${num(a[0])}.`,
  LoanFactoryNotLoan: (a) => `${addr(a[0])} is not a loan of this market.`,
  LoanFactoryNoImplementation: () => "The factory has no loan implementation set.",
  LoanFactoryImplementationMismatch: (a) => `The loan implementation ${addr(a[0])} does not match this market.`,
  LoanFactoryBorrowerInDefault: (a) =>
    `${addr(a[0])} has ${num(a[1])} loan(s) in default and cannot borrow until they are settled.`,
  LoanFactoryNotInDefault: (a) => `Loan #${num(a[0])} is not in default.`,
  // ------------------------------------------------------------------ LendingPool
  PoolZeroAddress: () => "An address given to the lending pool is zero.",
  PoolZeroAmount: () => "The amount must be more than zero.",
  PoolInsufficientBalance: (a, f) =>
    `Amount exceeds your pool cash: you have ${f.amount(big(a[1]))} available, you asked for ${f.amount(big(a[2]))}.`,
  PoolNotLoan: (a) => `${addr(a[0])} is not a loan of this market.`,
  PoolLoanNotOpen: (a) => `The loan ${addr(a[0])} is not open for funding.`,
  PoolInvalidCriteria: () => "The auto-invest criteria are invalid (check the grade range, rates and amounts).",
  PoolTransferAmountMismatch: (a, f) =>
    `The token moved ${f.amount(big(a[1]))} instead of ${f.amount(big(a[0]))} (fee-on-transfer tokens are refused).`,
  // ------------------------------------------------------------------ Treasury
  TreasuryZeroAddress: () => "An address given to the treasury is zero.",
  TreasuryZeroAmount: () => "The amount must be more than zero.",
  TreasuryNotLoan: (a) => `${addr(a[0])} is not a loan of this market.`,
  TreasuryUnfundedFee: (a, f) =>
    `The fee ${f.amount(big(a[0]))} was not paid in (only ${f.amount(big(a[1]))} unaccounted tokens arrived).`,
  TreasuryInsufficientFees: (a, f) =>
    `The treasury holds only ${f.amount(big(a[1]))} of fees, less than ${f.amount(big(a[0]))}.`,
  TreasuryInvalidBps: (a) => `${bps(a[0])} is not a valid share.`,
  TreasuryTransferAmountMismatch: (a, f) =>
    `The token moved ${f.amount(big(a[1]))} instead of ${f.amount(big(a[0]))} (fee-on-transfer tokens are refused).`,
  // ------------------------------------------------------------------ NoteMarket
  MarketZeroAddress: () => "An address given to the note market is zero.",
  MarketNotLoan: (a) => `${addr(a[0])} is not a loan of this market.`,
  MarketZeroNotes: () => "The number of notes must be more than zero.",
  MarketPremiumOutOfRange: (a) =>
    `A premium of ${bps(a[0])} is outside the allowed range (${bps(a[1])} to ${bps(a[2])}).`,
  MarketInvalidExpiry: (a, f) => `The expiry ${f.date(big(a[0]))} is in the past or too far ahead.`,
  MarketNoListing: (a) => `${addr(a[1])} has no listing for the loan ${addr(a[0])}.`,
  MarketListingChanged: () => "The listing changed since you looked at it (price or notes): review it again.",
  MarketListingExpired: (a, f) => `The listing expired on ${f.date(big(a[0]))}.`,
  MarketExceedsListing: (a, f) => `You asked for ${f.amount(big(a[0]))} notes but only ${f.amount(big(a[1]))} are listed.`,
  MarketLoanNotActive: (a) => `The loan is ${loanStatus(a[1])}: only notes of active loans can be traded.`,
  MarketLoanLate: (a, f) =>
    `The loan is late (due ${f.date(big(a[1]))}, grace ended ${f.date(big(a[2]))}): its notes cannot be traded now.`,
  MarketLastInstallment: () => "The loan is in its last installment: its notes can no longer be traded.",
  MarketBorrowerCannotBuy: () => "The borrower cannot buy notes of their own loan.",
  MarketBuyerIsSeller: () => "You cannot buy your own listing.",
  MarketPriceAboveMax: (a, f) =>
    `The price is now ${f.amount(big(a[0]))}, above the most you accepted (${f.amount(big(a[1]))}).`,
  MarketSellerLacksNotes: (a, f) =>
    `The seller holds ${f.amount(big(a[1]))} notes, fewer than the ${f.amount(big(a[2]))} listed.`,
  MarketNotApproved: (a, f) =>
    `The seller approved the market for ${f.amount(big(a[1]))} notes, fewer than ${f.amount(big(a[2]))}.`,
  MarketFeeTooHigh: (a) => `A fee of ${bps(a[0])} is above the maximum ${bps(a[1])}.`,
  MarketNoFees: () => "The note market has no fees to sweep.",
  EnforcedPause: () => "This contract is paused.",
  ExpectedPause: () => "This contract is not paused.",
  // ------------------------------------------------------------------ Autopay
  AutopayZeroAddress: () => "An address given to Autopay is zero.",
  AutopayNotLoan: (a) => `${addr(a[0])} is not a loan of this market.`,
  AutopayLoanNotSupported: () => "This loan was made before Autopay existed and cannot be collected by it.",
  AutopayNotBorrower: (a) => `Only the borrower (${addr(a[1])}) may manage autopay for this loan.`,
  AutopayZeroCap: () => "The autopay cap must be more than zero.",
  AutopayLoanClosed: () => "The loan is closed: autopay is no longer possible.",
  AutopayNotEnrolled: () => "The loan is not enrolled in autopay.",
  AutopayLeadTimeOutOfRange: (a) => `A lead time of ${num(a[0])} seconds is above the maximum ${num(a[1])} seconds.`,
  AutopayNotCollecting: (a) => `${addr(a[0])} is not collecting for Autopay now.`,
  AutopayNotCollectable: (a, f) => {
    const reason = AUTOPAY_REFUSAL[Number(a[1])] ?? `reason ${String(a[1])}`;
    const when = Number(a[1]) === 3 ? ` (collection opens ${f.date(big(a[2]))})` : "";
    return `Autopay cannot collect now: ${reason}${when}.`;
  },
  // ------------------------------------------------------------------ UserRegistry
  UserRegistryZeroAddress: () => "An address given to the user registry is zero.",
  UserRegistryZeroCommitment: () => "The KYC commitment is empty.",
  UserRegistryInvalidRoles: (a) => `Roles ${num(a[0])} are not valid (1 = borrower, 2 = lender, 3 = both).`,
  UserRegistryInvalidGrade: (a) => `Grade ${num(a[0])} is not valid (1 = A1 … 25 = E5).`,
  UserRegistryInvalidValidity: (a, f) => `The validity end ${f.date(big(a[0]))} is already past.`,
  UserRegistryAlreadyRegistered: (a) => `${addr(a[0])} is already registered (${userStatus(a[1])}).`,
  UserRegistryNotRegistered: (a) => `${addr(a[0])} is not registered: submit your KYC attestation first.`,
  UserRegistryNotPending: (a) => `${addr(a[0])} is not pending review (${userStatus(a[1])}).`,
  UserRegistryNotVerified: (a) => `${addr(a[0])} is not verified: complete KYC first.`,
  UserRegistryUnknownSigner: (a) => `The attestation was signed by ${addr(a[0])}, which is not an authorised oracle.`,
  UserRegistryInvalidSignature: () => "The attestation's signature is invalid.",
  UserRegistryAttestationExpired: (a, f) =>
    `The attestation expired on ${f.date(big(a[0]))}: ask the oracle for a new one.`,
  UserRegistryInvalidNonce: (a) =>
    `The attestation is out of date (nonce ${num(a[2])}, the registry expects ${num(a[1])}): ask for a new one.`,
  UserRegistrySignerAlreadyAdded: (a) => `${addr(a[0])} is already an oracle signer.`,
  UserRegistrySignerNotFound: (a) => `${addr(a[0])} is not an oracle signer.`,
  UserRegistryKycValidityOutOfRange: (a) => `A KYC validity of ${num(a[0])} seconds is out of range.`,
  UserRegistryCreditValidityOutOfRange: (a) => `A credit validity of ${num(a[0])} seconds is out of range.`,
  UserRegistryValidityTooLong: (a, f) =>
    `The validity end ${f.date(big(a[0]))} is later than allowed (${f.date(big(a[1]))}).`,
  UserRegistryRevoked: (a) => `${addr(a[0])} was revoked and cannot do this.`,
  UserRegistryNotRevoked: (a) => `${addr(a[0])} is not revoked (${userStatus(a[1])}).`,
  // ------------------------------------------------------------------ InterestCalculator / math / valuation
  InterestCalculatorLengthMismatch: (a) => `${num(a[0])} lenders but ${num(a[1])} investments were given.`,
  InterestCalculatorNoInvestment: () => "The investments add up to zero.",
  InterestMathRateTooHigh: (a) => `A rate of ${bps(a[0])} is above the maximum ${bps(a[1])}.`,
  InterestMathTermOutOfRange: (a) => `A term of ${num(a[0])} months is outside 1 to ${num(a[1])} months.`,
  InterestMathPrincipalTooLarge: (a, f) => `The principal ${f.amount(big(a[0]))} is too large.`,
  NoteValuationZeroTerm: () => "A loan with a term of 0 months cannot be valued.",
  NoteValuationServicingFeeTooHigh: (a) => `A servicing fee of ${bps(a[0])} is above 100%.`,
  NoteValuationZeroSupply: () => "The loan has no notes.",
  NoteValuationLengthMismatch: (a) => `${num(a[0])} dates but ${num(a[1])} amounts were given.`,
  NoteValuationFlowBeforeNow: (a, f) => `A cash flow is dated ${f.date(big(a[0]))}, before now.`,
  NoteValuationRateTooLow: () => "The discount rate is too low (−100% a period or less).",
  NoteValuationNoFlows: () => "There are no cash flows to value.",
  NoteValuationPremiumOutOfRange: (a) => `A premium of ${bps(a[0])} is outside the allowed range.`,
  // ------------------------------------------------------------------ governance
  NotDeployer: (a) => `Only the deployer may upgrade this proxy now (called by ${addr(a[0])}).`,
  ZeroDeployer: () => "The bootstrap needs a deployer address.",
  TimelockInsufficientDelay: (a) => `A delay of ${num(a[0])} seconds is below the minimum ${num(a[1])} seconds.`,
  TimelockInvalidOperationLength: () => "The timelock operation's targets, payloads and values differ in length.",
  TimelockUnauthorizedCaller: (a) => `${addr(a[0])} may not execute timelock operations.`,
  TimelockUnexecutedPredecessor: () => "The timelock operation's predecessor has not been executed.",
  TimelockUnexpectedOperationState: () => "The timelock operation is not in the required state (not ready or done).",
  AccessControlBadConfirmation: () => "The role renouncement was not confirmed by the account itself.",
  AccessControlUnauthorizedAccount: (a) => `${addr(a[0])} lacks the role this action needs.`,
  // ------------------------------------------------------------------ OpenZeppelin
  AddressEmptyCode: (a) => `There is no contract at ${addr(a[0])}.`,
  ECDSAInvalidSignature: () => "The signature is invalid.",
  ECDSAInvalidSignatureLength: (a) => `The signature has a wrong length (${num(a[0])} bytes).`,
  ECDSAInvalidSignatureS: () => "The signature is malleable (invalid s value).",
  ERC1967InvalidImplementation: (a) => `${addr(a[0])} is not a valid implementation.`,
  ERC1967NonPayable: () => "This call does not accept ETH.",
  ERC20InsufficientAllowance: (a, f) =>
    `The allowance for ${addr(a[0])} is ${f.amount(big(a[1]))}, less than the ${f.amount(big(a[2]))} needed: approve it first.`,
  ERC20InsufficientBalance: (a, f) =>
    `Your balance (${f.amount(big(a[1]))}) is less than the ${f.amount(big(a[2]))} needed.`,
  ERC20InvalidApprover: (a) => `${addr(a[0])} cannot approve.`,
  ERC20InvalidReceiver: (a) => `${addr(a[0])} cannot receive tokens.`,
  ERC20InvalidSender: (a) => `${addr(a[0])} cannot send tokens.`,
  ERC20InvalidSpender: (a) => `${addr(a[0])} cannot be approved as a spender.`,
  ERC2612ExpiredSignature: (a, f) => `The permit expired on ${f.date(big(a[0]))}.`,
  ERC2612InvalidSigner: () => "The permit was not signed by the token owner.",
  FailedCall: () => "An inner call failed.",
  FailedDeployment: () => "Deploying a contract failed.",
  InsufficientBalance: (a, f) => `The balance ${f.amount(big(a[0]))} is less than the ${f.amount(big(a[1]))} needed.`,
  InvalidAccountNonce: () => "The account nonce is out of date.",
  InvalidInitialization: () => "The contract was already initialised.",
  InvalidShortString: () => "A short string is invalid.",
  NotInitializing: () => "The contract is not initialising.",
  ReentrancyGuardReentrantCall: () => "A re-entrant call was refused.",
  SafeCastOverflowedUintDowncast: (a) => `A number does not fit in ${num(a[0])} bits.`,
  SafeERC20FailedOperation: (a) => `The token ${addr(a[0])} refused the transfer.`,
  StringTooLong: () => "A string is too long.",
  UUPSUnauthorizedCallContext: () => "This upgrade call must go through the proxy.",
  UUPSUnsupportedProxiableUUID: () => "The new implementation is not UUPS-compatible.",
  // test-only mock (contracts/mocks)
  PushLoopLoanLengthMismatch: (a) => `${num(a[0])} lenders but ${num(a[1])} amounts were given.`,
  PushLoopLoanExceedsGoal: (a, f) => `Funding ${f.amount(big(a[0]))} exceeds the goal ${f.amount(big(a[1]))}.`,
};

/** "LoanFundingClosed" → "Loan funding closed". */
export function humanizeName(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
  return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase();
}

/** The fallback for an error without a sentence: `SomeErrorName(arg=…)` → "Some error name (arg: …)". */
export function fallbackText(name: string, args: ErrorArgs, names: readonly (string | undefined)[] = []): string {
  const parts = args.map((v, i) => `${names[i] || `arg${i}`}: ${typeof v === "bigint" ? v.toString() : String(v)}`);
  return `${humanizeName(name)}${parts.length ? ` (${parts.join(", ")})` : ""}.`;
}

const defaultFormat: ErrorFormat = {
  amount: (raw) => `${raw.toString()} token units`,
  date: (unix) => formatDateTime(Number(unix)),
};

export function errorFormat(token?: { decimals: number; symbol: string }): ErrorFormat {
  if (!token) return defaultFormat;
  return {
    amount: (raw) => formatAmount(raw, token.decimals, token.symbol, { maxFraction: token.decimals }),
    date: defaultFormat.date,
  };
}

/** The sentence for a decoded error (name + args), with the table or the fallback. */
export function errorSentence(name: string, args: ErrorArgs, fmt: ErrorFormat = defaultFormat): string {
  const text = ERROR_TEXT[name];
  if (text) {
    try {
      return text(args, fmt);
    } catch {
      /* arguments of an unexpected shape: fall back */
    }
  }
  const item = allErrorsAbi.find((e) => e.name === name);
  return fallbackText(name, args, item ? item.inputs.map((i) => i.name) : []);
}

const HEX = /^0x[0-9a-fA-F]*$/;

/** Sentence for raw revert data (0x + selector + args). */
export function decodeRevertData(data: Hex, fmt: ErrorFormat = defaultFormat): string {
  if (data === "0x" || data.length < 10) return "The transaction reverted without a reason.";
  try {
    const decoded = decodeErrorResult({ abi: allErrorsAbi, data }) as { errorName: string; args?: readonly unknown[] };
    if (decoded.errorName === "Error") return `The transaction reverted: ${String(decoded.args?.[0] ?? "")}`;
    if (decoded.errorName === "Panic") {
      const code = Number(decoded.args?.[0] ?? 0);
      return `The contract stopped on ${PANIC[code] ?? `panic 0x${code.toString(16)}`}.`;
    }
    return errorSentence(decoded.errorName, (decoded.args ?? []) as ErrorArgs, fmt);
  } catch {
    return `The transaction reverted (unknown error ${data.slice(0, 10).toLowerCase()}).`;
  }
}

function findRevertHex(value: unknown, depth = 0): Hex | undefined {
  if (depth > 6 || value === null || value === undefined) return undefined;
  if (typeof value === "string") return HEX.test(value) && (value.length >= 10 || value === "0x") ? (value as Hex) : undefined;
  if (typeof value !== "object") return undefined;
  const o = value as Record<string, unknown>;
  for (const key of ["data", "raw"]) {
    const found = findRevertHex(o[key], depth + 1);
    if (found) return found;
  }
  if (o.error) return findRevertHex(o.error, depth + 1);
  return undefined;
}

function isUserRejection(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const o = e as { code?: unknown; name?: unknown };
  return o.code === 4001 || o.code === "ACTION_REJECTED" || o.name === "UserRejectedRequestError";
}

/** Removes long hex blobs from a message (never show raw revert data). */
function scrub(text: string): string {
  return text.replace(/0x[0-9a-fA-F]{66,}/g, "0x…").split("\n")[0]!.trim();
}

/**
 * One sentence for any error a read, simulation, gas estimate or write threw: the protocol's custom error in words,
 * the wallet's rejection, Error(string) / Panic, an unknown selector, or a short message — never a raw revert blob.
 */
export function decodeRevert(error: unknown, token?: { decimals: number; symbol: string }): string {
  const fmt = errorFormat(token);
  const chain: unknown[] = [];
  if (error instanceof BaseError) {
    error.walk((e) => {
      chain.push(e);
      return false;
    });
  } else {
    let e: unknown = error;
    for (let i = 0; i < 8 && e; i++) {
      chain.push(e);
      e = (e as { cause?: unknown }).cause;
    }
  }
  if (chain.some(isUserRejection)) return "You rejected the request in your wallet.";

  for (const e of chain) {
    if (e instanceof ContractFunctionRevertedError) {
      const decoded = e.data as { errorName?: string; args?: readonly unknown[] } | undefined;
      if (decoded?.errorName) {
        if (decoded.errorName === "Error" || decoded.errorName === "Panic") return decodeRevertData(e.raw ?? "0x", fmt);
        return errorSentence(decoded.errorName, decoded.args ?? [], fmt);
      }
      if (e.raw) return decodeRevertData(e.raw, fmt);
      if (e.signature) return `The transaction reverted (unknown error ${e.signature}).`;
      if (e.reason) return `The transaction reverted: ${e.reason}`;
    }
  }
  for (const e of chain) {
    if (typeof e === "object" && e !== null) {
      const hex = findRevertHex((e as { data?: unknown }).data);
      if (hex && hex !== "0x") return decodeRevertData(hex, fmt);
    }
  }
  const names = chain.map((e) => (e as { name?: string } | null)?.name);
  if (names.includes("InsufficientFundsError")) return "Your wallet does not hold enough of the native token to pay for gas.";
  if (names.includes("HttpRequestError") || names.includes("TimeoutError")) {
    const url = chain.map((e) => (e as { url?: string } | null)?.url).find(Boolean);
    return `The node${url ? ` at ${url}` : ""} cannot be reached.`;
  }
  if (names.includes("ChainMismatchError")) return "Your wallet is on a different network than this app.";
  for (const e of chain) {
    if (e instanceof ContractFunctionRevertedError) return "The transaction reverted without a reason.";
  }
  if (error instanceof BaseError) return scrub(error.shortMessage || error.message);
  if (error instanceof Error) return scrub(error.message);
  return scrub(String(error));
}
