/**
 * Escalation by severity and time: each severity has tiers of channels; tier 0 is notified when a
 * group fires, tier N once the group has been firing unacknowledged for its `afterMs`. The seeds'
 * policy: critical to the on-call (PagerDuty) at once, high and medium to the team's chat, and
 * e-mail as the next tier when nobody acknowledged.
 */
import { SEVERITIES, type Severity } from "./types.js";

export interface EscalationTier {
  /** How long after the group's first notification this tier is notified (tier 0: 0). */
  afterMs: number;
  /** Channel names; names that are not configured are skipped. */
  channels: readonly string[];
}

export type EscalationPolicy = Readonly<Record<Severity, readonly EscalationTier[]>>;

const MINUTE = 60_000;

/** The built-in policy (docs/operations.md, "Escalation"). */
export const DEFAULT_ESCALATION: EscalationPolicy = Object.freeze({
  critical: [
    { afterMs: 0, channels: ["pagerduty", "slack", "webhook", "github"] },
    { afterMs: 15 * MINUTE, channels: ["email"] },
  ],
  high: [
    { afterMs: 0, channels: ["slack", "webhook", "github"] },
    { afterMs: 60 * MINUTE, channels: ["email"] },
  ],
  medium: [
    { afterMs: 0, channels: ["slack", "webhook"] },
    { afterMs: 4 * 60 * MINUTE, channels: ["email"] },
  ],
  low: [{ afterMs: 0, channels: ["webhook"] }],
});

/** Checks a policy: every severity present, tiers in increasing `afterMs`, tier 0 at 0. */
export function checkEscalation(
  policy: Partial<Record<string, unknown>>,
  where = "alerts.escalation",
): EscalationPolicy {
  const out: Partial<Record<Severity, EscalationTier[]>> = {};
  for (const key of Object.keys(policy))
    if (!SEVERITIES.includes(key as Severity))
      throw new TypeError(`${where}.${key}: unknown severity (expected ${SEVERITIES.join(", ")})`);
  for (const severity of SEVERITIES) {
    const tiers = policy[severity] ?? DEFAULT_ESCALATION[severity];
    if (!Array.isArray(tiers) || tiers.length === 0)
      throw new TypeError(`${where}.${severity}: expected a non-empty list of tiers`);
    let last = -1;
    out[severity] = tiers.map((tier: unknown, i) => {
      const at = `${where}.${severity}[${i}]`;
      const t = tier as Partial<EscalationTier>;
      if (typeof t !== "object" || t === null) throw new TypeError(`${at}: expected { afterMs, channels }`);
      const afterMs = t.afterMs ?? 0;
      if (!Number.isSafeInteger(afterMs) || afterMs < 0 || afterMs <= last)
        throw new TypeError(
          `${at}.afterMs: expected a number of ms greater than the previous tier's, got ${JSON.stringify(t.afterMs)}`,
        );
      if (i === 0 && afterMs !== 0)
        throw new TypeError(`${at}.afterMs: the first tier is notified at once (0)`);
      if (!Array.isArray(t.channels) || t.channels.some((c) => typeof c !== "string"))
        throw new TypeError(`${at}.channels: expected a list of channel names`);
      last = afterMs;
      return Object.freeze({ afterMs, channels: Object.freeze([...t.channels]) });
    });
  }
  return Object.freeze(out as Record<Severity, EscalationTier[]>);
}
