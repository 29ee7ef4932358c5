import { ConcurrencyLimit, mapWithConcurrency } from '../../../lambdas/shared/concurrency';

/** Lets every promise callback already due run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('mapWithConcurrency', () => {
  it('runs at most `limit` tasks at once and keeps the results in the items’ order', async () => {
    let running = 0;
    let most = 0;

    const results = await mapWithConcurrency([1, 2, 3, 4, 5], 2, async (n) => {
      most = Math.max(most, ++running);
      await settle();
      running--;
      return n * 10;
    });

    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(most).toBe(2);
  });
});

describe('ConcurrencyLimit', () => {
  it('lets `size` holders in and keeps the next waiting until a slot is given back', async () => {
    const limit = new ConcurrencyLimit(2);
    const first = await limit.acquire();
    await limit.acquire();
    let third = false;

    const waiting = limit.acquire().then(() => {
      third = true;
    });
    await settle();
    expect(third).toBe(false);
    first();
    await waiting;

    expect(third).toBe(true);
  });

  it('serves those waiting in the order they asked', async () => {
    const limit = new ConcurrencyLimit(1);
    const release = await limit.acquire();
    const served: string[] = [];

    const a = limit.acquire().then((done) => {
      served.push('a');
      done();
    });
    const b = limit.acquire().then((done) => {
      served.push('b');
      done();
    });
    release();
    await Promise.all([a, b]);

    expect(served).toEqual(['a', 'b']);
  });

  it('frees one slot however often a holder gives it back', async () => {
    const limit = new ConcurrencyLimit(1);
    const release = await limit.acquire();
    release();
    release();
    await limit.acquire();
    let another = false;

    void limit.acquire().then(() => {
      another = true;
    });
    await settle();

    expect(another).toBe(false);
  });
});
