/**
 * E-mail over SMTP with nodemailer. `smtp://host:port` (STARTTLS when the server offers it) or
 * `smtps://host:port` (TLS from the start); credentials in the URL or given apart.
 */
import nodemailer from "nodemailer";
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
  const transport = nodemailer.createTransport({
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(user ? { auth: { user, pass } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: 3 * timeout,
  });
  return {
    name: options.name ?? "email",
    async send(n) {
      await transport.sendMail({
        from: options.from,
        to: [...options.to],
        subject: subjectOf(n),
        text: bodyOf(n),
        headers: { "X-Stageflow-Alert": n.groupKey.slice(0, 200) },
      });
    },
  };
}
