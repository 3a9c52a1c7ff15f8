import { join } from "node:path";
import { splitAddress } from "./accounts/address.js";

/**
 * Where things live under `data_dir`. One place, so every service agrees:
 *
 *   users.passwd           accounts added by `portico user` (address:$scrypt$…)
 *   tls/cert.pem, key.pem  the self-signed certificate made on first start
 *   mail/DOMAIN/LOCAL/     the account's Maildir (cur/ new/ tmp/, Maildir++ .Folder/)
 *   home/DOMAIN/LOCAL/     the account's files (FTP, SCP/SFTP, web), confined there
 *   queue/                 the mail queue
 *   public/                what anonymous FTP may read
 */
export class DataLayout {
  constructor(readonly root: string) {}

  get accountsFile(): string {
    return join(this.root, "users.passwd");
  }
  get tlsDir(): string {
    return join(this.root, "tls");
  }
  get queueDir(): string {
    return join(this.root, "queue");
  }
  get publicDir(): string {
    return join(this.root, "public");
  }
  /** The Maildir of an (already normalised) account address. */
  maildir(address: string): string {
    const { local, domain } = splitAddress(address);
    return join(this.root, "mail", safeSegment(domain), safeSegment(local));
  }
  /** The home directory of an account address. */
  home(address: string): string {
    const { local, domain } = splitAddress(address);
    return join(this.root, "home", safeSegment(domain), safeSegment(local));
  }
}

/** A path segment from an address part: never empty, ".", "..", or containing a slash. */
function safeSegment(part: string): string {
  if (part === "" || part === "." || part === ".." || /[/\\\0]/.test(part)) {
    throw new TypeError(`Cannot use "${part}" as a directory name`);
  }
  return part;
}
