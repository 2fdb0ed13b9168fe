import type { CapacityForecast, CostUnits, RunCost, SeriesForecast } from "../../observe/index.js";
import { fit, MAX_WIDTH, plural, table } from "./format.js";

/** `1,234.5` with at most one decimal. */
const num = (x: number) => (Math.round(x * 10) / 10).toLocaleString("en-US");

/** `12 B`, `3.4 KB`, `5.6 MB`, `1.2 GB` (powers of 1024). */
export function bytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Math.abs(n);
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  const text = i === 0 ? String(Math.round(value)) : value.toFixed(value >= 100 ? 0 : 1);
  return `${n < 0 ? "−" : ""}${text} ${units[i]}`;
}

/** `4 GitHub API calls, 12.5 runner minutes, 1 HTTP call`, or `none`. */
export function unitsText(units: CostUnits): string {
  const parts = [
    units.github_api_calls ? plural(units.github_api_calls, "GitHub API call") : "",
    units.runner_minutes
      ? `${num(units.runner_minutes)} runner ${units.runner_minutes === 1 ? "minute" : "minutes"}`
      : "",
    units.http_calls ? plural(units.http_calls, "HTTP call") : "",
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "none";
}

/** The cost table of a run's steps (nothing when no step cost anything). */
export function costLines(cost: RunCost): string[] {
  if (cost.steps.length === 0) return [];
  const rows = cost.steps.map((s) => [
    s.stepId,
    s.kind,
    String(s.attempts),
    s.units.github_api_calls ? num(s.units.github_api_calls) : "-",
    s.units.runner_minutes
      ? `${num(s.units.runner_minutes)}${s.runnerSource === "waited" ? " (waited)" : ""}`
      : "-",
    s.units.http_calls ? num(s.units.http_calls) : "-",
  ]);
  return table(
    [["COST", "KIND", "ATTEMPTS", "GITHUB API CALLS", "RUNNER MINUTES", "HTTP CALLS"], ...rows],
    MAX_WIDTH,
  );
}

/** The capacity forecast: each series now, its trend per day, and its value in `horizonDays`. */
export function renderCapacity(capacity: CapacityForecast): string[] {
  const pct = `${Math.round(capacity.confidence * 100)}%`;
  const lines = [
    fit(
      `CAPACITY: trend of the last ${plural(capacity.days, "day")}, forecast for ${plural(capacity.horizonDays, "day")} (${pct} prediction interval)`,
    ),
  ];
  const row = (name: string, s: SeriesForecast, format: (x: number) => string): string[] => {
    const trend = (x: number) => `${x >= 0 ? "+" : "−"}${format(Math.abs(x))}`;
    const last = s.forecast[s.forecast.length - 1];
    return [
      name,
      s.current === null ? "-" : format(s.current),
      s.slopePerDay === null ? "-" : trend(s.slopePerDay),
      last ? format(last.value) : "-",
      last && last.low !== null && last.high !== null ? `${format(last.low)} – ${format(last.high)}` : "-",
    ];
  };
  lines.push(
    ...table(
      [
        [
          "SERIES",
          "NOW",
          "TREND/DAY",
          `IN ${plural(capacity.horizonDays, "DAY", "DAYS")}`,
          `${pct} INTERVAL`,
        ],
        row("runs per day", capacity.runsPerDay, num),
        row("queue depth", capacity.queueDepth, num),
        row("journal size", capacity.journalBytes, bytes),
      ],
      MAX_WIDTH,
    ),
  );
  const { running, waiting, blocked } = capacity.open;
  lines.push(`open now  ${running} running, ${waiting} waiting, ${blocked} blocked`);
  return lines;
}
