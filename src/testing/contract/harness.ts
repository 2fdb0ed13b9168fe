import type { Journal } from "../../engine/journal.js";

/**
 * The assertions the contract suite makes on a value, a structural subset of what vitest's and
 * Jest's `expect(value)` return, so either can be passed as it is.
 */
export interface ContractMatchers<R = void> {
  toBe(expected: unknown): R;
  toEqual(expected: unknown): R;
  toMatchObject(expected: object): R;
  toHaveLength(length: number): R;
  toContain(item: unknown): R;
  toContainEqual(item: unknown): R;
  toMatch(expected: string | RegExp): R;
  toBeNull(): R;
  toBeUndefined(): R;
  toBeDefined(): R;
  toBeTruthy(): R;
  toBeFalsy(): R;
  toBeGreaterThan(n: number | bigint): R;
  toBeGreaterThanOrEqual(n: number | bigint): R;
  toBeLessThan(n: number | bigint): R;
  toBeLessThanOrEqual(n: number | bigint): R;
  toBeInstanceOf(type: abstract new (...args: never[]) => unknown): R;
  toThrow(expected?: string | RegExp | Error | (new (...args: never[]) => Error)): R;
}

/** `expect` as the contract suite uses it (vitest's and Jest's `expect` fit). */
export interface ContractExpect {
  (actual: unknown): ContractMatchers & {
    readonly not: ContractMatchers;
    readonly resolves: ContractMatchers<Promise<void>>;
    readonly rejects: ContractMatchers<Promise<void>>;
  };
  /** An asymmetric matcher: an object with at least these fields. */
  objectContaining(expected: Record<string, unknown>): unknown;
  /** An asymmetric matcher: an array with at least these items. */
  arrayContaining(expected: readonly unknown[]): unknown;
  /** An asymmetric matcher: anything made by this constructor (`String`, `Number`, a class). */
  any(type: unknown): unknown;
  /** An asymmetric matcher: a string matching the pattern. */
  stringMatching(expected: string | RegExp): unknown;
}

/**
 * The test framework the contract suite registers its tests with: vitest's and Jest's functions
 * of these names fit as they are (`import { describe, it, expect, beforeEach, afterEach } from
 * "vitest"`). Tests are async functions; a rejected promise fails the test.
 */
export interface ContractTestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
  expect: ContractExpect;
  beforeEach(hook: () => Promise<void>): void;
  afterEach(hook: () => Promise<void>): void;
}

/** What a Journal implementation hands the conformance suite for each test. */
export interface JournalFixture {
  journal: Journal;
  /** Closes the journal and opens the same storage again (durable implementations only). */
  reopen?: () => Promise<Journal>;
  cleanup: () => Promise<void>;
  /**
   * Damages the stored data from outside (as a disk or a person could) and opens it again; for
   * implementations whose storage can be damaged. The suite expects `storage_corrupt` from it (or
   * from reading the journal it returns).
   */
  corrupt?: () => Promise<Journal>;
}

/** The suite's view of the implementation under test, valid inside a test. */
export interface JournalHarness {
  /** The journal under test; a new object after reopen(). */
  readonly journal: Journal;
  /** Reopens the storage when the implementation can; otherwise keeps the same journal. */
  reopen(): Promise<Journal>;
  /** Damages the storage and opens it again (see JournalFixture.corrupt); undefined when it cannot. */
  corrupt(): Promise<Journal | undefined>;
  /** The test framework's functions, as given to describeJournalContract. */
  readonly t: ContractTestApi;
}
