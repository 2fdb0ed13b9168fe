import { type EngineEvent, type EventRecord, RunFold, type RunRecord, skeletonOf } from "../../index.js";
import { describeEvent } from "./describe-event.js";
import { dateTime, fit, MAX_WIDTH, offset, plural, table } from "./format.js";

/**
 * `stageflow history`: the run's timeline replayed from its events, in journal order. The events
 * are folded into the run model as they are listed, so a step's end says the duration and the
 * attempts that the report and the live view show. No line is wider than MAX_WIDTH.
 */
export function renderHistory(run: RunRecord, events: readonly EventRecord[]): string {
  const head = fit(`run ${run.id} (${run.workflow}), ${plural(events.length, "event")}`);
  if (events.length === 0) return `${head}\n`;
  const start = events[0]?.at ?? run.createdAt;
  const fold = new RunFold(run.id, skeletonOf(run.workflow, run.definition));
  const rows = [["TIME", "EVENT", "SUBJECT", "DETAILS"]];
  for (const record of events) {
    const event = record as EngineEvent;
    fold.apply(event);
    const d = describeEvent(event, fold.model);
    const said = event.type.slice(event.type.indexOf(".") + 1).replace("_", " ");
    const details =
      [...(d.verb === said ? [] : [d.verb]), ...d.details].join(", ") +
      (d.message ? `: ${d.message.split("\n")[0]}` : "");
    rows.push([offset(event.at - start), event.type, d.subject, details]);
  }
  return `${fit(`${head}, from ${dateTime(start)}`)}\n${table(rows, MAX_WIDTH).join("\n")}\n`;
}
