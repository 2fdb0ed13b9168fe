/**
 * The alert manager: evaluates rules on the injected clock and decides what to notify.
 *
 * Per series (rule + labels): inactive → pending (condition holds) → firing (held for `forMs`) →
 * gone (condition no longer holds, or no data). Firing series are grouped (rule + the `groupBy`
 * labels); a group is notified once when it starts firing and again only when its set of firing
 * series changes (de-duplication), gets a resolved notice when its last series stops, is held
 * back while a silence matches, and escalates to the next tier of its severity's channels when it
 * stays unacknowledged for that tier's `afterMs`.
 *
 * An evaluation decides and hands its notifications to the sink; it does not wait for them to be
 * delivered, so a channel that retries (or hangs) holds up no later evaluation and no other
 * channel. `start()`'s stopper aborts the deliveries still under way and resolves when none is.
 */
import type { Clock, Logger } from "../../engine/index.js";
import { nullLogger, startTimer } from "../../engine/index.js";
import { DEFAULT_ESCALATION, type EscalationPolicy } from "./escalation.js";
import { checkRules, conditionOf, breaches, labelKey } from "./rules.js";
import { type Silence, Silences, type StoredSilence } from "./silences.js";
import type { AlertInstance, AlertNotification, AlertRule, Labels, MetricReader } from "./types.js";

/** The outcome of one channel's delivery. */
export interface DeliveryResult {
  channel: string;
  ok: boolean;
  attempts: number;
  /** The last error's message (masked), when not ok. */
  error?: string;
}

/** Delivers a notification to the named channels (see AlertDispatcher). */
export interface NotificationSink {
  /** `signal` aborts the delivery (retries' waits end, no attempt starts): the host stops. */
  deliver(
    notification: AlertNotification,
    channels: readonly string[],
    signal?: AbortSignal,
  ): Promise<DeliveryResult[]>;
}

export interface AlertManagerOptions {
  rules: readonly AlertRule[];
  read: MetricReader;
  clock: Clock;
  sink: NotificationSink;
  /** @default DEFAULT_ESCALATION */
  escalation?: EscalationPolicy;
  logger?: Logger;
}

/** A notification and where it went. */
export interface SentNotification {
  notification: AlertNotification;
  results: DeliveryResult[];
}

interface SeriesState {
  rule: AlertRule;
  labels: Labels;
  value: number;
  activeAt: number;
  firing: boolean;
}

interface GroupState {
  key: string;
  rule: AlertRule;
  labels: Labels;
  firing: Map<string, AlertInstance>;
  startsAt: number;
  version: number;
  notifiedVersion: number;
  /** Series of the last notification (a resolved notice lists them). */
  notified: AlertInstance[];
  firstNotifiedAt: number | null;
  tiersReached: number;
  sequence: number;
  acknowledged: boolean;
}

/** A group as `groups()` shows it. */
export interface AlertGroupView {
  key: string;
  rule: string;
  severity: AlertRule["severity"];
  labels: Labels;
  alerts: AlertInstance[];
  startsAt: number;
  notified: boolean;
  tiersReached: number;
  acknowledged: boolean;
  silencedBy?: string;
}

export class AlertManager {
  private readonly rules: readonly AlertRule[];
  private readonly escalation: EscalationPolicy;
  private readonly logger: Logger;
  private readonly series = new Map<string, SeriesState>();
  private readonly groupsByKey = new Map<string, GroupState>();
  readonly silences = new Silences();

  constructor(private readonly options: AlertManagerOptions) {
    this.rules = checkRules(options.rules);
    this.escalation = options.escalation ?? DEFAULT_ESCALATION;
    this.logger = options.logger ?? nullLogger;
  }

  /**
   * Reads every rule's metric at the clock's now, updates states and sends what is due; resolves
   * with what was sent once it was delivered. Evaluations never overlap (a call made while one
   * runs starts when it ends), but one does not wait for the deliveries of the one before.
   */
  async evaluate(): Promise<SentNotification[]> {
    return Promise.all(await this.decide(this.signal));
  }

  /**
   * Evaluates every `everyMs` on the clock until the returned function is called; the next
   * evaluation is scheduled once this one has handed its notifications over, whatever their
   * delivery takes. An evaluation that throws is logged and the schedule goes on. The returned
   * function stops the schedule, aborts the deliveries under way (their retries' waits end; a
   * channel is called no more) and resolves once no evaluation or delivery is left.
   */
  start(everyMs: number): () => Promise<void> {
    if (!Number.isSafeInteger(everyMs) || everyMs <= 0)
      throw new TypeError(`start: everyMs must be a positive integer, got ${everyMs}`);
    let stopped = false;
    let cancel = () => {};
    const controller = new AbortController();
    this.signal = controller.signal;
    const tick = () => {
      if (stopped) return;
      this.decide(controller.signal)
        .then((deliveries) => {
          for (const d of deliveries)
            d.catch((e: unknown) => this.logger.error("alert delivery failed", { error: String(e) }));
        })
        .catch((e: unknown) => this.logger.error("alert evaluation failed", { error: String(e) }))
        .finally(() => {
          if (!stopped) cancel = startTimer(this.options.clock, everyMs, tick);
        });
    };
    cancel = startTimer(this.options.clock, everyMs, tick);
    return async () => {
      if (!stopped) {
        stopped = true;
        cancel();
        controller.abort();
        if (this.signal === controller.signal) this.signal = undefined;
      }
      await this.idle();
    };
  }

  /** Resolves when no evaluation runs and no delivery is under way. */
  async idle(): Promise<void> {
    for (;;) {
      await this.last.catch(() => {});
      if (this.delivering.size === 0) return;
      await Promise.allSettled([...this.delivering]);
    }
  }

  private last: Promise<unknown> = Promise.resolve();
  /** The running schedule's (`start`): aborts its deliveries, and those of `evaluate()` calls meanwhile. */
  private signal: AbortSignal | undefined;
  private readonly delivering = new Set<Promise<SentNotification>>();

  /** One evaluation, after the one before: its deliveries, started (not awaited). */
  private decide(signal: AbortSignal | undefined): Promise<Promise<SentNotification>[]> {
    const run = this.last.then(
      () => this.evaluateNow(signal),
      () => this.evaluateNow(signal),
    );
    this.last = run;
    return run;
  }

  private async evaluateNow(signal: AbortSignal | undefined): Promise<Promise<SentNotification>[]> {
    const now = this.options.clock.now();
    for (const rule of this.rules) await this.evaluateRule(rule, now);
    // Groups are independent: one group's slow channel (retrying) does not hold up another's.
    return [...this.groupsByKey.values()].flatMap((group) => this.notifyGroup(group, now, signal));
  }

  /** Silences matching groups until `silence.until`; returns the silence's id. */
  silence(silence: Silence): string {
    return this.silences.add(silence);
  }

  /** Stops escalation of a firing group (a person is on it). False when no such group fires. */
  acknowledge(groupKey: string): boolean {
    const group = this.groupsByKey.get(groupKey);
    if (!group) return false;
    group.acknowledged = true;
    return true;
  }

  /** The groups with firing series, for a status page or a test. */
  groups(): AlertGroupView[] {
    const now = this.options.clock.now();
    return [...this.groupsByKey.values()]
      .filter((g) => g.firing.size > 0)
      .map((g) => {
        const silence = this.silenceOf(g, now);
        return {
          key: g.key,
          rule: g.rule.name,
          severity: g.rule.severity,
          labels: g.labels,
          alerts: [...g.firing.values()],
          startsAt: g.startsAt,
          notified: g.firstNotifiedAt !== null,
          tiersReached: g.tiersReached,
          acknowledged: g.acknowledged,
          ...(silence ? { silencedBy: silence.id } : {}),
        };
      });
  }

  /** Series whose condition holds but not yet for `forMs`. */
  pending(): Array<{ rule: string; labels: Labels; value: number; activeAt: number }> {
    return [...this.series.values()]
      .filter((s) => !s.firing)
      .map((s) => ({ rule: s.rule.name, labels: s.labels, value: s.value, activeAt: s.activeAt }));
  }

  private async evaluateRule(rule: AlertRule, now: number): Promise<void> {
    let samples;
    try {
      samples = await this.options.read({
        metric: rule.metric,
        labels: rule.labels ?? {},
        windowMs: rule.windowMs,
        now,
      });
    } catch (e) {
      // A metric that cannot be read changes nothing: no alert fires or resolves on a read error.
      this.logger.warn(`alert rule ${rule.name}: cannot read ${rule.metric}`, { error: String(e) });
      return;
    }
    const seen = new Set<string>();
    for (const sample of samples) {
      if (!breaches(rule, sample.value)) continue;
      const key = `${rule.name}${labelKey(sample.labels)}`;
      seen.add(key);
      let state = this.series.get(key);
      if (!state) {
        state = { rule, labels: { ...sample.labels }, value: sample.value, activeAt: now, firing: false };
        this.series.set(key, state);
      }
      state.value = sample.value;
      if (!state.firing && now - state.activeAt >= (rule.forMs ?? 0)) state.firing = true;
      if (state.firing) {
        const group = this.groupFor(rule, state.labels, now);
        const instance = { labels: state.labels, value: state.value, activeAt: state.activeAt };
        if (!group.firing.has(key)) group.version++;
        group.firing.set(key, instance);
      }
    }
    for (const [key, state] of this.series) {
      if (state.rule !== rule || seen.has(key)) continue;
      this.series.delete(key);
      if (!state.firing) continue;
      const group = this.groupsByKey.get(this.groupKey(rule, state.labels));
      if (group?.firing.delete(key)) group.version++;
    }
  }

  private groupKey(rule: AlertRule, labels: Labels): string {
    return `${rule.name}${labelKey(this.groupLabels(rule, labels))}`;
  }

  private groupLabels(rule: AlertRule, labels: Labels): Labels {
    if (!rule.groupBy) return labels;
    return Object.fromEntries(rule.groupBy.filter((n) => n in labels).map((n) => [n, labels[n]!]));
  }

  private groupFor(rule: AlertRule, labels: Labels, now: number): GroupState {
    const key = this.groupKey(rule, labels);
    let group = this.groupsByKey.get(key);
    if (!group) {
      group = {
        key,
        rule,
        labels: this.groupLabels(rule, labels),
        firing: new Map(),
        startsAt: now,
        version: 0,
        notifiedVersion: 0,
        notified: [],
        firstNotifiedAt: null,
        tiersReached: 0,
        sequence: 0,
        acknowledged: false,
      };
      this.groupsByKey.set(key, group);
    }
    return group;
  }

  private silenceOf(group: GroupState, now: number): StoredSilence | undefined {
    return this.silences.match(
      { ...group.labels, alertname: group.rule.name, severity: group.rule.severity },
      now,
    );
  }

  private tiers(group: GroupState) {
    return this.escalation[group.rule.severity];
  }

  /** Channels of tiers 0..n-1. */
  private channelsUpTo(group: GroupState, n: number): string[] {
    return [
      ...new Set(
        this.tiers(group)
          .slice(0, n)
          .flatMap((t) => t.channels),
      ),
    ];
  }

  /** Hands what is due to the sink, in order (each channel delivers in that order). */
  private notifyGroup(
    group: GroupState,
    now: number,
    signal: AbortSignal | undefined,
  ): Promise<SentNotification>[] {
    const out: Promise<SentNotification>[] = [];
    if (group.firing.size === 0) {
      this.groupsByKey.delete(group.key);
      if (group.firstNotifiedAt === null) return out; // never notified (pending, or silenced throughout)
      out.push(
        this.send(
          group,
          "resolved",
          group.notified,
          this.channelsUpTo(group, group.tiersReached),
          group.tiersReached - 1,
          now,
          signal,
        ),
      );
      return out;
    }
    if (this.silenceOf(group, now)) return out;
    const alerts = [...group.firing.values()];
    if (group.firstNotifiedAt === null) {
      group.firstNotifiedAt = now;
      group.tiersReached = 1;
    }
    if (group.version !== group.notifiedVersion) {
      group.notifiedVersion = group.version;
      group.notified = alerts;
      out.push(
        this.send(
          group,
          "firing",
          alerts,
          this.channelsUpTo(group, group.tiersReached),
          group.tiersReached - 1,
          now,
          signal,
        ),
      );
    }
    const tiers = this.tiers(group);
    while (!group.acknowledged && group.tiersReached < tiers.length) {
      const next = tiers[group.tiersReached]!;
      if (now - group.firstNotifiedAt < next.afterMs) break;
      const tier = group.tiersReached;
      group.tiersReached++;
      group.notified = alerts;
      out.push(this.send(group, "firing", alerts, [...next.channels], tier, now, signal));
    }
    return out;
  }

  private send(
    group: GroupState,
    status: "firing" | "resolved",
    alerts: AlertInstance[],
    channels: string[],
    tier: number,
    now: number,
    signal: AbortSignal | undefined,
  ): Promise<SentNotification> {
    group.sequence++;
    const notification: AlertNotification = {
      status,
      groupKey: group.key,
      rule: group.rule.name,
      metric: group.rule.metric,
      severity: group.rule.severity,
      description: group.rule.description,
      condition: conditionOf(group.rule),
      labels: group.labels,
      alerts,
      startsAt: group.startsAt,
      ...(status === "resolved" ? { endsAt: now } : {}),
      tier,
      sequence: group.sequence,
    };
    let delivery: Promise<SentNotification>;
    try {
      delivery = this.options.sink
        .deliver(notification, channels, signal)
        .then((results) => ({ notification, results }));
    } catch (e) {
      delivery = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    this.delivering.add(delivery);
    const done = () => this.delivering.delete(delivery);
    delivery.then(done, done);
    return delivery;
  }
}
