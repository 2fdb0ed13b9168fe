import type { Command } from "commander";
import { LOG_LEVELS } from "../config.js";
import { RUN_STATUSES } from "../commands/time-bound.js";

/** What a shell needs to complete `stageflow`, read from the commander program itself. */
export interface CompletionModel {
  name: string;
  commands: CommandSpec[];
}

export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** The positional arguments are files (e.g. `run <file>`, `validate <files...>`). */
  fileArguments: boolean;
}

export interface OptionSpec {
  long: string;
  short?: string;
  description: string;
  /** The option takes a value (`--db <path>`). */
  takesValue: boolean;
  /** The values to offer, when they are a fixed set. */
  values?: readonly string[];
  /** The value is a file or directory. */
  file: boolean;
}

/** Values of options that are a fixed set, though declared as free text. */
const KNOWN_VALUES: Record<string, readonly string[]> = {
  "--durability": ["process", "machine"],
  "--log-level": LOG_LEVELS,
  "--status": RUN_STATUSES,
};

export function completionModel(program: Command): CompletionModel {
  return {
    name: program.name(),
    commands: program.commands.map((cmd) => ({
      name: cmd.name(),
      description: cmd.description(),
      fileArguments: cmd.registeredArguments.some((arg) => /file/i.test(arg.name())),
      options: [
        ...cmd.options.map((o): OptionSpec => ({
          long: o.long ?? o.flags,
          ...(o.short ? { short: o.short } : {}),
          description: o.description,
          takesValue: o.required || o.optional,
          ...(o.argChoices || (o.long && KNOWN_VALUES[o.long])
            ? { values: o.argChoices ?? KNOWN_VALUES[o.long as string] }
            : {}),
          file: /<(file|path|dir)[^>]*>/.test(o.flags),
        })),
        { long: "--help", short: "-h", description: "show help", takesValue: false, file: false },
      ],
    })),
  };
}
