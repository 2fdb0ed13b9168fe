import type { CompletionModel } from "./model.js";

const quote = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** A fish completion script: `stageflow completion fish | source`. */
export function fishScript(m: CompletionModel): string {
  const c = `complete -c ${m.name}`;
  const lines = [
    `# ${m.name} completion for fish. Load it in this shell:  ${m.name} completion fish | source`,
    `# or save it as ~/.config/fish/completions/${m.name}.fish`,
    `${c} -f`,
    `${c} -n __fish_use_subcommand -l help -s h -d 'show help'`,
    `${c} -n __fish_use_subcommand -l version -s V -d 'show the version'`,
  ];
  for (const cmd of m.commands) {
    lines.push(`${c} -n __fish_use_subcommand -a ${cmd.name} -d ${quote(cmd.description)}`);
    const when = `-n '__fish_seen_subcommand_from ${cmd.name}'`;
    if (cmd.fileArguments) lines.push(`${c} ${when} -F`);
    for (const o of cmd.options) {
      const names = [
        `-l ${o.long.replace(/^--/, "")}`,
        ...(o.short ? [`-s ${o.short.replace(/^-/, "")}`] : []),
      ];
      const value = !o.takesValue
        ? ""
        : o.values
          ? ` -x -a ${quote(o.values.join(" "))}`
          : o.file
            ? " -r -F"
            : " -x";
      lines.push(`${c} ${when} ${names.join(" ")}${value} -d ${quote(o.description)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
