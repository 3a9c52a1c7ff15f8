import type { TestContext } from "node:test";
import { ImapFlow } from "imapflow";

/**
 * An ImapFlow client (the Node.js IMAP client we did not write) logged in to 127.0.0.1:`port`
 * over implicit TLS or STARTTLS, without certificate checks; logged out after the test.
 */
export async function imapFlow(
  t: TestContext,
  options: {
    readonly port: number;
    readonly tls: "implicit" | "starttls";
    readonly user: string;
    readonly pass: string;
  },
): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: options.port,
    secure: options.tls === "implicit",
    doSTARTTLS: options.tls === "starttls",
    tls: { rejectUnauthorized: false },
    auth: { user: options.user, pass: options.pass },
    logger: false,
  });
  t.after(async () => {
    if (client.usable) await client.logout().catch(() => undefined);
    client.close();
  });
  await client.connect();
  return client;
}
