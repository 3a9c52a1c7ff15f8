/**
 * Portico as a library: start any service in-process with the options of the config file,
 * and stop it. The `portico` command is a thin layer over these functions.
 *
 * ```ts
 * import { loadConfig, startPortico } from "portico";
 * const portico = await startPortico(await loadConfig("portico.toml"));
 * // … portico.endpoints lists every address; portico.accounts is the account store …
 * await portico.stop();
 * ```
 */
export { startPortico, Portico } from "./portico.js";
export type { RuntimeOptions, ServiceName } from "./portico.js";
export type {
  PorticoOptions,
  DnsOptions,
  SmtpOptions,
  RetrievalOptions,
  FtpOptions,
  ListenOptions,
  TlsFiles,
  UserEntry,
} from "./options.js";
export type { Endpoint, RunningService } from "./service.js";
export { loadConfig, parseConfig, defaultOptions } from "./core/config/load.js";
export { parseSocketAddress, formatSocketAddress, NetworkSet } from "./core/address.js";
export type { SocketAddress } from "./core/address.js";
export { AccountStore, AccountError } from "./core/accounts/store.js";
export type { Account } from "./core/accounts/store.js";
export { hashPassword, verifyPassword } from "./core/accounts/password.js";
export { createLogger, silentLogger, traceTo } from "./core/log.js";
export type { Logger, TraceSink, TraceEvent } from "./core/log.js";
export { loadTlsCredentials, makeSelfSigned } from "./core/tls.js";
export type { TlsCredentials } from "./core/tls.js";
export {
  PorticoError,
  ConfigError,
  InvalidConfigError,
  DecodeError,
  ProtocolError,
  ReplyError,
  TimeoutError,
  ListenError,
} from "./core/errors.js";
// DNS
export { startDnsService, loadZones } from "./dns/service.js";
export type { DnsService, DnsRuntime } from "./dns/service.js";
export { decodeMessage, encodeMessage } from "./dns/codec/index.js";
export { RRType, RRClass, Rcode, Opcode } from "./dns/types.js";
export type { Message, Question, ResourceRecord, RData, Edns } from "./dns/types.js";
