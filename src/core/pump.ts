/**
 * The loop a line-protocol session runs over its input: `kick()` when something happened
 * (data, end of input, shutdown, a mailbox change); the step function then runs until it has
 * nothing left. A kick while it runs (it may be waiting for a write to drain) makes it run
 * once more before it stops, so no wake-up is lost.
 */
export class Pump {
  #wanted = false;
  #running: Promise<void> | undefined;

  /**
   * `step`: process what is buffered; `ready`: whether it can run now (not closed, not in a
   * TLS handshake); `failed`: the step threw (the session should close).
   */
  constructor(
    private readonly step: () => Promise<void>,
    private readonly ready: () => boolean,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Whether the step is running now. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Resolves when the step is not running (at once if it is not). */
  async settled(): Promise<void> {
    await this.#running;
  }

  kick(): void {
    this.#wanted = true;
    if (this.#running !== undefined || !this.ready()) return;
    this.#running = this.#loop().then(
      () => {
        this.#running = undefined;
      },
      (error: unknown) => {
        this.#running = undefined;
        this.failed(error);
      },
    );
  }

  async #loop(): Promise<void> {
    while (this.#wanted && this.ready()) {
      this.#wanted = false;
      await this.step();
    }
  }
}
