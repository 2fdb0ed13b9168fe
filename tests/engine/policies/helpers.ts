import { FakeClock } from "../../../src/engine/testing/fake-clock.js";

/** A FakeClock that records, in `log`, every sleep requested (`sleep <ms>`). */
export function recordingClock(options: { autoAdvance?: boolean } = {}): { clock: FakeClock; log: string[] } {
  const clock = new FakeClock(undefined, options);
  const log: string[] = [];
  const sleep = clock.sleep.bind(clock);
  clock.sleep = (ms, signal) => {
    log.push(`sleep ${ms}`);
    return sleep(ms, signal);
  };
  return { clock, log };
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Tracks whether a promise has settled, without leaving its rejection unhandled. */
export function track<T>(p: Promise<T>): { readonly settled: boolean; promise: Promise<T> } {
  const state = { settled: false, promise: p };
  p.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

export const never = <T>(): Promise<T> => new Promise<T>(() => {});
