// "Note market" (sdk/disfruta/api/market.py): my notes → Sell (`NoteMarket.list(loan, notes, premiumBps, expiry)`
// after approving the market on the loan's notes), open listings → Buy (`buy(loan, seller, notes, maxPrice,
// version)`, the quote plus 0.1 % headroom approved in the token), my listings → Cancel (`cancel(loan)`).
import { useState } from "react";
import { Link } from "react-router";
import type { Address } from "viem";
import { LoanAbi } from "../../generated/abi/Loan";
import { NoteMarketAbi } from "../../generated/abi/NoteMarket";
import { Mono, Table } from "../../components/ui";
import WriteAction from "../../components/WriteAction";
import { useApp } from "../../lib/context";
import { decodeRevert } from "../../lib/errors";
import type { IndexListing, Portfolio } from "../../lib/index-api";
import { formatAmount, formatBps, formatDate, parseAmount, shortAddress, toBigInt, toPlainAmount } from "../../lib/money";
import { useWallet } from "../../lib/wallet";
import {
  ErrorNote,
  Figures,
  InfoNote,
  LabeledInput,
  LabeledSelect,
  Loading,
  Section,
  parseSignedPercentToBps,
  tryParse,
  useAsync,
  type Async,
} from "../borrower/shared";

/** The SDK's `PRICE_SLACK_BPS`: headroom over the quote for the interest accrued until the buying block. */
const PRICE_SLACK_BPS = 10n;
const MIN_PREMIUM_BPS = -9_999n;
const MAX_PREMIUM_BPS = 10_000n;
const WAD = 10n ** 18n;

const premiumText = (bps: number | bigint) => {
  const b = BigInt(bps);
  return b === 0n ? "at par" : b > 0n ? `${formatBps(b)} premium` : `${formatBps(-b)} discount`;
};

/** A yield in WAD (1e18 = 100 %) as a percentage with two decimals, exactly. */
const wadPct = (w: bigint) => formatBps((w * 10_000n) / WAD);

function useSellerFee() {
  const { publicClient, addresses } = useApp();
  return useAsync(async () => {
    if (!addresses.market) return null;
    return BigInt(
      (await publicClient.readContract({ address: addresses.market, abi: NoteMarketAbi, functionName: "sellerFeeBps" })) as bigint,
    );
  }, [addresses.market]);
}

function SellForm({ portfolio, refreshKey, onChanged }: { portfolio: Async<Portfolio | null>; refreshKey: unknown; onChanged: () => void }) {
  const { publicClient, addresses, token } = useApp();
  const { address } = useWallet();
  const market = addresses.market as Address;
  const fee = useSellerFee();
  const held = (portfolio.data?.loans ?? []).filter((l) => toBigInt(l.notes) > 0n);
  const [loanId, setLoanId] = useState("");
  const chosen = held.find((l) => String(l.loan_id) === loanId) ?? held[0];
  const [notesText, setNotesText] = useState("");
  const [premiumText_, setPremiumText] = useState("0");
  const [expiry, setExpiry] = useState("");
  const notes = tryParse(() => parseAmount(notesText, token.decimals));
  const premium = tryParse(() => {
    const b = parseSignedPercentToBps(premiumText_);
    if (b < MIN_PREMIUM_BPS || b > MAX_PREMIUM_BPS) throw new Error("The premium must be between -99.99% and +100%.");
    return b;
  });
  const expirySeconds = tryParse(() => {
    if (!expiry) return 0n;
    const ms = Date.parse(`${expiry}T23:59:59Z`);
    if (Number.isNaN(ms)) throw new Error("Enter the expiry as a date.");
    return BigInt(Math.floor(ms / 1000));
  });
  const loanAddress = chosen?.address as Address | undefined;
  const live = useAsync(async () => {
    if (!loanAddress || !address) return null;
    const [balance, status] = await Promise.all([
      publicClient.readContract({ address: loanAddress, abi: LoanAbi, functionName: "balanceOf", args: [address] }) as Promise<bigint>,
      publicClient.readContract({ address: loanAddress, abi: LoanAbi, functionName: "status" }) as Promise<number>,
    ]);
    return { balance: BigInt(balance), status: Number(status) };
  }, [loanAddress, address, refreshKey]);
  const price = useAsync(async () => {
    if (!loanAddress || notes.value === undefined || premium.value === undefined) return null;
    return BigInt(
      (await publicClient.readContract({
        address: market,
        abi: NoteMarketAbi,
        functionName: "priceOf",
        args: [loanAddress, notes.value, premium.value],
      })) as bigint,
    );
  }, [loanAddress, notes.value?.toString(), premium.value?.toString(), refreshKey]);
  const fmt = (v: bigint) => formatAmount(v, token.decimals, token.symbol);
  const sellerFee = price.data != null && fee.data != null ? (price.data * fee.data) / 10_000n : undefined;

  if (held.length === 0) return <p className="text-sm text-slate-600">You hold no notes yet.</p>;
  return (
    <div className="space-y-3" data-testid="sell-form">
      <div className="grid grid-cols-1 gap-3 md:grid-cols-4">
        <LabeledSelect
          id="sell-loan"
          label="Notes of loan"
          options={held.map((l) => ({ value: String(l.loan_id), label: `#${l.loan_id} · ${l.grade} · ${l.status} · ${formatAmount(toBigInt(l.notes), token.decimals)} notes` }))}
          value={chosen ? String(chosen.loan_id) : ""}
          onChange={(e) => setLoanId(e.target.value)}
        />
        <LabeledInput
          id="sell-notes"
          label="Notes to sell"
          inputMode="decimal"
          value={notesText}
          onChange={(e) => setNotesText(e.target.value)}
          error={notesText ? (notes.error ?? null) : null}
          hint={live.data ? `You hold ${formatAmount(live.data.balance, token.decimals)} (1 note = 1 ${token.symbol} of principal)` : undefined}
        />
        <LabeledInput
          id="sell-premium"
          label="Premium or discount (%)"
          inputMode="decimal"
          value={premiumText_}
          onChange={(e) => setPremiumText(e.target.value)}
          error={premiumText_ ? (premium.error ?? null) : null}
          hint="-3 sells at a 3% discount to the outstanding principal, 2 at a 2% premium"
        />
        <LabeledInput
          id="sell-expiry"
          label="Listing expires (optional)"
          type="date"
          value={expiry}
          onChange={(e) => setExpiry(e.target.value)}
          hint="UTC; empty = no expiry"
        />
      </div>
      {live.data && live.data.status !== 3 ? (
        <InfoNote tone="warn">Only notes of an active loan can be sold; this loan is not active.</InfoNote>
      ) : null}
      {chosen ? (
        <WriteAction
          label="Sell"
          describe={() => (
            <div className="space-y-2 text-sm">
              <p>
                Lists <strong>{notes.value !== undefined ? formatAmount(notes.value, token.decimals) : "—"} notes</strong> of loan #
                {chosen.loan_id} {premium.value !== undefined ? premiumText(premium.value) : ""} to their outstanding principal
                {expirySeconds.value ? `, until ${formatDate(Number(expirySeconds.value))}` : ", with no expiry"}. Nothing is
                escrowed: you keep claiming until a buyer takes them. A new listing replaces your old one on this loan.
              </p>
              <Figures
                testId="sell-preview"
                rows={[
                  ["Price now", price.data != null ? fmt(price.data) : "…"],
                  [
                    "Seller fee",
                    <span data-testid="sell-fee">
                      {sellerFee !== undefined && fee.data != null ? `${fmt(sellerFee)} (${formatBps(fee.data)})` : "…"}
                    </span>,
                  ],
                  ["You would receive", price.data != null && sellerFee !== undefined ? fmt(price.data - sellerFee) : "…"],
                ]}
              />
              <p className="text-xs text-slate-500">The price moves with the interest accrued until the sale.</p>
              <ErrorNote error={price.error} />
            </div>
          )}
          fee={sellerFee}
          feeLabel="Seller fee (at today's price, paid at the sale)"
          approval={
            loanAddress && notes.value !== undefined
              ? { token: loanAddress, spender: market, amount: notes.value, symbol: "notes", decimals: token.decimals, what: `notes of loan #${chosen.loan_id}` }
              : undefined
          }
          request={async () => {
            if (!loanAddress || notes.value === undefined || premium.value === undefined) return null;
            if (expirySeconds.error) throw new Error(expirySeconds.error);
            return {
              address: market,
              abi: NoteMarketAbi,
              functionName: "list",
              args: [loanAddress, notes.value, premium.value, expirySeconds.value ?? 0n],
            };
          }}
          onDone={() => {
            setNotesText("");
            onChanged();
          }}
        />
      ) : null}
    </div>
  );
}

function BuyRow({ listing, refreshKey, onChanged }: { listing: IndexListing; refreshKey: unknown; onChanged: () => void }) {
  const { publicClient, addresses, token } = useApp();
  const market = addresses.market as Address;
  const [notesText, setNotesText] = useState(() => toPlainAmount(toBigInt(listing.notes), token.decimals));
  const notes = tryParse(() => parseAmount(notesText, token.decimals));
  const loan = listing.loan as Address;
  const seller = listing.seller as Address;
  const quote = useAsync(async () => {
    if (notes.value === undefined) return null;
    const [state, q] = await Promise.all([
      publicClient.readContract({ address: market, abi: NoteMarketAbi, functionName: "listing", args: [loan, seller] }) as Promise<{
        notes: bigint;
        version: number;
      }>,
      publicClient.readContract({ address: market, abi: NoteMarketAbi, functionName: "quote", args: [loan, seller, notes.value] }) as Promise<
        readonly [bigint, bigint, bigint]
      >,
    ]);
    const [price, fee, yieldWad] = q;
    // The note count and listing version this quote is for: Buy sends exactly these (never a newer count with an
    // older price, nor a version read later than the price).
    return { notes: notes.value, version: BigInt(state.version), available: BigInt(state.notes), price, fee, yieldWad, maxPrice: price + (price * PRICE_SLACK_BPS) / 10_000n };
  }, [notes.value?.toString(), refreshKey, listing.version]);
  const fmt = (v: bigint) => formatAmount(v, token.decimals, token.symbol);
  const q = quote.data;
  const label = `Notes to buy (loan #${listing.loan_id}, seller ${shortAddress(listing.seller)})`;
  return (
    <tr data-testid="listing-row" data-loan-id={listing.loan_id} data-seller={listing.seller}>
      <td className="px-3 py-2">
        <Link to={`/loans/${listing.loan_id}`} className="text-teal-800 underline">
          #{listing.loan_id}
        </Link>
      </td>
      <td className="px-3 py-2">
        <Mono title={listing.seller}>{shortAddress(listing.seller)}</Mono>
      </td>
      <td className="px-3 py-2 tabular-nums">{formatAmount(toBigInt(listing.notes), token.decimals)}</td>
      <td className="px-3 py-2">{premiumText(listing.premium_bps)}</td>
      <td className="px-3 py-2">{listing.expiry ? formatDate(listing.expiry) : "none"}</td>
      <td className="min-w-64 space-y-2 px-3 py-2">
        <LabeledInput id={`buy-notes-${listing.loan_id}-${listing.seller}`} label={label} inputMode="decimal" value={notesText} onChange={(e) => setNotesText(e.target.value)} error={notesText ? (notes.error ?? null) : null} />
        <WriteAction
          label="Buy"
          describe={() => (
            <div className="space-y-2 text-sm">
              <p>
                Buys {notes.value !== undefined ? formatAmount(notes.value, token.decimals) : "—"} notes of loan #{listing.loan_id} from{" "}
                {shortAddress(listing.seller)} ({premiumText(listing.premium_bps)}). If fewer are left, you buy what is left.
              </p>
              <Figures
                testId="buy-preview"
                rows={[
                  ["Price now", <span data-testid="buy-price">{q ? fmt(q.price) : "…"}</span>],
                  ["You pay at most", q ? fmt(q.maxPrice) : "…"],
                  ["Your yield to maturity", q ? wadPct(q.yieldWad) : "…"],
                  ["Seller fee (paid by the seller)", q ? fmt(q.fee) : "…"],
                ]}
              />
              <p className="text-xs text-slate-500">The headroom covers the interest accrued until your purchase's block.</p>
              <ErrorNote error={quote.error} />
            </div>
          )}
          approval={q && !quote.loading && q.notes === notes.value ? { token: token.address, spender: market, amount: q.maxPrice } : undefined}
          request={async () => {
            if (notes.value === undefined) return null;
            // Never the previous quote: wait (briefly) for the one being read, then only a quote of this count.
            const now = await quote.settled();
            if (now.loading) throw new Error("Still reading the price: try again in a moment.");
            if (now.error) throw new Error(decodeRevert(now.error, token)); // e.g. the listing was cancelled
            const q = now.data;
            if (!q || q.notes !== notes.value) throw new Error("The price shown is for another number of notes: try again in a moment.");
            // Exactly what was quoted: the count, at most the quote plus headroom, and the listing's version read with
            // the quote (a listing changed since is not bought blind), as the SDK's `buy` does.
            return {
              address: market,
              abi: NoteMarketAbi,
              functionName: "buy",
              args: [loan, seller, q.notes, q.maxPrice, q.version],
              approval: { token: token.address, spender: market, amount: q.maxPrice },
            };
          }}
          onDone={() => {
            quote.reload();
            onChanged();
          }}
        />
      </td>
    </tr>
  );
}

export default function NoteMarket({
  portfolio,
  refreshKey,
  onChanged,
}: {
  portfolio: Async<Portfolio | null>;
  refreshKey: unknown;
  onChanged: () => void;
}) {
  const { addresses, index, token } = useApp();
  const { address } = useWallet();
  const listings = useAsync(() => index.listings({ active: true, limit: 100 }), [refreshKey]);
  if (!addresses.market) {
    return (
      <Section title="Note market" id="note-market">
        <InfoNote>The note market is not deployed on this network.</InfoNote>
      </Section>
    );
  }
  const market = addresses.market;
  const me = address?.toLowerCase();
  const all = listings.data?.items ?? [];
  const mine = all.filter((l) => l.seller.toLowerCase() === me);
  const others = all.filter((l) => l.seller.toLowerCase() !== me);
  return (
    <Section title="Note market" id="note-market">
      <div className="space-y-2">
        <h3 className="text-sm font-semibold text-slate-800">Sell my notes</h3>
        {portfolio.loading && !portfolio.data ? <Loading what="your notes" /> : null}
        <ErrorNote error={portfolio.error} />
        <SellForm portfolio={portfolio} refreshKey={refreshKey} onChanged={onChanged} />
      </div>
      <div className="space-y-2 border-t border-slate-100 pt-4">
        <h3 className="text-sm font-semibold text-slate-800">My listings</h3>
        <ErrorNote error={listings.error} />
        <Table head={["Loan", "Notes listed", "Price", "Expires", ""]} testId="my-listings" empty="You have no open listings.">
          {mine.map((l) => (
            <tr key={`${l.loan_id}-${l.seller}`} data-testid="my-listing-row" data-loan-id={l.loan_id}>
              <td className="px-3 py-2">#{l.loan_id}</td>
              <td className="px-3 py-2 tabular-nums">{formatAmount(toBigInt(l.notes), token.decimals)}</td>
              <td className="px-3 py-2">{premiumText(l.premium_bps)}</td>
              <td className="px-3 py-2">{l.expiry ? formatDate(l.expiry) : "none"}</td>
              <td className="px-3 py-2">
                <WriteAction
                  label="Cancel listing"
                  describe={() => <p className="text-sm">Withdraws your listing of loan #{l.loan_id}'s notes. No fee.</p>}
                  request={async () => ({ address: market, abi: NoteMarketAbi, functionName: "cancel", args: [l.loan as Address] })}
                  onDone={() => {
                    listings.reload();
                    onChanged();
                  }}
                />
              </td>
            </tr>
          ))}
        </Table>
      </div>
      <div className="space-y-2 border-t border-slate-100 pt-4">
        <h3 className="text-sm font-semibold text-slate-800">Open listings</h3>
        {listings.loading && !listings.data ? <Loading what="the listings" /> : null}
        <Table head={["Loan", "Seller", "Notes", "Price", "Expires", "Buy"]} testId="open-listings" empty="No notes are for sale right now.">
          {others.map((l) => (
            <BuyRow key={`${l.loan_id}-${l.seller}-${l.version}`} listing={l} refreshKey={refreshKey} onChanged={onChanged} />
          ))}
        </Table>
      </div>
    </Section>
  );
}
