// The client's STARTTLS upgrade on a real socket, against a minimal scripted server.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { Socket } from "node:net";
import { test } from "node:test";
import { makeSelfSigned, serverContext, upgradeServerSocket } from "../../src/core/tls.js";
import { connectSmtp, SmtpUnsupportedError } from "../../src/smtp/client/index.js";

test("STARTTLS, EHLO again, AUTH and a message over TLS; verify rejects a self-signed certificate", async (t) => {
  const credentials = { ...(await makeSelfSigned("mx.test")), source: "test" };
  const context = serverContext(credentials);
  const received: string[] = [];
  const server = createServer((plain) => {
    const serve = (socket: Socket, secure: boolean): void => {
      let buffer = "";
      let inData = false;
      const onData = (chunk: Buffer): void => {
        buffer += chunk.toString("utf8");
        for (let end = buffer.indexOf("\r\n"); end !== -1; end = buffer.indexOf("\r\n")) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (inData) {
            if (line === ".") {
              inData = false;
              socket.write("250 2.0.0 queued\r\n");
            } else received.push(line);
            continue;
          }
          const verb = line.split(" ")[0]!.toUpperCase();
          if (verb === "EHLO")
            socket.write(secure ? "250-mx\r\n250 AUTH PLAIN\r\n" : "250-mx\r\n250 STARTTLS\r\n");
          else if (verb === "STARTTLS") {
            socket.off("data", onData);
            socket.write("220 go ahead\r\n", () => {
              void upgradeServerSocket(socket, context).then(
                (tls) => {
                  serve(tls, true);
                },
                () => {
                  socket.destroy();
                },
              );
            });
            return;
          } else if (verb === "AUTH")
            socket.write(line.startsWith("AUTH PLAIN ") && secure ? "235 ok\r\n" : "535 no\r\n");
          else if (verb === "DATA") {
            inData = true;
            socket.write("354 go\r\n");
          } else if (verb === "QUIT") socket.end("221 bye\r\n");
          else socket.write("250 ok\r\n");
        }
      };
      socket.on("data", onData);
      socket.on("error", () => undefined);
    };
    plain.write("220 mx ESMTP\r\n");
    serve(plain, false);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;

  const connection = await connectSmtp({
    host: "127.0.0.1",
    port,
    helo: "client.test",
    tls: "starttls-required",
    verify: false,
    auth: { username: "u", password: "p" },
  });
  assert.ok(connection.secure);
  assert.deepEqual(connection.extensions.auth, ["PLAIN"]);
  const result = await connection.send({
    from: "a@b.test",
    recipients: ["c@d.test"],
    content: "Subject: tls\n\n..x\n",
  });
  assert.equal(result.finalReply.code, 250);
  await connection.quit();
  assert.deepEqual(received, ["Subject: tls", "", "...x"]);

  // With verification on, a self-signed certificate fails the upgrade.
  await assert.rejects(
    connectSmtp({ host: "127.0.0.1", port, helo: "client.test", tls: "starttls-required", verify: true }),
  );
  // Without TLS offered (plain mode never asks), AUTH over cleartext is refused by this server.
  await assert.rejects(
    connectSmtp({
      host: "127.0.0.1",
      port,
      helo: "client.test",
      tls: "none",
      auth: { username: "u", password: "p" },
    }),
    SmtpUnsupportedError,
  );
});
