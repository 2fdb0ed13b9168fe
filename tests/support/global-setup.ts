/** Before any test file: the code child processes run (tests/support/child-code.ts). */
import { transpileChildCode } from "./child-code.js";

export default async function setup(): Promise<void> {
  await transpileChildCode();
}
