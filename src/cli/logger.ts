import type { LogFields, Logger } from "../index.js";
import { LOG_LEVELS, type LogLevel } from "./config.js";
import type { Output } from "./io.js";
import { maskSecrets, maskText } from "./mask.js";
import { clockTime } from "./render/format.js";

/** A logger that writes masked lines at or above `level` to `out` (the CLI's stderr). */
export function createLogger(out: Output, level: LogLevel, now: () => number = Date.now): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const write = (at: LogLevel) => (msg: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(at) < min) return;
    const extra = fields && Object.keys(fields).length ? ` ${JSON.stringify(maskSecrets(fields))}` : "";
    out.write(`${clockTime(now())} ${at.padEnd(5)} ${maskText(msg)}${extra}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
