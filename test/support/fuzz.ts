/**
 * What every fuzz test shares: how many iterations (small by default so `npm test` stays
 * fast; `npm run fuzz` sets PORTICO_FUZZ_ITERATIONS to a million), the seed
 * (PORTICO_FUZZ_SEED, to replay a failure), and a small seeded generator.
 */

/** Iterations for this run: PORTICO_FUZZ_ITERATIONS, else `fallback`. */
export function fuzzIterations(fallback: number): number {
  const n = Number(process.env.PORTICO_FUZZ_ITERATIONS ?? fallback);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The seed for this run: PORTICO_FUZZ_SEED, else `fallback`. */
export function fuzzSeed(fallback: number): number {
  const n = Number(process.env.PORTICO_FUZZ_SEED ?? fallback);
  return Number.isFinite(n) ? n : fallback;
}

/** mulberry32: a small seeded generator of numbers in [0, 1), good enough to vary test inputs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A command line for a line-protocol fuzzer: one of `words` as is (probability `plain`),
 * one with up to 7 random bytes spliced in (up to `plain + spliced`), or up to `junkMax`
 * random bytes.
 */
export function fuzzLine(
  random: () => number,
  words: readonly string[],
  options: { readonly plain: number; readonly spliced: number; readonly junkMax: number },
): Buffer {
  const bytes = (max: number): Buffer =>
    Buffer.from(Array.from({ length: Math.floor(random() * max) }, () => Math.floor(random() * 256)));
  const r = random();
  if (r < options.plain) return Buffer.from(words[Math.floor(random() * words.length)]!);
  if (r < options.plain + options.spliced) {
    const base = Buffer.from(words[Math.floor(random() * words.length)]!);
    const at = Math.floor(random() * (base.length + 1));
    return Buffer.concat([base.subarray(0, at), bytes(8), base.subarray(at)]);
  }
  return bytes(options.junkMax);
}
