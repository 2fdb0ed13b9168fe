/**
 * Keeps credentials out of what an `http` step reports: error messages, outputs, headers.
 * Sensitive request header values, URL userinfo and sensitive query values are collected as
 * secrets and replaced by `***` wherever they appear (also when a server echoes them back).
 */

export const MASK = "***";
const SENSITIVE_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|api-?key|password/i;
const SENSITIVE_PARAM = /token|key|secret|password|passwd|auth|signature|credential/i;
/** Shorter values are not masked inside texts (they would garble them); headers are still masked by name. */
const MIN_SECRET = 4;

export const isSensitiveHeader = (name: string): boolean => SENSITIVE_HEADER.test(name);

export class Masker {
  private readonly secrets: string[];
  /** The URL as it may be shown: userinfo and sensitive query values masked, no fragment. */
  readonly url: string;

  constructor(url: string, headers: Record<string, string>) {
    const found = new Set<string>();
    const add = (v: string) => {
      if (v.length >= MIN_SECRET) found.add(v);
    };
    for (const [name, value] of Object.entries(headers)) {
      if (!isSensitiveHeader(name)) continue;
      add(value);
      const credential = /^\s*\S+\s+(\S.*)$/.exec(value)?.[1];
      if (credential) add(credential.trim());
    }
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      // not a URL: shown masked as text only
    }
    if (!parsed) {
      this.secrets = [...found];
      this.url = this.mask(url);
      return;
    }
    for (const v of [parsed.username, parsed.password]) {
      add(v);
      add(safeDecode(v));
    }
    const query = new URLSearchParams();
    for (const [name, value] of parsed.searchParams) {
      const sensitive = SENSITIVE_PARAM.test(name);
      if (sensitive) add(value);
      query.append(name, sensitive ? MASK : value);
    }
    this.secrets = [...found].sort((a, b) => b.length - a.length);
    const userinfo = parsed.username || parsed.password ? `${MASK}@` : "";
    const search = query.size > 0 ? `?${query}` : "";
    this.url = `${parsed.protocol}//${userinfo}${parsed.host}${parsed.pathname}${search}`;
  }

  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(MASK);
    return out;
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

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
