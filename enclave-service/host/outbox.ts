import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** One message in the dev outbox. */
export interface OutboxEntry {
  channel: "email" | "sms";
  to: string;
  subject?: string;
  text: string;
  at: number;
}

/**
 * The development outbox: instead of a mail or SMS provider, every message is appended as one JSON
 * line to `<file>` and echoed on the console. The demo reads codes from here.
 *
 * @example
 * const outbox = devOutbox("./.arbor/outbox.jsonl");
 * await outbox.send({ channel: "email", to: "a@b.c", subject: "code", text: "123456", at: Date.now() });
 */
export function devOutbox(file: string, echo: (line: string) => void = (l) => console.log(l)) {
  mkdirSync(path.dirname(file), { recursive: true });
  return {
    file,
    async send(entry: OutboxEntry): Promise<void> {
      appendFileSync(file, JSON.stringify(entry) + "\n", { mode: 0o600 });
      echo(`[outbox] ${entry.channel} to ${entry.to}: ${entry.subject ? entry.subject + " | " : ""}${entry.text.replace(/\s+/g, " ")}`);
    },
  };
}

/**
 * The newest login code the dev outbox holds for `to` (an email address or E.164 number), or
 * undefined. What the demo uses in place of a mailbox.
 *
 * @example
 * const code = latestOutboxCode(service.outboxFile, "alice@example.com");
 */
export function latestOutboxCode(file: string, to: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const entries = text
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as OutboxEntry)
    .filter((e) => e.to === to);
  const last = entries[entries.length - 1];
  return last ? /\b(\d{6})\b/.exec(last.text)?.[1] : undefined;
}
