/**
 * stageflow as a library: the engine, the SQLite journal and the built-in step kinds.
 *
 *   const journal = createSqliteJournal({ path: ".stageflow/state.db", durability: "process" });
 *   const engine = createEngine({ journal });
 *   for (const [kind, handler] of Object.entries(builtinSteps())) engine.register(kind, handler);
 *   const plan = parseWorkflow(text, { file: "release.yml", kinds: engine.kinds });
 *   const { done } = await engine.start(plan, { inputs: { version: "1.2.3" } });
 */

export * from "./engine/definition/index.js";
export * from "./engine/index.js";
export * from "./steps/index.js";
export * from "./store/index.js";
