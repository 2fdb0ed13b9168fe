import type { Output } from "./io.js";

/**
 * The CLI's stderr, which the live view can take over while it draws: a message written to the
 * terminal in the middle of a frame would be overwritten or torn, so the live view clears its
 * frame, lets the message through, and draws again below it.
 */
export interface RoutableOutput extends Output {
  /** Sends every write through `through` (which writes to `target` itself); `undefined` stops. */
  route(through: ((text: string) => void) | undefined): void;
  /** The stream underneath. */
  readonly target: Output;
}

export function routable(target: Output): RoutableOutput {
  let through: ((text: string) => void) | undefined;
  return {
    target,
    write(text: string) {
      if (through) through(text);
      else target.write(text);
      return true;
    },
    route(fn) {
      through = fn;
    },
  };
}

export function isRoutable(out: Output): out is RoutableOutput {
  return typeof (out as Partial<RoutableOutput>).route === "function";
}
