import type { CompletionModel } from "./model.js";

/** A bash completion script: `eval "$(stageflow completion bash)"`. */
export function bashScript(m: CompletionModel): string {
  const fn = `_${m.name.replace(/\W/g, "_")}_complete`;
  const commandCases = m.commands.map((c) => {
    const opts = c.options.flatMap((o) => [o.long, ...(o.short ? [o.short] : [])]).join(" ");
    return `    ${c.name}) opts="${opts}"; files=${c.fileArguments ? 1 : 0} ;;`;
  });
  const valueCases = new Map<string, string>();
  for (const o of m.commands.flatMap((c) => c.options)) {
    if (!o.takesValue) continue;
    const reply = o.values
      ? `COMPREPLY=( $(compgen -W "${o.values.join(" ")}" -- "$cur") )`
      : o.file
        ? `COMPREPLY=( $(compgen -f -- "$cur") )`
        : "COMPREPLY=()";
    valueCases.set([o.long, ...(o.short ? [o.short] : [])].join("|"), reply);
  }
  return `# ${m.name} completion for bash. Load it in this shell:  eval "$(${m.name} completion bash)"
# or for every shell: ${m.name} completion bash > ~/.local/share/bash-completion/completions/${m.name}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local commands="${m.commands.map((c) => c.name).join(" ")}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "$commands --help --version" -- "$cur") )
    return
  fi
  case "$prev" in
${[...valueCases].map(([flags, reply]) => `    ${flags}) ${reply}; return ;;`).join("\n")}
  esac
  local opts="" files=0
  case "\${COMP_WORDS[1]}" in
${commandCases.join("\n")}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  elif [ "$files" -eq 1 ]; then
    COMPREPLY=( $(compgen -f -- "$cur") )
  else
    COMPREPLY=()
  fi
}
complete -o filenames -F ${fn} ${m.name}
`;
}
