import { expect } from "chai";
import path from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { loadSmsSender, outboxMailSender, outboxSmsSender } from "../../enclave-service/host/senders";
import { latestOutboxCode } from "../../enclave-service/host/outbox";
import { tempDir } from "./helpers";

describe("host/senders", () => {
  const dir = tempDir("senders");
  after(() => dir.remove());

  describe("outboxMailSender / outboxSmsSender", () => {
    it("appends one JSON line per message and echoes it when sending", async () => {
      const file = path.join(dir.dir, "outbox.jsonl");
      const echoed: string[] = [];
      await outboxMailSender(file, (l) => echoed.push(l)).send({ to: "a@example.com", subject: "code", text: "Your login code is 123456." });
      await outboxSmsSender(file, (l) => echoed.push(l)).send({ to: "+41791234567", text: "code 654321" });
      const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.channel, l.to])).to.deep.equal([["email", "a@example.com"], ["sms", "+41791234567"]]);
      expect(echoed[0]).to.match(/\[outbox\] email to a@example.com/);
      expect(latestOutboxCode(file, "a@example.com")).to.equal("123456");
      expect(latestOutboxCode(file, "+41791234567")).to.equal("654321");
      expect(latestOutboxCode(file, "nobody@example.com")).to.equal(undefined);
    });
  });

  describe("loadSmsSender", () => {
    it("uses a module's createSmsSender when plugged in", async () => {
      const file = path.join(dir.dir, "sms-plugin.js");
      const sent = path.join(dir.dir, "sent.txt");
      writeFileSync(file, `exports.createSmsSender = () => ({ send: async (m) => require("node:fs").appendFileSync(${JSON.stringify(sent)}, m.to + ":" + m.text) });`);
      await loadSmsSender(file).send({ to: "+41000000000", text: "hi" });
      expect(readFileSync(sent, "utf8")).to.equal("+41000000000:hi");
    });

    it("throws when the module does not export createSmsSender", () => {
      const file = path.join(dir.dir, "not-a-plugin.js");
      writeFileSync(file, "exports.other = 1;");
      expect(() => loadSmsSender(file)).to.throw(/createSmsSender/);
    });
  });
});
