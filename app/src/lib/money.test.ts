import { describe, expect, it } from "vitest";
import {
  AmountError,
  formatAmount,
  formatApr,
  formatBps,
  formatDate,
  formatDateTime,
  formatDuration,
  formatPct,
  parseAmount,
  percentOf,
  shortAddress,
  toBigInt,
  toPlainAmount,
} from "./money";

describe("formatAmount", () => {
  it.each([
    [0n, 6, "0.00"],
    [1n, 6, "< 0.01"],
    [4_999n, 6, "< 0.01"],
    [5_000n, 6, "0.01"], // half up
    [1_000_000n, 6, "1.00"],
    [1_234_500_000n, 6, "1,234.50"],
    [1_234_504_999n, 6, "1,234.50"],
    [1_234_505_000n, 6, "1,234.51"],
    [999_995_000n, 6, "1,000.00"], // carries into the whole part
    [1_000_000_000_000_000n, 6, "1,000,000,000.00"],
    [10n ** 18n, 18, "1.00"],
    [123_456_789n * 10n ** 18n, 18, "123,456,789.00"],
    [15n * 10n ** 17n, 18, "1.50"],
    [2n ** 255n, 18, "57,896,044,618,658,097,711,785,492,504,343,953,926,634,992,332,820,282,019,728.79"],
    [42n, 0, "42"],
  ])("%s with %i decimals → %s", (raw, decimals, text) => {
    expect(formatAmount(raw, decimals)).toBe(text);
  });

  it("adds the symbol", () => {
    expect(formatAmount(1_500_000n, 6, "USDC")).toBe("1.50 USDC");
    expect(formatAmount(1n, 6, "USDC")).toBe("< 0.01 USDC");
  });

  it("shows more decimals when asked, trimming zeros down to the minimum", () => {
    expect(formatAmount(1_234_567n, 6, "USDC", { maxFraction: 6 })).toBe("1.234567 USDC");
    expect(formatAmount(1_200_000n, 6, undefined, { maxFraction: 6 })).toBe("1.20");
    expect(formatAmount(1_200_000n, 6, undefined, { maxFraction: 6, minFraction: 0 })).toBe("1.2");
    expect(formatAmount(1n, 18, "ETH", { maxFraction: 18 })).toBe("0.000000000000000001 ETH");
    expect(formatAmount(123n * 10n ** 12n, 18, "ETH", { maxFraction: 8, minFraction: 0 })).toBe("0.000123 ETH");
  });

  it("never shows more decimals than the token has", () => {
    expect(formatAmount(12_345n, 2, undefined, { maxFraction: 6 })).toBe("123.45");
  });

  it("formats negative amounts", () => {
    expect(formatAmount(-1_234_500_000n, 6)).toBe("-1,234.50");
    expect(formatAmount(-5_000n, 6)).toBe("-0.01");
  });
});

describe("parseAmount", () => {
  it.each([
    ["1", 6, 1_000_000n],
    ["1.5", 6, 1_500_000n],
    ["0.000001", 6, 1n],
    [".5", 6, 500_000n],
    ["5.", 6, 5_000_000n],
    ["  12.34  ", 6, 12_340_000n],
    ["1,000", 6, 1_000_000_000n],
    ["1,234,567.89", 6, 1_234_567_890_000n],
    ["+3", 6, 3_000_000n],
    ["1", 18, 10n ** 18n],
    ["0.000000000000000001", 18, 1n],
    ["123456789.123456789012345678", 18, 123_456_789_123_456_789_012_345_678n],
    ["007", 0, 7n],
  ])("%s with %i decimals → %s", (text, decimals, raw) => {
    expect(parseAmount(text, decimals)).toBe(raw);
  });

  it.each([
    ["", "Enter an amount."],
    ["   ", "Enter an amount."],
    ["abc", "“abc” is not a number."],
    ["1e6", "“1e6” is not a number."],
    ["1.2.3", "“1.2.3” is not a number."],
    ["0x10", "“0x10” is not a number."],
    ["1 000", "“1 000” is not a number."],
    ["0", "The amount must be more than zero."],
    ["0.000000", "The amount must be more than zero."],
    ["-1", "The amount must be more than zero."],
    ["1.0000001", "This token has 6 decimals: “1.0000001” has 7 digits after the point."],
  ])("refuses %j: %s", (text, message) => {
    expect(() => parseAmount(text, 6)).toThrow(AmountError);
    expect(() => parseAmount(text, 6)).toThrow(message);
  });

  it("refuses misplaced thousands separators", () => {
    expect(() => parseAmount("1,5", 6)).toThrow(/commas only between thousands/);
    expect(() => parseAmount("10,00", 6)).toThrow(AmountError);
    expect(() => parseAmount(",100", 6)).toThrow(AmountError);
  });

  it("refuses decimals on a 0-decimal token", () => {
    expect(() => parseAmount("1.5", 0)).toThrow("This token has no decimals: enter a whole number.");
  });

  it("round-trips with toPlainAmount", () => {
    for (const [raw, d] of [
      [1n, 6],
      [1_234_500_000n, 6],
      [10n ** 18n + 1n, 18],
      [7n, 0],
    ] as const) {
      expect(parseAmount(toPlainAmount(raw, d), d)).toBe(raw);
    }
    expect(toPlainAmount(1_500_000n, 6)).toBe("1.5");
    expect(toPlainAmount(2_000_000n, 6)).toBe("2");
  });
});

describe("rates, dates and the rest", () => {
  it("formats basis points exactly", () => {
    expect(formatBps(1250)).toBe("12.50%");
    expect(formatBps(5)).toBe("0.05%");
    expect(formatBps(0)).toBe("0.00%");
    expect(formatBps(10_000n)).toBe("100.00%");
    expect(formatBps(-25)).toBe("-0.25%");
    expect(formatApr(1250)).toBe("12.50% APR");
  });

  it("formats UTC dates", () => {
    expect(formatDate(0)).toBe("—");
    expect(formatDate(null)).toBe("—");
    expect(formatDate(1_700_000_000)).toBe("2023-11-14");
    expect(formatDate(1_700_000_000n)).toBe("2023-11-14");
    expect(formatDate(86_399)).toBe("1970-01-01");
    expect(formatDateTime(1_700_000_000)).toBe("2023-11-14 22:13 UTC");
  });

  it("formats fractions, durations, progress and addresses", () => {
    expect(formatPct(0.1234)).toBe("12.34%");
    expect(formatPct(null)).toBe("—");
    expect(formatPct(Number.NaN)).toBe("—");
    expect(formatDuration(3 * 86_400 + 4 * 3600)).toBe("3d 4h");
    expect(formatDuration(5 * 3600 + 20 * 60)).toBe("5h 20m");
    expect(formatDuration(30)).toBe("1m");
    expect(formatDuration(-1)).toBe("ended");
    expect(percentOf(1n, 3n)).toBeCloseTo(33.33, 2);
    expect(percentOf(5n, 0n)).toBe(0);
    expect(percentOf(7n, 5n)).toBe(100);
    expect(shortAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")).toBe("0xf39F…2266");
    expect(toBigInt("123456789012345678901234567890")).toBe(123456789012345678901234567890n);
    expect(toBigInt(42)).toBe(42n);
    expect(toBigInt(null)).toBe(0n);
    expect(() => toBigInt(1.5)).toThrow(RangeError);
  });
});
