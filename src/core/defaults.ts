/**
 * Every default of Portico in one place: the embedded configuration of PRODUCT.md (services
 * on 127.0.0.1, unprivileged ports, data in ./portico-data, hostname `localhost`).
 */
export const DEFAULTS = {
  hostname: "localhost",
  dataDir: "./portico-data",
  /** Default listen addresses per config key; the standard port is in the comment. */
  listen: {
    dns: "127.0.0.1:1053", // 53
    smtp: "127.0.0.1:2525", // 25
    submission: "127.0.0.1:2587", // 587
    submissions: "127.0.0.1:2465", // 465
    pop3: "127.0.0.1:2110", // 110
    pop3s: "127.0.0.1:2995", // 995
    imap: "127.0.0.1:2143", // 143
    imaps: "127.0.0.1:2993", // 993
    ftp: "127.0.0.1:2121", // 21
    ssh: "127.0.0.1:2222", // 22
    telnet: "127.0.0.1:2323", // 23
    web: "127.0.0.1:8080",
  },
  smtp: {
    relayPort: 25,
    /** 25 MiB, as PRODUCT.md's example and common provider limits. */
    maxMessageSize: 26_214_400,
  },
  ftp: {
    passivePorts: "30000-30099",
  },
  /** How long `stop()` lets open sessions finish before closing them. */
  shutdownGraceMs: 5_000,
} as const;
