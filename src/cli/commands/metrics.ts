import type { Command } from "commander";
import { loadMetrics } from "../../observe/index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeText } from "../output.js";
import { NoDatabaseError } from "../root.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

/**
 * `stageflow metrics`: the metrics of the journal's recorded history — every recorded event
 * folded into a fresh registry, as the app's `/metrics` counts them — in Prometheus text format
 * (`--json`: prom-client's JSON). The process metrics of this short-lived command are left out,
 * and so are what only a running app knows (webhooks, GitHub calls, inbox, template cache).
 */
export function registerMetrics(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("metrics")
    .description(
      "the metrics of the recorded runs, in Prometheus text format (as the app serves at /metrics)",
    );
  withCommonOptions(cmd).action(async (opts: CommonOptions) => {
    const config = ctx.config(opts);
    const { createMetrics } = await loadMetrics();
    const metrics = createMetrics({ defaultMetrics: false });
    try {
      await withRoot(ctx, config, { readOnly: true }, (root) => metrics.replay(root.journal));
    } catch (e) {
      if (!(e instanceof NoDatabaseError)) throw e;
    }
    if (config.values.json) writeJson(ctx.io, await metrics.registry.getMetricsAsJSON());
    else writeText(ctx.io, await metrics.text());
    ctx.exitCode = EXIT.ok;
  });
}
