import { devOutbox } from "./outbox";

/** Sends one email (the host's dev outbox; real SMTP runs in the enclave, see enclave/upstream.ts). */
export interface MailSender {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
  close?(): void;
}

/** Sends one SMS. Pluggable: `--sms-sender <module>` loads a module exporting `createSmsSender(): SmsSender`. */
export interface SmsSender {
  send(message: { to: string; text: string }): Promise<void>;
}

/** Email into the dev outbox file. */
export function outboxMailSender(file: string, echo?: (line: string) => void): MailSender {
  const outbox = devOutbox(file, echo);
  return { send: ({ to, subject, text }) => outbox.send({ channel: "email", to, subject, text, at: Date.now() }) };
}

/** SMS into the dev outbox file. */
export function outboxSmsSender(file: string, echo?: (line: string) => void): SmsSender {
  const outbox = devOutbox(file, echo);
  return { send: ({ to, text }) => outbox.send({ channel: "sms", to, text, at: Date.now() }) };
}

/** Loads a custom SMS sender module. */
export function loadSmsSender(modulePath: string): SmsSender {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { createSmsSender?: () => SmsSender };
  if (typeof mod.createSmsSender !== "function") throw new Error(`${modulePath} does not export createSmsSender()`);
  return mod.createSmsSender();
}
