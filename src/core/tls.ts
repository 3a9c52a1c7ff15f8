import { createPrivateKey, webcrypto, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isIP, type Socket } from "node:net";
import { join } from "node:path";
import { connect as tlsConnect, createSecureContext, TLSSocket, type SecureContext } from "node:tls";
import * as x509 from "@peculiar/x509";
import { withLockFile, writeFileDurable } from "./fs.js";
import { ConfigError, ProtocolError, TimeoutError } from "./errors.js";

/** A certificate chain and its private key, PEM. */
export interface TlsCredentials {
  readonly cert: string;
  readonly key: string;
  /** Where they came from, for logs: a file path or "self-signed". */
  readonly source: string;
}

/**
 * The certificate every TLS listener and upgrade (STARTTLS, STLS, AUTH TLS, implicit TLS)
 * uses: from `[tls] cert/key` when configured, else a self-signed certificate for
 * `hostname`, made on first start and kept in `data_dir/tls/` (made again when the hostname
 * changes or it is about to expire).
 */
export async function loadTlsCredentials(options: {
  readonly files?: { readonly cert: string; readonly key: string } | undefined;
  readonly tlsDir: string;
  readonly hostname: string;
}): Promise<TlsCredentials> {
  if (options.files) {
    const [cert, key] = await Promise.all([
      readPem(options.files.cert, "tls.cert"),
      readPem(options.files.key, "tls.key"),
    ]);
    try {
      createSecureContext({ cert, key });
    } catch (error) {
      throw new ConfigError(
        `tls: cannot use ${options.files.cert} with ${options.files.key}: ${(error as Error).message}`,
      );
    }
    return { cert, key, source: options.files.cert };
  }
  const certFile = join(options.tlsDir, "cert.pem");
  const keyFile = join(options.tlsDir, "key.pem");
  return withLockFile(join(options.tlsDir, ".lock"), async () => {
    const existing = await Promise.all([readFile(certFile, "utf8"), readFile(keyFile, "utf8")]).catch(
      () => undefined,
    );
    if (existing && stillGood(existing[0], options.hostname)) {
      return { cert: existing[0], key: existing[1], source: certFile };
    }
    const made = await makeSelfSigned(options.hostname);
    await writeFileDurable(keyFile, made.key, 0o600);
    await writeFileDurable(certFile, made.cert, 0o644);
    return { ...made, source: certFile };
  });
}

async function readPem(path: string, key: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `${key}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Whether a stored self-signed certificate names `hostname` and is valid for 30 more days. */
function stillGood(pem: string, hostname: string): boolean {
  try {
    const cert = new X509Certificate(pem);
    const expires = new Date(cert.validTo).getTime();
    return cert.checkHost(hostname) !== undefined && expires - Date.now() > 30 * 86_400_000;
  } catch {
    return false;
  }
}

/**
 * A self-signed ECDSA P-256 certificate for `hostname` (plus `localhost`, 127.0.0.1 and ::1,
 * so loopback clients verify too), valid for 825 days.
 */
export async function makeSelfSigned(hostname: string): Promise<{ cert: string; key: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const names = [...new Set([hostname, "localhost"])].map((value) => ({
    type: isIP(value) ? ("ip" as const) : ("dns" as const),
    value,
  }));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name: `CN=${hostname.replace(/[,+"\\<>;=]/g, "")}, O=Portico self-signed`,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 825 * 86_400_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names,
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
      ]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" })
    .export({ format: "pem", type: "pkcs8" })
    .toString();
  return { cert: cert.toString("pem") + "\n", key };
}

/** A server-side secure context for credentials (TLS 1.2 and up). */
export function serverContext(credentials: TlsCredentials): SecureContext {
  return createSecureContext({ cert: credentials.cert, key: credentials.key, minVersion: "TLSv1.2" });
}

/**
 * Upgrades an accepted plain socket to TLS as a server (STARTTLS, STLS, AUTH TLS): resolves
 * with the TLS socket once the handshake is done, rejects if it fails or takes longer than
 * `timeoutMs`. The caller must have stopped reading the plain socket and discarded anything
 * the client sent after the command (RFC 3207 §4.2, RFC 2595 §3.1).
 */
export function upgradeServerSocket(
  socket: Socket,
  context: SecureContext,
  timeoutMs = 30_000,
): Promise<TLSSocket> {
  return handshake(new TLSSocket(socket, { isServer: true, secureContext: context }), "secure", timeoutMs);
}

/**
 * Upgrades a connected plain socket to TLS as a client (STARTTLS to another MTA, `portico
 * send --starttls`). `verify: false` accepts any certificate, as opportunistic SMTP TLS does
 * (RFC 7435): encryption without authentication beats cleartext.
 */
export function upgradeClientSocket(
  socket: Socket,
  options: {
    readonly servername: string;
    readonly verify: boolean;
    readonly ca?: string;
    readonly timeoutMs?: number;
  },
): Promise<TLSSocket> {
  const secure = tlsConnect({
    socket,
    ...(isIP(options.servername) === 0 && { servername: options.servername }),
    rejectUnauthorized: options.verify,
    ...(options.ca !== undefined && { ca: options.ca }),
    minVersion: "TLSv1.2",
  });
  return handshake(secure, "secureConnect", options.timeoutMs ?? 30_000);
}

/** Waits for a TLS socket's handshake (`done` event), destroying it on error or timeout. */
function handshake(
  secure: TLSSocket,
  done: "secure" | "secureConnect",
  timeoutMs: number,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      clearTimeout(timer);
      secure.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      fail(new TimeoutError(`TLS handshake did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    // A peer that hangs up mid-handshake without an alert gives "close" and no "error".
    const closed = (): void => {
      fail(new ProtocolError("Cannot finish the TLS handshake: the connection was closed"));
    };
    secure.once(done, () => {
      clearTimeout(timer);
      secure.off("error", fail);
      secure.off("close", closed);
      resolve(secure);
    });
    secure.once("error", fail);
    secure.once("close", closed);
  });
}
