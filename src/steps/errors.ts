/**
 * Errors the built-in step kinds throw. Each carries a `code` (and, for HTTP answers, `status`
 * and `headers`) that `toErrorInfo` journals and recovery patterns can match.
 */

/** A `run` command exited with a non-zero code or was killed by a signal. */
export class RunStepError extends Error {
  override readonly name = "RunStepError";
  /** `exit_<n>` or `signal_<SIG>`. */
  readonly code: string;

  constructor(
    readonly exitCode: number | null,
    readonly signal: string | null,
    /** The last lines of the command's stderr (at most ~20 lines / 4 KB). */
    readonly stderrTail: string,
  ) {
    const what =
      signal !== null
        ? `command was killed by signal ${signal}`
        : `command failed with exit code ${exitCode}`;
    super(stderrTail ? `${what}: ${stderrTail}` : what);
    this.code = signal !== null ? `signal_${signal}` : `exit_${exitCode}`;
  }
}

/** An `http` request got a non-2xx answer. Credentials never appear in the message or headers. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  /** `http_<status>`. */
  readonly code: string;

  constructor(
    message: string,
    readonly status: number,
    /** Response headers, lower-cased names, credential values masked. */
    readonly headers: Record<string, string>,
  ) {
    super(message);
    this.code = `http_${status}`;
  }
}

/** An `http` request got no answer (refused, DNS failure, reset, ...). `code` is e.g. `ECONNREFUSED`. */
export class HttpRequestError extends Error {
  override readonly name = "HttpRequestError";

  constructor(
    message: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isRunStepError = (e: unknown): e is RunStepError => e instanceof RunStepError;
export const isHttpError = (e: unknown): e is HttpError => e instanceof HttpError;
export const isHttpRequestError = (e: unknown): e is HttpRequestError => e instanceof HttpRequestError;
