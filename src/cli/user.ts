import { parseArgs } from "node:util";
import { AccountStore } from "../core/accounts/store.js";
import { UsageError } from "./errors.js";
import { resolveOptions } from "./options.js";
import { promptPassword, readFirstLineOfStdin } from "./prompt.js";

export const USER_HELP = `usage: portico user add|passwd ADDRESS [--password-stdin] [-c FILE]
       portico user del ADDRESS [-c FILE]
       portico user list [-c FILE]`;

/** `portico user add|del|list|passwd`: edits the data directory's account file. */
export async function userCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: "string", short: "c" }, "password-stdin": { type: "boolean" } },
  });
  const [action, address, ...extra] = positionals;
  if (extra.length > 0)
    throw new UsageError(`Cannot run user: unexpected "${extra.join(" ")}"\n${USER_HELP}`);
  const { options } = await resolveOptions(values.config);
  const store = new AccountStore({ dataDir: options.dataDir, users: options.users });
  const needAddress = (): string => {
    if (address === undefined)
      throw new UsageError(`Cannot run user ${action}: ADDRESS is missing\n${USER_HELP}`);
    return address;
  };
  const password = async (): Promise<string> => {
    if (values["password-stdin"]) return readFirstLineOfStdin();
    const first = await promptPassword("Password: ");
    const again = await promptPassword("Again: ");
    if (first !== again) throw new UsageError("Cannot set the password: the two entries differ");
    if (first === "") throw new UsageError("Cannot set an empty password");
    return first;
  };
  switch (action) {
    case "add": {
      const account = await store.add(needAddress(), await password());
      console.log(`added ${account.address} (mail in ${account.maildir})`);
      return 0;
    }
    case "passwd":
      await store.setPassword(needAddress(), await password());
      console.log(`password changed for ${needAddress().toLowerCase()}`);
      return 0;
    case "del":
      await store.delete(needAddress());
      console.log(`deleted ${needAddress().toLowerCase()} (its mail and files are kept)`);
      return 0;
    case "list":
      for (const name of await store.list()) console.log(name);
      return 0;
    default:
      throw new UsageError(`Cannot run user: unknown action "${action ?? ""}"\n${USER_HELP}`);
  }
}
