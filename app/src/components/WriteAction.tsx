// The one component every write goes through: preview (what happens, amount, fee, gas in units and in the native
// token, from a simulation) → an approve step first when the ERC-20 allowance is short → the wallet → pending (hash)
// → result (gas used) or the contract's error in words.
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import type { Abi, Address, Hash, TransactionReceipt } from "viem";
import { IERC20MetadataAbi } from "../generated/abi/IERC20Metadata";
import { useApp } from "../lib/context";
import { decodeRevert } from "../lib/errors";
import { formatAmount } from "../lib/money";
import { useWallet } from "../lib/wallet";
import { Banner, Button, cx } from "./ui";

export type WriteRequest = {
  address: Address;
  abi: Abi | readonly unknown[];
  functionName: string;
  args?: readonly unknown[];
  value?: bigint;
};

/**
 * What `request()` returns: the call, and optionally the approval it needs (then it wins over the step's
 * `approval`: a request that waits for a figure still loading knows the approval for that figure; `null` = none).
 */
export type WriteRequestWithApproval = WriteRequest & { approval?: Approval | null };

export type Approval = {
  token: Address;
  spender: Address;
  /** What is approved. */
  amount: bigint;
  /**
   * The least the allowance must be, when `amount` adds a margin for a figure that grows with time (a payoff's
   * interest): an allowance of at least `required` needs no new approval. Defaults to `amount`.
   */
  required?: bigint;
  /** The approved token's symbol and decimals when it is not the market's stablecoin (e.g. a loan's notes). */
  symbol?: string;
  decimals?: number;
  /** What is approved, in words (e.g. "notes of loan #7"); defaults to "your <symbol>". */
  what?: string;
};

export type WriteStep = {
  label: string;
  describe?: () => ReactNode;
  /** The call; `null` when there is nothing to do (the form is incomplete). May throw (e.g. AmountError). */
  request: () => Promise<WriteRequestWithApproval | null> | WriteRequestWithApproval | null;
  approval?: Approval | null;
  fee?: bigint;
};

export type WriteActionProps = {
  /** What the button says (e.g. "Deposit"); the confirm button says "Confirm: Deposit". */
  label: string;
  describe?: () => ReactNode;
  request?: () => Promise<WriteRequestWithApproval | null> | WriteRequestWithApproval | null;
  approval?: Approval | null;
  /** A protocol fee taken by this action (token units), shown in the preview. */
  fee?: bigint;
  feeLabel?: string;
  onDone?: (receipt: TransactionReceipt) => void;
  /** Several transactions in order (each may need its own approval); replaces request/approval. */
  steps?: WriteStep[];
  disabled?: boolean;
  className?: string;
};

type Plan = {
  stepIndex: number;
  kind: "approve" | "call";
  /** What is sent now: the step's call, or the approval before it. */
  call: WriteRequest;
  /** The step's own call as built for this preview (compared with a fresh build at Confirm). */
  stepCall: WriteRequest;
  /** The preview's text and fee as they were when the call was built (what is shown is what is sent). */
  description: ReactNode;
  fee?: bigint;
  gas: bigint;
  gasPrice: bigint;
  allowance?: bigint;
  balance?: bigint;
  approval?: Approval;
};

type Phase =
  | { name: "idle" }
  | { name: "preparing" }
  | { name: "preview"; plan: Plan }
  | { name: "signing"; plan: Plan }
  | { name: "pending"; plan: Plan; hash: Hash }
  | { name: "done"; receipt: TransactionReceipt; plan: Plan }
  | { name: "failed"; message: string; plan?: Plan; hash?: Hash };

const CHANGED = "The form changed since the preview; check it again.";

/** A canonical text of a value, bigint-safe, addresses compared case-insensitively. */
function canonical(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) =>
    typeof x === "bigint" ? `${x.toString()}n` : typeof x === "string" && /^0x[0-9a-fA-F]{40}$/.test(x) ? x.toLowerCase() : x,
  );
}

function sameCall(a: WriteRequest, b: WriteRequest): boolean {
  return (
    a.address.toLowerCase() === b.address.toLowerCase() &&
    a.functionName === b.functionName &&
    canonical(a.args ?? []) === canonical(b.args ?? []) &&
    (a.value ?? 0n) === (b.value ?? 0n)
  );
}

/**
 * Whether the approval the form needs now (`now`) is covered by the one previewed (`planned`): the same token and
 * spender, and no more than the previewed amount. Amounts that grow with time (a payoff's interest, within the
 * previewed margin) still match; a form edit changes the call's arguments, which `sameCall` catches.
 */
function sameApproval(now: Approval | undefined, planned: Approval | undefined): boolean {
  if (!now || !planned) return !now && !planned;
  return (
    now.token.toLowerCase() === planned.token.toLowerCase() &&
    now.spender.toLowerCase() === planned.spender.toLowerCase() &&
    (now.required ?? now.amount) <= planned.amount
  );
}

const effectiveApproval = (a: Approval | null | undefined): Approval | undefined => (a && a.amount > 0n ? a : undefined);

/** The call alone (what goes to the wallet) and the approval it needs (the request's own, else the step's). */
function built(step: WriteStep, r: WriteRequestWithApproval): { call: WriteRequest; approval: Approval | undefined } {
  const { approval, ...call } = r;
  return { call, approval: effectiveApproval(approval !== undefined ? approval : step.approval) };
}

// viem's typed contract calls want literal ABIs; here the ABI comes from the caller, so the parameters are loose.
type LooseCall = Record<string, unknown>;

export default function WriteAction(props: WriteActionProps) {
  const { publicClient, token, config, chain, index } = useApp();
  const wallet = useWallet();
  const [phase, setPhase] = useState<Phase>({ name: "idle" });
  const [notice, setNotice] = useState<string | null>(null);
  // Transactions this action has sent (exposed as data-sent: a step's preview is told from the next one's by it).
  const [sent, setSent] = useState(0);
  const run = useRef(0);

  const steps: WriteStep[] = props.steps ?? [
    { label: props.label, describe: props.describe, request: props.request ?? (() => null), approval: props.approval, fee: props.fee },
  ];
  const tokenFmt = { decimals: token.decimals, symbol: token.symbol };
  const amount = (raw: bigint) => formatAmount(raw, token.decimals, token.symbol, { maxFraction: token.decimals });
  /** An amount of the approved token (the stablecoin unless the approval says otherwise, e.g. a loan's notes). */
  const approvalAmount = (a: Approval, raw: bigint) => {
    const decimals = a.decimals ?? token.decimals;
    return formatAmount(raw, decimals, a.symbol ?? token.symbol, { maxFraction: decimals });
  };

  const prepare = useCallback(
    async (stepIndex: number) => {
      const id = ++run.current;
      const step = steps[stepIndex];
      if (!step) return;
      if (wallet.status !== "ready" || !wallet.address) {
        setPhase({ name: "idle" });
        return;
      }
      const account = wallet.address;
      setPhase({ name: "preparing" });
      let requested: WriteRequestWithApproval | null;
      try {
        requested = await step.request();
      } catch (e) {
        if (id === run.current) setPhase({ name: "failed", message: e instanceof Error ? e.message : String(e) });
        return;
      }
      if (!requested) {
        if (id === run.current) setPhase({ name: "failed", message: "Fill in the form first." });
        return;
      }
      const { call, approval } = built(step, requested);
      try {
        let plan: Plan;
        // Snapshot what the preview says with the call it describes: the form may change while the preview is open.
        const description = step.describe?.() ?? null;
        const fee = step.fee;
        let allowance: bigint | undefined;
        let balance: bigint | undefined;
        if (approval) {
          [allowance, balance] = await Promise.all([
            publicClient.readContract({
              address: approval.token,
              abi: IERC20MetadataAbi,
              functionName: "allowance",
              args: [account, approval.spender],
            }),
            publicClient.readContract({
              address: approval.token,
              abi: IERC20MetadataAbi,
              functionName: "balanceOf",
              args: [account],
            }),
          ]);
        }
        const target: WriteRequest =
          approval && allowance !== undefined && allowance < (approval.required ?? approval.amount)
            ? { address: approval.token, abi: IERC20MetadataAbi, functionName: "approve", args: [approval.spender, approval.amount] }
            : call;
        const kind = target === call ? "call" : "approve";
        const params = { ...target, account } as LooseCall;
        await publicClient.simulateContract(params as never);
        const [gas, gasPrice] = await Promise.all([
          publicClient.estimateContractGas(params as never),
          publicClient.getGasPrice(),
        ]);
        plan = { stepIndex, kind, call: target, stepCall: call, description, fee, gas, gasPrice, allowance, balance, approval };
        if (id === run.current) setPhase({ name: "preview", plan });
      } catch (e) {
        if (id === run.current) setPhase({ name: "failed", message: decodeRevert(e, tokenFmt) });
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [wallet.status, wallet.address, publicClient, props.steps, props.request, props.approval, token],
  );

  // While the preview is open the page may re-render (a figure it reads finishes loading): the snapshot follows the
  // page only as long as the form still builds the very call previewed. Once it builds another, the preview keeps
  // saying what Confirm would have sent, and Confirm rebuilds the preview instead of sending.
  const previewPlan = phase.name === "preview" ? phase.plan : null;
  useEffect(() => {
    const plan = previewPlan;
    const step = plan ? steps[plan.stepIndex] : undefined;
    if (!plan || !step || plan.kind !== "call") return;
    let live = true;
    void (async () => {
      let fresh: WriteRequestWithApproval | null;
      try {
        fresh = await step.request();
      } catch {
        return;
      }
      if (!live || !fresh) return;
      const now = built(step, fresh);
      if (!sameCall(now.call, plan.stepCall) || !sameApproval(now.approval, plan.approval)) return;
      const description = step.describe?.() ?? null;
      setPhase((p) => (p.name === "preview" && p.plan === plan ? { name: "preview", plan: { ...plan, description, fee: step.fee } } : p));
    })();
    return () => {
      live = false;
    };
    // Re-checked when the page re-renders this action (its props), not on this component's own updates.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.steps, props.describe, props.request, props.approval, props.fee, props.disabled]);

  const confirm = async (plan: Plan) => {
    if (!wallet.walletClient || !wallet.address) return;
    const id = ++run.current;
    setPhase({ name: "signing", plan });
    // Rebuild the call from the form as it is now: if it is not the one previewed, show the new preview instead.
    const step = steps[plan.stepIndex];
    let fresh: WriteRequestWithApproval | null = null;
    try {
      fresh = step ? await step.request() : null;
    } catch {
      fresh = null;
    }
    if (id !== run.current) return;
    const now = step && fresh ? built(step, fresh) : null;
    if (!now || !sameCall(now.call, plan.stepCall) || !sameApproval(now.approval, plan.approval)) {
      setNotice(CHANGED);
      await prepare(plan.stepIndex);
      return;
    }
    let hash: Hash;
    try {
      hash = await wallet.walletClient.writeContract({
        ...plan.call,
        account: wallet.address,
        chain,
      } as never);
    } catch (e) {
      if (id === run.current) setPhase({ name: "failed", message: decodeRevert(e, tokenFmt), plan });
      return;
    }
    setSent((n) => n + 1);
    setPhase({ name: "pending", plan, hash });
    let receipt: TransactionReceipt;
    try {
      receipt = await publicClient.waitForTransactionReceipt({ hash });
    } catch (e) {
      if (id === run.current) setPhase({ name: "failed", message: decodeRevert(e, tokenFmt), plan, hash });
      return;
    }
    if (id !== run.current) return;
    if (receipt.status !== "success") {
      // Replay the call at the block to learn why it reverted (the receipt carries no reason).
      let message = "The transaction reverted on chain.";
      try {
        await publicClient.simulateContract({
          ...plan.call,
          account: wallet.address,
          blockNumber: receipt.blockNumber > 0n ? receipt.blockNumber - 1n : receipt.blockNumber,
        } as never);
      } catch (e) {
        message = decodeRevert(e, tokenFmt);
      }
      setPhase({ name: "failed", message, plan, hash });
      return;
    }
    if (plan.kind === "approve") {
      setNotice(`Approval confirmed (gas used ${receipt.gasUsed.toLocaleString("en-US")}). Now the ${steps[plan.stepIndex]?.label.toLowerCase()} itself:`);
      await prepare(plan.stepIndex);
      return;
    }
    if (plan.stepIndex + 1 < steps.length) {
      setNotice(`${steps[plan.stepIndex]?.label} confirmed. Next step:`);
      await prepare(plan.stepIndex + 1);
      return;
    }
    setNotice(null);
    setPhase({ name: "done", receipt, plan });
    // The page re-reads lists and figures from the index: let it catch up with this block first.
    await index.waitForBlock(receipt.blockNumber);
    props.onDone?.(receipt);
  };

  const cancel = () => {
    run.current++;
    setNotice(null);
    setPhase({ name: "idle" });
  };

  const start = () => {
    setNotice(null);
    void prepare(0);
  };

  const busy = phase.name === "preparing" || phase.name === "signing" || phase.name === "pending";
  const showStart = phase.name === "idle" || phase.name === "done" || phase.name === "failed" || phase.name === "preparing";
  const gasText = (p: Plan) =>
    `${p.gas.toLocaleString("en-US")} gas ≈ ${formatAmount(p.gas * p.gasPrice, 18, config.nativeSymbol, { maxFraction: 8, minFraction: 0 })}`;

  const walletGate =
    wallet.status === "ready" ? null : wallet.status === "missing" ? (
      <Banner tone="warn">No wallet found: install a browser wallet (e.g. MetaMask) to {props.label.toLowerCase()}.</Banner>
    ) : wallet.status === "disconnected" ? (
      <Banner tone="info" action={<Button variant="secondary" onClick={() => void wallet.connect()}>Connect wallet</Button>}>
        Connect your wallet to {props.label.toLowerCase()}.
      </Banner>
    ) : (
      <Banner tone="warn" action={<Button variant="secondary" onClick={() => void wallet.switchNetwork()}>Switch network</Button>}>
        Your wallet is on another network; switch to {config.chainName} to {props.label.toLowerCase()}.
      </Banner>
    );

  const currentStep = phase.name === "preview" || phase.name === "signing" ? steps[phase.plan.stepIndex] : undefined;

  return (
    <div data-testid="write-action" data-label={props.label} data-phase={phase.name} data-sent={sent} className={cx("space-y-3", props.className)}>
      {walletGate}
      {showStart && (
        <Button onClick={start} disabled={props.disabled || wallet.status !== "ready" || phase.name === "preparing"}>
          {phase.name === "preparing" ? "Checking…" : props.label}
        </Button>
      )}
      {notice && <Banner tone="success">{notice}</Banner>}

      {(phase.name === "preview" || phase.name === "signing") && currentStep && (
        <div data-testid="tx-preview" className="space-y-3 rounded-lg border border-slate-200 bg-slate-50 p-4 text-sm">
          {steps.length > 1 && (
            <div className="text-xs font-medium uppercase tracking-wide text-slate-500">
              Step {phase.plan.stepIndex + 1} of {steps.length}: {currentStep.label}
            </div>
          )}
          {phase.plan.kind === "approve" && phase.plan.approval ? (
            <div className="space-y-1">
              <p className="font-medium text-amber-900">Approval needed first.</p>
              <p>
                The contract may take {approvalAmount(phase.plan.approval, phase.plan.allowance ?? 0n)} of{" "}
                {phase.plan.approval.what ?? `your ${phase.plan.approval.symbol ?? token.symbol}`}; this needs{" "}
                {approvalAmount(phase.plan.approval, phase.plan.approval.amount)}. Approve{" "}
                {approvalAmount(phase.plan.approval, phase.plan.approval.amount)} first, then confirm the{" "}
                {currentStep.label.toLowerCase()}.
              </p>
            </div>
          ) : (
            <div>{phase.plan.description}</div>
          )}
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
            {phase.plan.fee !== undefined && phase.plan.kind === "call" && (
              <>
                <dt className="text-slate-500">{props.feeLabel ?? "Fee"}</dt>
                <dd className="tabular-nums">{amount(phase.plan.fee)}</dd>
              </>
            )}
            {phase.plan.balance !== undefined && phase.plan.approval && (
              <>
                <dt className="text-slate-500">Your balance</dt>
                <dd className={cx("tabular-nums", phase.plan.balance < phase.plan.approval.amount && "text-red-700")}>
                  {approvalAmount(phase.plan.approval, phase.plan.balance)}
                  {phase.plan.balance < phase.plan.approval.amount && " — less than needed"}
                </dd>
              </>
            )}
            <dt className="text-slate-500">Network fee</dt>
            <dd className="tabular-nums">{gasText(phase.plan)}</dd>
          </dl>
          <div className="flex gap-2">
            <Button data-testid="tx-confirm" disabled={phase.name === "signing"} onClick={() => void confirm(phase.plan)}>
              {phase.name === "signing"
                ? "Confirm in your wallet…"
                : phase.plan.kind === "approve" && phase.plan.approval
                  ? `Approve ${approvalAmount(phase.plan.approval, phase.plan.approval.amount)}${phase.plan.approval.what ? ` (${phase.plan.approval.what})` : ""}`
                  : `Confirm: ${currentStep.label}`}
            </Button>
            <Button variant="secondary" onClick={cancel}>
              Cancel
            </Button>
          </div>
        </div>
      )}

      {phase.name === "pending" && (
        <div data-testid="tx-pending" role="status" className="rounded-lg border border-sky-200 bg-sky-50 p-4 text-sm text-sky-900">
          <p className="font-medium">Transaction sent, waiting for confirmation…</p>
          <p className="mt-1 break-all font-mono text-xs" data-testid="tx-hash">
            {phase.hash}
          </p>
        </div>
      )}

      {phase.name === "done" && (
        <div data-testid="tx-result" role="status" className="rounded-lg border border-emerald-200 bg-emerald-50 p-4 text-sm text-emerald-900">
          <p className="font-medium">Confirmed in block {phase.receipt.blockNumber.toString()}.</p>
          <p className="mt-1">
            Gas used {phase.receipt.gasUsed.toLocaleString("en-US")}
            {phase.receipt.effectiveGasPrice
              ? ` (${formatAmount(phase.receipt.gasUsed * phase.receipt.effectiveGasPrice, 18, config.nativeSymbol, { maxFraction: 8, minFraction: 0 })})`
              : ""}
            .
          </p>
          <p className="mt-1 break-all font-mono text-xs">{phase.receipt.transactionHash}</p>
        </div>
      )}

      {phase.name === "failed" && (
        <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-900">
          <p data-testid="tx-error" className="font-medium">
            {phase.message}
          </p>
          {phase.hash && <p className="mt-1 break-all font-mono text-xs">{phase.hash}</p>}
        </div>
      )}
      {busy && phase.name === "preparing" && <span className="sr-only">Preparing the preview…</span>}
    </div>
  );
}

export { WriteAction };
