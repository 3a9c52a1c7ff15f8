/** The PROXY protocol (HAProxy's versions 1 and 2): decode, encode, and read from a socket. */
export {
  parseProxyHeader,
  PP2_TYPE,
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_HEADER_LENGTH,
  PROXY_V2_MAX_LENGTH,
  PROXY_V2_SIGNATURE,
  type ProxyCommand,
  type ProxyEndpoint,
  type ProxyFamily,
  type ProxyHeader,
  type ProxyParseResult,
} from "./header.js";
export { encodeProxyV1, encodeProxyV2, type ProxyTlv, type ProxyV2Options } from "./encode.js";
export { readProxyHeader, type ProxiedConnection } from "./read.js";
export { crc32c } from "./crc32c.js";
