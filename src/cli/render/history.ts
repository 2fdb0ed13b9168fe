import type { EngineEvent, EventRecord } from "../../engine/events.js";
import type { RunRecord } from "../../engine/journal.js";
import { describeEvent } from "./describe-event.js";
import { dateTime, offset, table } from "./format.js";

/** `stageflow history`: the run's timeline replayed from its events, in journal order. */
export function renderHistory(run: RunRecord, events: readonly EventRecord[]): string {
  const head = `run ${run.id} (${run.workflow}), ${events.length} events`;
  if (events.length === 0) return `${head}\n`;
  const start = events[0]?.at ?? run.createdAt;
  const rows = [["TIME", "EVENT", "SUBJECT", "DETAILS"]];
  for (const event of events) {
    const d = describeEvent(event as EngineEvent);
    const said = event.type.slice(event.type.indexOf(".") + 1).replace("_", " ");
    const details =
      [...(d.verb === said ? [] : [d.verb]), ...d.details].join(", ") +
      (d.message ? `: ${d.message.split("\n")[0]}` : "");
    rows.push([offset(event.at - start), event.type, d.subject, details]);
  }
  return `${head}, from ${dateTime(start)}\n${table(rows).join("\n")}\n`;
}
