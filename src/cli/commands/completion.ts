import { type Command, InvalidArgumentError } from "commander";
import { bashScript } from "../completion/bash.js";
import { fishScript } from "../completion/fish.js";
import { completionModel } from "../completion/model.js";
import { zshScript } from "../completion/zsh.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;
type Shell = keyof typeof SHELLS;

export function registerCompletion(program: Command, ctx: CommandContext): void {
  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", "bash | zsh | fish", (value: string): Shell => {
      if (value in SHELLS) return value as Shell;
      throw new InvalidArgumentError(`expected bash, zsh or fish, got '${value}'`);
    })
    .addHelpText(
      "after",
      '\nLoad it:\n  bash: eval "$(stageflow completion bash)"\n  zsh:  source <(stageflow completion zsh)\n  fish: stageflow completion fish | source',
    )
    .action((shell: Shell) => {
      ctx.io.stdout.write(SHELLS[shell](completionModel(program)));
      ctx.exitCode = EXIT.ok;
    });
}
