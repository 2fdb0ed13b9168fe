/**
 * `stageflow`: the engine and the built-in step kinds. It loads no native module: the SQLite
 * journal is `stageflow/sqlite`, and the fake clock, the memory journal and the Journal contract
 * suite are `stageflow/testing`.
 *
 *   import { createEngine, builtinSteps, parseWorkflow } from "stageflow";
 *   import { createSqliteJournal } from "stageflow/sqlite";
 *   const engine = createEngine({ journal: createSqliteJournal({ path: ".stageflow/state.db" }) });
 *   // `run` is opt-in: builtinSteps({ run: { cwd, env } }) with the directory and environment it gets.
 *   for (const [kind, handler] of Object.entries(builtinSteps())) engine.register(kind, handler);
 *   const plan = parseWorkflow(text, { file: "release.yml", kinds: engine.kinds });
 *   const { done } = await engine.start(plan, { inputs: { version: "1.2.3" } });
 */

export * from "./engine/definition/index.js";
export * from "./engine/index.js";
export * from "./steps/index.js";
