import type { SqliteDatabase } from "./driver.js";
import type { BreakerSnapshot } from "../../engine/journal.js";

export const BREAKERS_V1 = `
CREATE TABLE breakers (
  dependency TEXT PRIMARY KEY,
  state      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`;

interface BreakerRow {
  dependency: string;
  state: string;
}

/** The breakers table's prepared statements, behind typed methods. */
export function breakerTable(db: SqliteDatabase) {
  const upsert = db.prepare(
    `INSERT INTO breakers (dependency, state, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (dependency) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
  );
  const all = db.prepare("SELECT dependency, state FROM breakers ORDER BY dependency");

  return {
    save(dependency: string, state: BreakerSnapshot): void {
      upsert.run(dependency, JSON.stringify(state), state.updatedAt);
    },
    load(): Record<string, BreakerSnapshot> {
      // fromEntries defines own properties, so a dependency named "__proto__" stays data.
      return Object.fromEntries((all.all() as BreakerRow[]).map((r) => [r.dependency, JSON.parse(r.state)]));
    },
  };
}

export type BreakerTable = ReturnType<typeof breakerTable>;
