/** Runs `task` over `items` with at most `limit` at a time, and returns the results in the items' order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * At most `size` holders at a time, the others served in the order they asked. Unlike `mapWithConcurrency`, one
 * limit can be shared by several callers (the refresh worker's invocations in local mode), and a holder may give
 * its slot back before its task ends.
 */
export class ConcurrencyLimit {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    this.free = Math.max(1, size);
  }

  /** Waits for a slot; the function returned gives it back, once however often it is called. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // A slot given back goes straight to the next in line, so nobody who asked later overtakes them.
      if (next) next();
      else this.free++;
    };
  }
}
