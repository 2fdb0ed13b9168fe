/**
 * Writes schema/workflow.schema.json from the zod schema of workflow files.
 *   tsx scripts/gen-schema.ts           regenerate the file
 *   tsx scripts/gen-schema.ts --check   exit 1 when the committed file is out of date (CI)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { workflowJsonSchemaText } from "../src/engine/definition/json-schema.js";

const target = fileURLToPath(new URL("../schema/workflow.schema.json", import.meta.url));
const text = workflowJsonSchemaText();

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // a missing file is out of date too
  }
  if (current !== text) {
    console.error("schema/workflow.schema.json is out of date: run `npm run schema` and commit the result");
    process.exit(1);
  }
  console.log("schema/workflow.schema.json is up to date");
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
