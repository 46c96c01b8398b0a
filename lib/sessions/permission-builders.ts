/**
 * Permission builders that read like the intent ("this token, transfers up to 100") and produce
 * the `Permission` values of a session-permissions leaf (lib/configuration/ENCODING.md), with the
 * rule semantics of lib/sessions/ENCODING.md ("Rules"): the 32-byte calldata word at `offset`,
 * ANDed with `mask`, compared with `value`; a cumulative rule compares the running total instead;
 * a length rule bounds the calldata length. Every builder that reads a word also requires the
 * calldata to cover it: bytes past the end read as zero, so without a length rule a selector
 * ending in 0x00 would match a 3-byte prefix, and a zero argument rule would match a call that
 * omits the argument.
 */
import { id } from "ethers";
import { InvalidArgumentError } from "../errors";
import { checkUint, MAX_UINT256, normalizeAddress, type Hex } from "../hex";
import type { Permission, Rule, RuleOperation } from "../configuration/permissions";

/** Rule operations by name (the uint8 the contract reads) that compare a calldata word. */
export const RULE_OPERATION = { equal: 0, notEqual: 1, atLeast: 2, atMost: 3 } as const satisfies Record<string, RuleOperation>;
/** Rule operations that bound the calldata length in bytes. */
export const LENGTH_OPERATION = { lengthAtLeast: 4, lengthAtMost: 5 } as const satisfies Record<string, RuleOperation>;

const ZERO_WORD: Hex = `0x${"00".repeat(32)}`;

/** The mask that keeps the whole word. */
export const FULL_MASK: Hex = `0x${"ff".repeat(32)}`;
/** The mask that keeps the 4-byte selector at the start of calldata (offset 0). */
export const SELECTOR_MASK: Hex = `0x${"ff".repeat(4)}${"00".repeat(28)}`;
/** The mask that keeps an ABI-encoded address argument (its low 20 bytes). */
export const ADDRESS_MASK: Hex = `0x${"00".repeat(12)}${"ff".repeat(20)}`;

const ERC20_TRANSFER = "0xa9059cbb"; // transfer(address,uint256)
const ERC20_APPROVE = "0x095ea7b3"; // approve(address,uint256)

function word(value: bigint): Hex {
  return `0x${value.toString(16).padStart(64, "0")}`;
}

/**
 * A 4-byte selector from `"0x12345678"` or from a signature such as `"transfer(address,uint256)"`.
 *
 * @example
 * toSelector("transfer(address,uint256)") // "0xa9059cbb"
 */
export function toSelector(selectorOrSignature: string, field = "selector"): Hex {
  if (typeof selectorOrSignature !== "string") {
    throw new InvalidArgumentError("INVALID_SELECTOR", field, "expected a 4-byte hex selector or a function signature");
  }
  if (/^0x[0-9a-fA-F]{8}$/.test(selectorOrSignature)) return selectorOrSignature.toLowerCase() as Hex;
  if (/^[A-Za-z_$][A-Za-z0-9_$]*\(.*\)$/.test(selectorOrSignature)) return id(selectorOrSignature).slice(0, 10) as Hex;
  throw new InvalidArgumentError("INVALID_SELECTOR", field, "expected a 4-byte hex selector or a function signature", {
    details: { value: selectorOrSignature },
  });
}

function selectorWord(selector: Hex): Hex {
  return `${selector}${"00".repeat(28)}` as Hex;
}

/**
 * A rule over the calldata word at `offset` (bytes past the end of the calldata read as zero).
 *
 * @example
 * calldataRule({ offset: 36n, operation: "atMost", value: 1000n }) // argument 1 of a call is at most 1000
 */
export function calldataRule(options: {
  offset: bigint;
  operation: keyof typeof RULE_OPERATION;
  value: bigint | Hex;
  mask?: Hex;
  cumulative?: boolean;
}): Rule {
  const operation = RULE_OPERATION[options.operation];
  if (operation === undefined) {
    throw new InvalidArgumentError("INVALID_RULE_OPERATION", "operation", "expected equal, notEqual, atLeast or atMost", {
      details: { value: options.operation },
    });
  }
  const value = typeof options.value === "bigint" ? word(checkUint(options.value, "value")) : options.value;
  return {
    operation,
    cumulative: options.cumulative ?? false,
    offset: checkUint(options.offset, "offset"),
    mask: options.mask ?? FULL_MASK,
    value,
  };
}

/**
 * A rule that passes when the calldata is at least `bytes` long.
 *
 * @example
 * calldataLengthAtLeast(68n) // a selector and two full argument words
 */
export function calldataLengthAtLeast(bytes: bigint): Rule {
  return { operation: LENGTH_OPERATION.lengthAtLeast, cumulative: false, offset: 0n, mask: ZERO_WORD, value: word(checkUint(bytes, "bytes")) };
}

/**
 * A rule that passes when the calldata is at most `bytes` long (`0n`: only calls without data).
 *
 * @example
 * calldataLengthAtMost(0n) // plain transfers of value only
 */
export function calldataLengthAtMost(bytes: bigint): Rule {
  return { operation: LENGTH_OPERATION.lengthAtMost, cumulative: false, offset: 0n, mask: ZERO_WORD, value: word(checkUint(bytes, "bytes")) };
}

/**
 * Any call to `target`, with any calldata (no rules).
 *
 * @example
 * anyCall(gameContract)
 */
export function anyCall(target: string): Permission {
  return { target: normalizeAddress(target, "target"), rules: [] };
}

/**
 * Only calls to `target` whose selector is `selector` (arguments unrestricted).
 *
 * @example
 * onlyFunction(vault, "deposit(uint256)")
 */
export function onlyFunction(target: string, selectorOrSignature: string): Permission {
  const selector = toSelector(selectorOrSignature);
  return {
    target: normalizeAddress(target, "target"),
    rules: [
      { operation: RULE_OPERATION.equal, cumulative: false, offset: 0n, mask: SELECTOR_MASK, value: selectorWord(selector) },
      calldataLengthAtLeast(4n),
    ],
  };
}

/**
 * At most `times` calls to `selector` on `target`, over the session's whole life.
 *
 * A call counter from the rule language alone: the first rule pins the selector, the second is a
 * cumulative "at most" over one bit of that selector (its lowest set bit). Every accepted call
 * adds that bit's weight to the running total, so the total counts calls, and the cap is
 * `times` weights. A selector of 0x00000000 has no set bit and cannot be counted this way.
 *
 * @example
 * atMostTimes(airdrop, "claim()", 1n)
 */
export function atMostTimes(target: string, selectorOrSignature: string, times: bigint): Permission {
  const selector = toSelector(selectorOrSignature);
  const selectorValue = BigInt(selector);
  if (selectorValue === 0n) {
    throw new InvalidArgumentError("UNCOUNTABLE_SELECTOR", "selector", "selector 0x00000000 has no set bit to count calls with");
  }
  let bit = 0n;
  while (((selectorValue >> bit) & 1n) === 0n) bit++;
  // The selector is the word's top 4 bytes: its bit k is bit 224 + k of the word.
  const unit = 1n << (224n + bit);
  const limit = checkUint(times, "times", 1n, MAX_UINT256 / unit);
  return {
    target: normalizeAddress(target, "target"),
    rules: [
      { operation: RULE_OPERATION.equal, cumulative: false, offset: 0n, mask: SELECTOR_MASK, value: selectorWord(selector) },
      { operation: RULE_OPERATION.atMost, cumulative: true, offset: 0n, mask: word(unit), value: word(limit * unit) },
      calldataLengthAtLeast(4n),
    ],
  };
}

/**
 * At most one call to `selector` on `target`.
 *
 * @example
 * atMostOnce(airdrop, "claim()")
 */
export function atMostOnce(target: string, selectorOrSignature: string): Permission {
  return atMostTimes(target, selectorOrSignature, 1n);
}

/**
 * ERC-20 `transfer` on `token` of at most `amount` in total over the session's life (a
 * cumulative cap, across batches and transactions), optionally only to `to`.
 *
 * @example
 * erc20TransferUpTo(usdc, 100_000_000n) // 100 USDC in total
 */
export function erc20TransferUpTo(token: string, amount: bigint, options: { to?: string } = {}): Permission {
  const rules: Rule[] = [
    { operation: RULE_OPERATION.equal, cumulative: false, offset: 0n, mask: SELECTOR_MASK, value: selectorWord(ERC20_TRANSFER) },
  ];
  if (options.to !== undefined) {
    const to = normalizeAddress(options.to, "to");
    rules.push({ operation: RULE_OPERATION.equal, cumulative: false, offset: 4n, mask: ADDRESS_MASK, value: word(BigInt(to)) });
  }
  rules.push({ operation: RULE_OPERATION.atMost, cumulative: true, offset: 36n, mask: FULL_MASK, value: word(checkUint(amount, "amount")) });
  // transfer(address,uint256): a selector and two argument words. Last, so the other rules keep
  // their indices (a cumulative rule's running total is stored under its index).
  rules.push(calldataLengthAtLeast(68n));
  return { target: normalizeAddress(token, "token"), rules };
}

/**
 * ERC-20 `approve` on `token` for `spender` only, each approval at most `amount` (approvals
 * replace each other, so the cap is per call, not cumulative).
 *
 * @example
 * erc20ApproveUpTo(usdc, router, 50_000_000n)
 */
export function erc20ApproveUpTo(token: string, spender: string, amount: bigint): Permission {
  return {
    target: normalizeAddress(token, "token"),
    rules: [
      { operation: RULE_OPERATION.equal, cumulative: false, offset: 0n, mask: SELECTOR_MASK, value: selectorWord(ERC20_APPROVE) },
      { operation: RULE_OPERATION.equal, cumulative: false, offset: 4n, mask: ADDRESS_MASK, value: word(BigInt(normalizeAddress(spender, "spender"))) },
      { operation: RULE_OPERATION.atMost, cumulative: false, offset: 36n, mask: FULL_MASK, value: word(checkUint(amount, "amount")) },
      // approve(address,uint256): a selector and two argument words.
      calldataLengthAtLeast(68n),
    ],
  };
}

/** A grant of native value: the session's `valueLimit`, optionally with `anyCall(to)` (any call to `to`, not only plain payments). */
export interface NativeValueGrant {
  kind: "native-value";
  amount: bigint;
  to?: Hex;
}

/**
 * Native value up to `amount` in total over the session's life (the leaf's `valueLimit`, which
 * applies to every call of the session). With `to`, also adds `anyCall(to)`: the session may then
 * make any call to `to`, with any calldata (any function, not only a plain transfer) and any value
 * within the limit. Rules can only compare calldata words, and bytes past the end read as zero,
 * so "empty calldata" cannot be expressed: to allow only some functions of `to`, leave `to` out
 * and add `onlyFunction(to, ...)` grants instead.
 *
 * @example
 * explicitSession({ ..., grants: [nativeValueUpTo(parseEther("0.1"), shop)] })
 */
export function nativeValueUpTo(amount: bigint, to?: string): NativeValueGrant {
  return {
    kind: "native-value",
    amount: checkUint(amount, "amount"),
    ...(to === undefined ? {} : { to: normalizeAddress(to, "to") }),
  };
}
