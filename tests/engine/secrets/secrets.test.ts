import { describe, expect, it } from "vitest";
import {
  isSecretKey,
  MASK,
  maskingLogger,
  maskPatterns,
  maskSecrets,
  maskText,
  SecretMasker,
  secretValues,
} from "../../../src/engine/secrets/index.js";
import { recordedInputs, secretInputsForResume } from "../../../src/engine/secrets/run-inputs.js";
import { secretFragments } from "../../support/fragments.js";

const GHP = `ghp_${"a1B2".repeat(9)}`;

describe("masking by pattern", () => {
  it("finds tokens inside a word, not only at a word boundary", () => {
    expect(maskPatterns(`MY_${GHP}`)).toBe(`MY_${MASK}`);
    expect(maskPatterns(`TOKEN=x${GHP}y`)).toBe(`TOKEN=x${MASK}`);
    expect(maskPatterns(`a_github_pat_${"Q".repeat(30)}`)).toBe(`a_${MASK}`);
    expect(maskPatterns(`NPM=npm_${"x".repeat(36)}`)).toBe(`NPM=${MASK}`);
  });

  it("masks a PEM private key block whole", () => {
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIabc\ndef\n-----END RSA PRIVATE KEY-----";
    expect(maskPatterns(`key:\n${pem}\nafter`)).toBe(`key:\n${MASK}\nafter`);
  });
});

describe("masking by key", () => {
  it("treats the new key names as secret, as whole words where they are short", () => {
    for (const key of [
      "private_key",
      "SSH_KEY",
      "credentials",
      "aws_credential",
      "pat",
      "GITHUB_PAT",
      "myPat",
      "passphrase",
      "auth",
      "basic-auth",
      "pwd",
      "DB_PWD",
      "sshKey",
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
  });

  it("leaves innocent keys that merely contain those letters", () => {
    for (const key of [
      "author",
      "path",
      "pattern",
      "patternId",
      "dispatch",
      "authority_name",
      "pwdx",
      "spatial",
    ]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });

  it("masks values under the new keys in deep objects", () => {
    expect(maskSecrets({ auth: "u:p", nested: { ssh_key: "k", author: "me" } })).toEqual({
      auth: MASK,
      nested: { ssh_key: MASK, author: "me" },
    });
  });
});

describe("masking by value", () => {
  const masker = new SecretMasker(["s3cr3t-value", "abc", 'q"uote\\d', "line-one\nline-two"]);

  it("replaces the value anywhere, also inside words", () => {
    expect(masker.text("x=s3cr3t-value; MY_s3cr3t-value_Y")).toBe(`x=${MASK}; MY_${MASK}_Y`);
  });

  it("does not mask values shorter than four characters", () => {
    expect(masker.text("abc and abcd")).toBe("abc and abcd");
  });

  it("masks the JSON-escaped, URL-encoded and base64 forms and each line of a multi-line value", () => {
    expect(masker.text(JSON.stringify({ k: 'q"uote\\d' }))).toBe(`{"k":"${MASK}"}`);
    expect(masker.text(`?v=${encodeURIComponent('q"uote\\d')}`)).toBe(`?v=${MASK}`);
    expect(masker.text(Buffer.from("s3cr3t-value").toString("base64"))).not.toContain("czNjcjN0LXZhbHVl");
    expect(masker.text("only line-two was printed")).toBe(`only ${MASK} was printed`);
  });

  it("masks strings deep in a value, keeps keys, and costs nothing without secrets", () => {
    expect(masker.deep({ "s3cr3t-value": ["a s3cr3t-value", 1, null] })).toEqual({
      "s3cr3t-value": [`a ${MASK}`, 1, null],
    });
    const plain = { a: "s3cr3t-value" };
    expect(new SecretMasker([]).deep(plain)).toBe(plain);
    expect(maskText("s3cr3t-value", masker)).toBe(MASK);
  });

  it("masks a logger's messages and fields", () => {
    const seen: unknown[] = [];
    const log = (msg: string, fields?: unknown) => seen.push(msg, fields);
    const logger = maskingLogger({ debug: log, info: log, warn: log, error: log }, masker);
    logger.info("got s3cr3t-value", { v: "s3cr3t-value" });
    expect(seen).toEqual([`got ${MASK}`, { v: MASK }]);
  });

  it("takes secret inputs and the values of the variables named under secrets:", () => {
    const definition = { inputs: { key: { secret: true }, ref: {} }, secrets: ["NPM_TOKEN", "UNSET"] };
    expect(secretValues(definition, { key: "input-value", ref: "main" }, { NPM_TOKEN: "npm-value" })).toEqual(
      ["input-value", "npm-value"],
    );
    expect(secretValues({ name: "x" }, {}, {})).toEqual([]);
  });
});

describe("secret inputs in the journal", () => {
  const definition = { inputs: { key: { secret: true }, other: { secret: true, default: "dflt" }, ref: {} } };

  it("records given secret inputs as ***, and a default as it is", () => {
    const inputs = { key: "given-value", other: "dflt", ref: "main" };
    expect(recordedInputs(definition, inputs, { key: "given-value", ref: "main" })).toEqual({
      key: MASK,
      other: "dflt",
      ref: "main",
    });
  });

  it("asks a resume for every recorded secret input, and only for those", () => {
    const run = { id: "r1", definition, inputs: { key: MASK, other: "dflt", ref: "main" } };
    expect(secretInputsForResume(run, { key: "v" })).toEqual({ key: "v" });
    expect(() => secretInputsForResume(run, {})).toThrow(/needs its secret input\(s\) 'key' again/);
    expect(() => secretInputsForResume(run, { key: "v", ref: "x" })).toThrow(/'ref' is not a secret input/);
  });
});

describe("masking text that arrives in pieces (SecretMasker.split)", () => {
  const SECRET = "Zq8-SECRETPART-0123456789-TAILPART";
  const masker = new SecretMasker([SECRET]);

  it("knows its longest form (base64 is longer than the value), and 0 without secrets", () => {
    expect(masker.longest).toBe(Buffer.from(SECRET).toString("base64").replace(/=+$/, "").length);
    expect(new SecretMasker().longest).toBe(0);
    expect(new SecretMasker().split("abc")).toEqual({ masked: "abc", rest: "" });
  });

  it("masks a secret whole wherever the stream is cut, and gives back exactly the text masked at once", () => {
    const stream = `head ${SECRET} middle ${encodeURIComponent(SECRET)}${SECRET} tail`;
    for (let cut = 0; cut <= stream.length; cut++) {
      const first = masker.split(stream.slice(0, cut));
      const second = masker.split(first.rest + stream.slice(cut));
      const pieces = [first.masked, second.masked, masker.text(second.rest)];
      for (const piece of pieces) expect(secretFragments(SECRET, piece), `cut at ${cut}`).toEqual([]);
      expect(pieces.join(""), `cut at ${cut}`).toBe(masker.text(stream));
      expect(first.rest.length).toBeLessThan(masker.longest);
    }
  });

  it("carries over what may begin a secret, and masks one that starts in the settled part whole", () => {
    const prefix = "x".repeat(100);
    const held = masker.longest - 1;
    // The last `longest - 1` characters are held back, unmasked: a secret may begin there.
    const open = prefix + SECRET.slice(0, 10);
    expect(masker.split(open)).toEqual({ masked: open.slice(0, -held), rest: open.slice(-held) });
    // It starts early enough to be whole in the text: masked, though it ends in the last characters.
    const after = "y".repeat(masker.longest - SECRET.length);
    expect(masker.split(`${prefix}${SECRET}${after}`)).toEqual({ masked: `${prefix}${MASK}`, rest: after });
  });
});
