import { parseArgs } from "node:util";
import { DataLayout } from "../core/layout.js";
import { askManager, runningManager } from "../mail/queue/control.js";
import { listing } from "../mail/queue/queue.js";
import { isQueueId, Spool } from "../mail/queue/spool.js";
import { UsageError } from "./errors.js";
import { resolveOptions } from "./options.js";

export const QUEUE_HELP = `usage: portico queue list [-c FILE]
       portico queue show ID [-c FILE]
       portico queue flush [-c FILE]
       portico queue delete ID [-c FILE]`;

/**
 * `portico queue`: looks at the queue files directly (list, show), and asks the running
 * server's queue manager to act (flush, delete); delete without a running server removes
 * the files itself.
 */
export async function queueCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: "string", short: "c" } },
  });
  const [action, id, ...extra] = positionals;
  if (extra.length > 0)
    throw new UsageError(`Cannot run queue: unexpected "${extra.join(" ")}"\n${QUEUE_HELP}`);
  const { options } = await resolveOptions(values.config);
  const spool = new Spool(new DataLayout(options.dataDir).queueDir);
  const needId = (): string => {
    if (id === undefined) throw new UsageError(`Cannot run queue ${action}: ID is missing\n${QUEUE_HELP}`);
    if (!isQueueId(id)) throw new UsageError(`Cannot run queue ${action}: "${id}" is not a queue id`);
    return id;
  };
  switch (action) {
    case "list": {
      const ids = await spool.ids();
      let shown = 0;
      for (const each of ids) {
        const entry = await spool.load(each);
        if (!entry) continue;
        const l = listing(entry);
        shown++;
        const next = l.next ? `  next ${l.next.toISOString()}` : "";
        console.log(
          `${l.id}  ${String(l.size).padStart(8)}  ${l.arrival.toISOString()}  <${l.from}>  attempts ${l.attempts}${next}`,
        );
        for (const r of l.recipients) {
          console.log(
            `    ${r.status.padEnd(9)} ${r.address}${r.reply !== undefined ? `  (${r.reply.split("\n")[0]})` : ""}`,
          );
        }
      }
      console.log(shown === 0 ? "queue is empty" : `${shown} message${shown === 1 ? "" : "s"}`);
      return 0;
    }
    case "show": {
      const entry = await spool.load(needId());
      if (!entry) {
        console.error(`portico: no message ${needId()} in the queue`);
        return 1;
      }
      const l = listing(entry);
      console.log(`id:       ${l.id}`);
      console.log(`arrival:  ${l.arrival.toISOString()}`);
      console.log(`from:     <${l.from}>`);
      console.log(
        `client:   ${entry.meta.client.helo} [${entry.meta.client.address}]${entry.meta.client.authenticatedAs ? ` as ${entry.meta.client.authenticatedAs}` : ""}`,
      );
      console.log(`size:     ${l.size}`);
      console.log(`attempts: ${l.attempts}${l.next ? `, next ${l.next.toISOString()}` : ""}`);
      for (const r of l.recipients)
        console.log(`to:       ${r.address}  ${r.status}${r.reply !== undefined ? `: ${r.reply}` : ""}`);
      console.log("");
      const head = await spool.readContent(l.id, entry, Math.min(entry.size, 64 * 1024));
      const end = head.indexOf("\r\n\r\n");
      process.stdout.write(head.subarray(0, end < 0 ? head.length : end + 2).toString("utf8"));
      return 0;
    }
    case "flush": {
      if ((await runningManager(spool)) === undefined) {
        console.log("no server is running on this queue; queued mail is tried when it starts");
        return 1;
      }
      await askManager(spool, "flush");
      console.log("flush requested: every queued message is being tried now");
      return 0;
    }
    case "delete": {
      const target = needId();
      let found: boolean;
      if ((await runningManager(spool)) !== undefined)
        found = (await askManager(spool, `delete.${target}`)) === "ok";
      else found = await spool.remove(target);
      if (!found) {
        console.error(`portico: no message ${target} in the queue`);
        return 1;
      }
      console.log(`deleted ${target}`);
      return 0;
    }
    default:
      throw new UsageError(`Cannot run queue: unknown action "${action ?? ""}"\n${QUEUE_HELP}`);
  }
}
