/**
 * Keeps credentials out of what an `http` step reports: error messages, outputs, headers.
 * Sensitive request header values, URL userinfo and sensitive query values are collected as
 * secrets and replaced by `***` wherever they appear (also when a server echoes them back).
 * Built on the one secrets module (src/engine/secrets): its key rule, value masker and patterns.
 */
import { isSecretKey, MASK, maskPatterns, SecretMasker } from "../engine/secrets/index.js";

const SENSITIVE_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$/i;
/** Query parameters: secret-named ones, and a few that carry credentials under innocent names. */
const SENSITIVE_PARAM = /key|signature|sig$/i;

export const isSensitiveHeader = (name: string): boolean => SENSITIVE_HEADER.test(name) || isSecretKey(name);
const isSensitiveParam = (name: string): boolean => SENSITIVE_PARAM.test(name) || isSecretKey(name);

export class Masker {
  private readonly values: SecretMasker;
  /** The URL as it may be shown: userinfo and sensitive query values masked, no fragment. */
  readonly url: string;

  constructor(url: string, headers: Record<string, string>) {
    const found: string[] = [];
    for (const [name, value] of Object.entries(headers)) {
      if (!isSensitiveHeader(name)) continue;
      found.push(value);
      const credential = /^\s*\S+\s+(\S.*)$/.exec(value)?.[1];
      if (credential) found.push(credential.trim());
    }
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      // not a URL: shown masked as text only
    }
    if (!parsed) {
      this.values = new SecretMasker(found);
      this.url = this.mask(url);
      return;
    }
    for (const v of [parsed.username, parsed.password]) found.push(v, safeDecode(v));
    const query = new URLSearchParams();
    for (const [name, value] of parsed.searchParams) {
      const sensitive = isSensitiveParam(name);
      if (sensitive) found.push(value);
      query.append(name, sensitive ? MASK : value);
    }
    this.values = new SecretMasker(found);
    const userinfo = parsed.username || parsed.password ? `${MASK}@` : "";
    const search = query.size > 0 ? `?${query}` : "";
    this.url = `${parsed.protocol}//${userinfo}${parsed.host}${parsed.pathname}${search}`;
  }

  /** The text with the request's secrets and token-shaped text masked. */
  mask(text: string): string {
    return maskPatterns(this.values.text(text));
  }

  /** Masks strings anywhere inside a parsed JSON value. */
  maskDeep(value: unknown): unknown {
    if (typeof value === "string") return this.mask(value);
    if (Array.isArray(value)) return value.map((v) => this.maskDeep(v));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.maskDeep(v)]));
    }
    return value;
  }

  /** Lower-cased names; values of sensitive headers replaced, others masked as text. */
  headers(headers: Headers): Record<string, string> {
    const out: Record<string, string> = {};
    headers.forEach((value, name) => {
      out[name.toLowerCase()] = isSensitiveHeader(name) ? MASK : this.mask(value);
    });
    return out;
  }
}

export { MASK };

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
