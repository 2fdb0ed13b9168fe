import { describe, expect, it } from "vitest";
import { fitBody, GITHUB_LIMITS } from "../../src/github/index.js";

describe("fitBody", () => {
  it("leaves a body that fits unchanged", () => {
    expect(fitBody("short\nbody")).toBe("short\nbody");
    const exact = "a".repeat(GITHUB_LIMITS.body);
    expect(fitBody(exact)).toBe(exact);
  });

  it("cuts a 70,000-character body at a line boundary with a note, under the limit with the marker", () => {
    const lines = Array.from(
      { length: 1000 },
      (_, i) => `line ${String(i).padStart(4, "0")} ${"z".repeat(59)}`,
    );
    const text = lines.join("\n");
    expect(text.length).toBeGreaterThan(65_536);
    const marker = "\n\n<!-- stageflow:run:run-42 -->";
    const fitted = fitBody(text, { reserve: marker.length, runId: "run-42" });
    expect((fitted + marker).length).toBeLessThanOrEqual(65_536);
    const [kept, note] = fitted.split("\n\n…");
    // Every kept line is a whole line of the original.
    expect(
      kept
        ?.split("\n")
        .filter(Boolean)
        .every((line) => lines.includes(line)),
    ).toBe(true);
    const cut = text.length - (kept?.length ?? 0) - 1;
    expect(note).toBe(
      `(cut: ${cut} characters over GitHub's limit; full report: \`stageflow report run-42\`)`,
    );
  });

  it("cuts one long line without splitting a surrogate pair, and closes an open code block", () => {
    const emoji = "🚀".repeat(40_000);
    const fitted = fitBody(emoji, { limit: 1000 });
    expect(fitted.length).toBeLessThanOrEqual(1000);
    expect(fitted).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    const code = `\`\`\`\n${"log line\n".repeat(500)}\`\`\`\nafter`;
    const fittedCode = fitBody(code, { limit: 500 });
    expect(fittedCode.length).toBeLessThanOrEqual(500);
    expect(fittedCode.match(/^```$/gm)).toHaveLength(2);
    expect(fittedCode).toMatch(/```\n\n…\(cut: \d+ characters/);
  });

  it("takes a note of the caller's", () => {
    const fitted = fitBody("a\n".repeat(100), { limit: 50, note: (n) => `[${n} cut]` });
    expect(fitted.length).toBeLessThanOrEqual(50);
    expect(fitted).toMatch(/\[\d+ cut\]$/);
  });
});
