import { z } from "zod";
import { WorkflowSchema } from "./schema.js";

/** The `$id` of the published JSON Schema of workflow files. */
export const WORKFLOW_SCHEMA_ID = "https://stageflow.dev/schema/workflow.schema.json";

/**
 * The JSON Schema of workflow files (draft 2020-12), generated from WorkflowSchema for editors
 * and CI. Steps allow additional properties: their kind key is open to registered kinds.
 */
export function workflowJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(WorkflowSchema, { target: "draft-2020-12", io: "input" });
  const { $schema, ...rest } = generated as Record<string, unknown>;
  return { $schema, $id: WORKFLOW_SCHEMA_ID, ...rest };
}

/** The text of schema/workflow.schema.json. */
export function workflowJsonSchemaText(): string {
  return `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`;
}
