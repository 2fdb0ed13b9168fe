/**
 * E-mail over SMTP with nodemailer. `smtp://host:port` (STARTTLS when the server offers it) or
 * `smtps://host:port` (TLS from the start); credentials in the URL or given apart.
 */
import type { Transporter } from "nodemailer";
import { bodyOf, subjectOf } from "../format.js";
import type { AlertChannel } from "../types.js";

export interface EmailChannelOptions {
  /** `smtp://[user:password@]host:port` or `smtps://...` (the password is a secret). */
  url: string;
  /** Overrides the URL's user. */
  user?: string;
  /** Overrides the URL's password (a secret). */
  password?: string;
  from: string;
  to: readonly string[];
  /** @default "email" */
  name?: string;
  /** Connection, greeting and socket timeouts, in ms. @default 10000 */
  timeoutMs?: number;
}

export function emailChannel(options: EmailChannelOptions): AlertChannel {
  const url = new URL(options.url);
  const user = options.user ?? decodeURIComponent(url.username);
  const pass = options.password ?? decodeURIComponent(url.password);
  const secure = url.protocol === "smtps:";
  const timeout = options.timeoutMs ?? 10_000;
  const smtpOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(user ? { auth: { user, pass } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: 3 * timeout,
  };
  // nodemailer is loaded on the first e-mail, not when the CLI or the app starts.
  let transport: Promise<Transporter> | undefined;
  const transporter = () =>
    (transport ??= import("nodemailer").then(({ default: nodemailer }) =>
      nodemailer.createTransport(smtpOptions),
    ));
  return {
    name: options.name ?? "email",
    async send(n) {
      await (
        await transporter()
      ).sendMail({
        from: options.from,
        to: [...options.to],
        subject: subjectOf(n),
        text: bodyOf(n),
        headers: { "X-Stageflow-Alert": n.groupKey.slice(0, 200) },
      });
    },
  };
}
