import type * as fc from 'fast-check';

/**
 * Runs concurrent operations one port call at a time, in an order fast-check's scheduler draws. Every call through
 * a port made with `port()` waits at a gate; once every operation still running waits at one, the scheduler opens
 * exactly one, whose call then runs to completion against the real store before the next choice. So each run is
 * one interleaving of the operations' store, TikTok and bus calls, reproducible from fast-check's seed, and
 * shrunk like any other counterexample.
 */
export class Interleaving {
  private running = 0;

  constructor(private readonly scheduler: fc.Scheduler) {}

  /** `target` with each method call a step that the scheduler orders. */
  port<T extends object>(target: T, name: string): T {
    return new Proxy(target, {
      get: (object, key, receiver) => {
        const value = Reflect.get(object, key, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await this.scheduler.schedule(Promise.resolve(), `${name}.${String(key)}`);
          return value.apply(object, args);
        };
      },
    });
  }

  /** Runs the operations together and settles each, whatever the others do. */
  async run<T extends ReadonlyArray<() => Promise<unknown>>>(
    operations: T,
  ): Promise<{ -readonly [K in keyof T]: PromiseSettledResult<Awaited<ReturnType<T[K]>>> }> {
    this.running = operations.length;
    const settled: Promise<unknown> = Promise.allSettled(
      operations.map((operation) =>
        operation().finally(() => {
          this.running--;
        }),
      ),
    );
    for (;;) {
      // Real I/O happens between gates: wait until every operation still running stands at one.
      while (this.running > 0 && this.scheduler.count() < this.running) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.running === 0) break;
      await this.scheduler.waitNext(1);
    }
    // allSettled keeps each operation's place; only its tuple type is lost on the way.
    return settled as Promise<{ -readonly [K in keyof T]: PromiseSettledResult<Awaited<ReturnType<T[K]>>> }>;
  }
}
