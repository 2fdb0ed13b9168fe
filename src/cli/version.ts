import { readFileSync } from "node:fs";

/** stageflow's version, from package.json (two levels up from both src/cli and dist/cli). */
export function stageflowVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}
