/** What the IMAP session's unit and fuzz tests share. */
import type { Readable } from "node:stream";
import type { ResponseSink } from "./fetch.js";

/** A sink that keeps everything as text. */
export class Collector implements ResponseSink {
  text = "";
  write(data: string | Buffer): void {
    this.text += typeof data === "string" ? data : data.toString("latin1");
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  async pipe(source: Readable): Promise<number> {
    let n = 0;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      n += chunk.length;
      this.text += chunk.toString("latin1");
    }
    return n;
  }
}
