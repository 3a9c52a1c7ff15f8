/** A counting semaphore: at most `limit` tasks run at once; the rest wait in order. */
export class Semaphore {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(Number.isInteger(limit) && limit > 0))
      throw new RangeError(`Cannot limit to ${limit}: need a positive integer`);
  }

  /** Nothing is running or waiting. */
  get idle(): boolean {
    return this.#active === 0 && this.#waiting.length === 0;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
