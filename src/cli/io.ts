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
  /**
   * Subscribes to the signals that stop a run gracefully: SIGINT (Ctrl-C) and SIGTERM (what
   * service managers, CI runners and container hosts send). The listener is told which one (a
   * test's interrupt may omit it: SIGINT). Returns a disposer. @default process SIGINT and SIGTERM
   */
  onInterrupt?: (listener: (signal?: StopSignal) => void) => () => void;
}

export type StopSignal = "SIGINT" | "SIGTERM";

/** The real process, for `bin.ts`. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true,
    onInterrupt(listener) {
      // Once each: a second signal while the runs are stopping ends the process the default way.
      const onInt = () => listener("SIGINT");
      const onTerm = () => listener("SIGTERM");
      process.once("SIGINT", onInt);
      process.once("SIGTERM", onTerm);
      return () => {
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onTerm);
      };
    },
  };
}
