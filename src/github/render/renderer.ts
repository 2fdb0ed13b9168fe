/**
 * Renders the report templates (`templates/*.md`, or a repository's overrides in
 * `.github/stageflow/templates/`) with LiquidJS. Repository templates are untrusted input: they
 * cannot run code (no custom tags; only the built-in filters and the few below; unknown filters
 * are errors), cannot read files (`include`, `render` and `layout` resolve in an empty in-memory
 * map), and are bounded: template size (`parseLimit`), render time (`renderLimit`), objects made
 * (`memoryLimit`, which also bounds `(1..n)` ranges) and output length (`outputLimit`).
 *
 * Compiled templates are cached per renderer (not per module): a built-in one under its content
 * hash, an override under (name, blob SHA), so a new SHA is compiled again. A repository template
 * that fails to load, parse or render falls back to the built-in one; the result says so in
 * `warning`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Context, type Emitter, Liquid, type Template, toPromise, toValue } from "liquidjs";
import { escapeMarkdown, formatDuration, inlineCode, tableCell } from "./format.js";
import { ANNOTATIONS_PER_REQUEST, COMMENT_LIMIT, commentMarker, fit, SUMMARY_LIMIT } from "./fit.js";
import type { Annotation, RunView } from "./view.js";

/** The built-in templates (files `templates/<name>.md`). */
export const TEMPLATE_NAMES = [
  "check-run",
  "comment",
  "reply-refused",
  "reply-invalid",
  "reply-help",
  "reply-status",
  "reply-workflow-error",
  "reply-started",
] as const;

export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** A repository's template: its blob SHA (the cache key) and how to read it (only on a cache miss). */
export interface TemplateOverride {
  sha: string;
  load(): Promise<string>;
  /** Where it was read from, for the warning (e.g. `.github/stageflow/templates/comment.md`). */
  path?: string;
}

/** A rendered template. */
export interface Rendered {
  text: string;
  /** Which template made `text`: the repository's override or the built-in one. */
  source: "override" | "builtin";
  /**
   * Why the override was not used (it failed to load, parse or render, or exceeded a limit), or
   * that the built-in output was cut at `outputLimit`. Absent when all went well.
   */
  warning?: string;
}

export interface RenderLimits {
  /** Characters of a template (LiquidJS `parseLimit`). @default 262144 */
  parseLimit: number;
  /** Milliseconds of one render (LiquidJS `renderLimit`). @default 1000 */
  renderLimit: number;
  /** Objects and characters a render may create, ranges included (LiquidJS `memoryLimit`). @default 2000000 */
  memoryLimit: number;
  /** Characters of output: a render that writes more stops there. @default 262144 */
  outputLimit: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  parseLimit: 262_144,
  renderLimit: 1_000,
  memoryLimit: 2_000_000,
  outputLimit: 262_144,
};

export interface RendererOptions {
  /** Directory of the built-in templates. @default the package's `templates/` */
  dir?: string;
  /** Compiled templates kept (least recently used dropped first). @default 200 */
  maxCached?: number;
  limits?: Partial<RenderLimits>;
}

export interface RendererStats {
  hits: number;
  misses: number;
  /** Compiled templates (and remembered broken overrides) in the cache. */
  size: number;
}

export interface Renderer {
  /**
   * Renders template `name` with `data`: the override when given and usable, else the built-in
   * one. Rejects only when the built-in template itself is missing or broken (a defect).
   */
  render(name: string, data: object, override?: TemplateOverride): Promise<Rendered>;
  stats(): RendererStats;
}

/** The package's `templates/` directory: `../../../templates` from src/github/render and from dist/github/render. */
export function builtinTemplatesDir(): string {
  return fileURLToPath(new URL("../../../templates/", import.meta.url));
}

const NAME = /^[a-z][a-z0-9-]{0,63}$/;

type Compiled = { templates: Template[] } | { error: string };

class OutputLimitError extends Error {}

/** An emitter that stops the render once `limit` characters were written. */
class CappedEmitter implements Emitter {
  buffer = "";
  overflowed = false;
  constructor(private readonly limit: number) {}
  write(html: unknown): void {
    const text = stringify(html);
    if (this.buffer.length + text.length > this.limit) {
      this.buffer += text.slice(0, this.limit - this.buffer.length);
      this.overflowed = true;
      throw new OutputLimitError(`output limit exceeded (${this.limit} characters)`);
    }
    this.buffer += text;
  }
}

function stringify(value: unknown): string {
  const v: unknown = toValue(value);
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(stringify).join("");
  return String(v);
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Blank lines collapsed (templates' tags leave some), one newline at the end. */
function tidy(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim()}\n`;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0];

/** Creates a renderer (see the module comment). */
export function createRenderer(options: RendererOptions = {}): Renderer {
  const dir = options.dir ?? builtinTemplatesDir();
  const maxCached = Math.max(1, options.maxCached ?? 200);
  const limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
  const liquid = new Liquid({
    templates: {},
    strictFilters: true,
    ownPropertyOnly: true,
    parseLimit: limits.parseLimit,
    renderLimit: limits.renderLimit,
    memoryLimit: limits.memoryLimit,
    cache: false,
    timezoneOffset: 0,
  });
  liquid.registerFilter("cell", (value: unknown, max?: number) => tableCell(value, max ?? 200));
  liquid.registerFilter("code", (value: unknown) => inlineCode(value));
  liquid.registerFilter("md", (value: unknown) => escapeMarkdown(value));
  liquid.registerFilter("duration", (value: unknown) =>
    formatDuration(typeof value === "number" ? value : null),
  );

  const cache = new Map<string, Compiled>();
  const builtins = new Map<string, { text: string; key: string }>();
  let hits = 0;
  let misses = 0;

  const compiled = (key: string, text: () => string): Compiled => {
    const found = cache.get(key);
    if (found) {
      hits++;
      cache.delete(key);
      cache.set(key, found);
      return found;
    }
    misses++;
    let entry: Compiled;
    try {
      entry = { templates: liquid.parse(text()) };
    } catch (error) {
      entry = { error: `cannot be parsed: ${message(error)}` };
    }
    cache.set(key, entry);
    while (cache.size > maxCached) cache.delete(cache.keys().next().value as string);
    return entry;
  };

  const builtin = (name: string) => {
    let found = builtins.get(name);
    if (!found) {
      const text = readFileSync(`${dir}/${name}.md`, "utf8");
      found = { text, key: `builtin:${name}:${sha256(text)}` };
      builtins.set(name, found);
    }
    return found;
  };

  /** Renders compiled templates with the bounded emitter: the text, or an error (output cut when over the limit). */
  const run = async (
    templates: Template[],
    data: object,
  ): Promise<{ text: string } | { error: string; partial?: string }> => {
    const emitter = new CappedEmitter(limits.outputLimit);
    const ctx = new Context(data, liquid.options, {}, { liquid } as never);
    try {
      const gen = liquid.renderer.renderTemplates(templates, ctx, emitter);
      await toPromise(gen);
      return { text: emitter.buffer };
    } catch (error) {
      if (emitter.overflowed)
        return {
          error: `exceeded the output limit of ${limits.outputLimit} characters`,
          partial: emitter.buffer,
        };
      return { error: `failed to render: ${message(error)}` };
    }
  };

  const renderBuiltin = async (name: string, data: object, warning?: string): Promise<Rendered> => {
    const { text, key } = builtin(name);
    const entry = compiled(key, () => text);
    if ("error" in entry) throw new Error(`built-in template ${name}.md ${entry.error}`);
    const out = await run(entry.templates, data);
    if ("text" in out) return { text: tidy(out.text), source: "builtin", ...(warning ? { warning } : {}) };
    if (out.partial !== undefined) {
      const cut = `built-in template ${name}.md ${out.error}: output cut`;
      return { text: tidy(out.partial), source: "builtin", warning: warning ? `${warning}; ${cut}` : cut };
    }
    throw new Error(`built-in template ${name}.md ${out.error}`);
  };

  return {
    async render(name, data, override) {
      if (!NAME.test(name)) throw new Error(`not a template name: ${JSON.stringify(name)}`);
      if (!override) return renderBuiltin(name, data);
      const where = override.path ?? `repository template ${name}.md`;
      const key = `override:${name}:${override.sha}`;
      let text: string | undefined;
      if (!cache.has(key)) {
        try {
          text = await override.load();
        } catch (error) {
          return renderBuiltin(
            name,
            data,
            `${where} could not be read (${message(error)}); the built-in template was used`,
          );
        }
      }
      const entry = compiled(key, () => text ?? "");
      if ("error" in entry) {
        return renderBuiltin(name, data, `${where} ${entry.error}; the built-in template was used`);
      }
      const out = await run(entry.templates, data);
      if ("text" in out) return { text: tidy(out.text), source: "override" };
      return renderBuiltin(name, data, `${where} ${out.error}; the built-in template was used`);
    },
    stats: () => ({ hits, misses, size: cache.size }),
  };
}

/** Overrides of the report templates, by template name. */
export type TemplateOverrides = Partial<Record<string, TemplateOverride>>;

/** A check run's `output` (the fields of `POST /repos/{owner}/{repo}/check-runs`). */
export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
  /** At most 50 (GitHub's limit per request); the summary notes the rest. */
  annotations: Annotation[];
  /** Repository templates that could not be used, and cut outputs (also noted in the summary). */
  warnings: string[];
}

const warningNote = (warning: string) => `\n> [!WARNING]\n> ${warning.replace(/\n/g, " ")}\n`;

function cutNote(view: RunView, limit: number): string {
  const where = view.runUrl
    ? `: the full report is at ${view.runUrl}`
    : `: \`stageflow status ${view.runId}\` shows it all`;
  return `> ✂️ Cut here to stay within GitHub's limit of ${limit.toLocaleString("en-US")} characters${where}.`;
}

/**
 * The check run's output for a run: `check-run` rendered (summary, within 65,535 characters, cut
 * at a line with a note), the view's headline as title and its first 50 annotations.
 */
export async function checkRunOutput(
  view: RunView,
  renderer: Renderer,
  overrides: TemplateOverrides = {},
): Promise<CheckRunOutput> {
  const rendered = await renderer.render("check-run", view, overrides["check-run"]);
  const warnings = rendered.warning ? [rendered.warning] : [];
  let summary = rendered.text;
  const extra = view.annotations.length - ANNOTATIONS_PER_REQUEST;
  if (extra > 0)
    summary += `\n${extra} more failed step(s) are not annotated (GitHub takes ${ANNOTATIONS_PER_REQUEST} per request).\n`;
  if (rendered.warning) summary += warningNote(rendered.warning);
  return {
    title: `${view.emoji} ${view.headline}`.slice(0, 1000),
    summary: fit(summary, SUMMARY_LIMIT, cutNote(view, SUMMARY_LIMIT)),
    annotations: view.annotations.slice(0, ANNOTATIONS_PER_REQUEST),
    warnings,
  };
}

/**
 * The run's status comment: `comment` rendered, without the hidden marker, short enough that
 * `body + "\n\n" + commentMarker(runId)` stays within 65,536 characters (cut at a line with a
 * note). A repository template that could not be used is noted at the end, and given to `onWarning`.
 */
export async function commentBody(
  view: RunView,
  renderer: Renderer,
  overrides: TemplateOverrides = {},
  onWarning?: (warning: string) => void,
): Promise<string> {
  const rendered = await renderer.render("comment", view, overrides.comment);
  let body = rendered.text;
  if (rendered.warning) {
    onWarning?.(rendered.warning);
    body += warningNote(rendered.warning);
  }
  const limit = COMMENT_LIMIT - 2 - commentMarker(view.runId).length;
  return fit(body, limit, cutNote(view, COMMENT_LIMIT));
}
