/**
 * Silences: while one matches a group, the group's notifications (firing, changes, escalation)
 * are held back; a group still firing when the silence ends is notified then.
 */
import type { Labels } from "./types.js";

export interface Silence {
  /** Label values that must all be equal; `alertname` is the rule's name, `severity` its severity. */
  matchers: Labels;
  /** End of the silence (ms since epoch). */
  until: number;
  /** Who silenced it and why (shown in listings). */
  comment?: string;
}

export interface StoredSilence extends Silence {
  id: string;
}

export class Silences {
  private readonly items = new Map<string, StoredSilence>();
  private seq = 0;

  /** Adds a silence; returns its id. Throws a TypeError for an empty matcher set or a bad `until`. */
  add(silence: Silence): string {
    if (
      typeof silence.matchers !== "object" ||
      silence.matchers === null ||
      Object.keys(silence.matchers).length === 0
    )
      throw new TypeError("silence.matchers: expected at least one label to match");
    for (const [k, v] of Object.entries(silence.matchers))
      if (typeof v !== "string") throw new TypeError(`silence.matchers.${k}: expected a string`);
    if (!Number.isFinite(silence.until))
      throw new TypeError("silence.until: expected a time in ms since epoch");
    const id = `silence-${++this.seq}`;
    this.items.set(id, Object.freeze({ ...silence, matchers: { ...silence.matchers }, id }));
    return id;
  }

  remove(id: string): boolean {
    return this.items.delete(id);
  }

  /** The silences still in force at `now` (expired ones are dropped). */
  active(now: number): StoredSilence[] {
    for (const [id, s] of this.items) if (s.until <= now) this.items.delete(id);
    return [...this.items.values()];
  }

  /** The first silence in force that matches these labels. */
  match(labels: Labels, now: number): StoredSilence | undefined {
    return this.active(now).find((s) => Object.entries(s.matchers).every(([k, v]) => labels[k] === v));
  }
}
