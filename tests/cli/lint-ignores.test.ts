import { fileURLToPath } from "node:url";
import { getFileInfo } from "prettier";
import { describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../", import.meta.url));

describe("files the documented commands leave behind do not break `npm run lint`", () => {
  it("prettier ignores diagnostics bundles and the journal directory", async () => {
    for (const file of ["bundle.json", "support.bundle.json", ".stageflow/bundle.json"]) {
      const info = await getFileInfo(`${repo}${file}`, {
        ignorePath: [`${repo}.gitignore`, `${repo}.prettierignore`],
      });
      expect({ file, ignored: info.ignored }).toEqual({ file, ignored: true });
    }
    const source = await getFileInfo(`${repo}package.json`, { ignorePath: [`${repo}.prettierignore`] });
    expect(source.ignored).toBe(false);
  });
});
