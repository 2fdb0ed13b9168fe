import type { CompletionModel, OptionSpec } from "./model.js";

/** Text inside `_arguments`/`_describe` specs: no brackets, colons escaped, no single quotes. */
const clean = (text: string) => text.replace(/[[\]]/g, "").replace(/:/g, "\\:").replace(/'/g, "");

function optionSpec(o: OptionSpec): string {
  const names = o.short ? `(${o.short} ${o.long})'{${o.short},${o.long}}'` : o.long;
  const action = !o.takesValue
    ? ""
    : o.values
      ? `:value:(${o.values.join(" ")})`
      : o.file
        ? ":file:_files"
        : ":value:";
  return `'${names}[${clean(o.description)}]${action}'`;
}

/** A zsh completion script: `source <(stageflow completion zsh)`, or saved as `_stageflow` on $fpath. */
export function zshScript(m: CompletionModel): string {
  const cases = m.commands.map((c) => {
    const specs = [...c.options.map(optionSpec), ...(c.fileArguments ? ["'*:file:_files'"] : [])];
    return `    ${c.name})\n      _arguments -s \\\n        ${specs.join(" \\\n        ")}\n      ;;`;
  });
  return `#compdef ${m.name}
# ${m.name} completion for zsh. Load it in this shell:  source <(${m.name} completion zsh)
# or save it as _${m.name} in a directory on $fpath.
_${m.name}() {
  local -a commands
  commands=(
${m.commands.map((c) => `    '${c.name}:${clean(c.description)}'`).join("\n")}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd=\${words[2]}
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases.join("\n")}
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _${m.name} "$@"
else
  compdef _${m.name} ${m.name}
fi
`;
}
