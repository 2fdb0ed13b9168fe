/** What the CLI touches of its process: streams, environment, working directory, signals. */
export interface Output {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  /** The environment, read once by the configuration loader and nowhere else. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Whether stdout is a terminal: live progress redrawn in place instead of one line per event. */
  isTTY: boolean;
  /** Subscribes to interrupts (Ctrl-C). Returns a disposer. @default process SIGINT */
  onInterrupt?: (listener: () => void) => () => void;
}

/** The real process, for `bin.ts`. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true,
    onInterrupt(listener) {
      process.once("SIGINT", listener);
      return () => process.off("SIGINT", listener);
    },
  };
}
