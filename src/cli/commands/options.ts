import type { Command } from "commander";
import type { ConfigFlags } from "../config-load.js";

/** Flags every command takes; they are the top layer of the configuration. */
export type CommonOptions = ConfigFlags;

export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option("--db <path>", "SQLite journal file (default: .stageflow/state.db)")
    .option("--json", "print one JSON document on stdout and nothing else")
    .option("--config <file>", "configuration file (default: stageflow.config.{json,yaml,yml} in cwd)")
    .option("--durability <mode>", "process | machine")
    .option("--lease-ms <ms>", "run lease duration in milliseconds")
    .option("--log-level <level>", "debug | info | warn | error")
    .option("--work-dir <dir>", "root of steps' scratch directories");
}

/** For repeatable options: `--input a=1 --input b=2`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
