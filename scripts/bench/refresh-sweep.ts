/**
 * What the refresh and reminder sweeps cost as the table grows, and how fast queued refreshes go. Prints figures;
 * asserts nothing.
 *
 * 1. Items read by each sweep with 10,000 and then 100,000 grants stored, 1,000 of them due, next to what one
 *    full Scan reads: the sweeps read index entries of the grants due, not the grants stored.
 * 2. Refreshing queued grants against the sandbox at a fixed latency, next to the ideal count x latency /
 *    concurrency: the whole job, and the worker's part alone.
 *
 *   npm run bench:refresh [-- --stored 100000 --due 1000 --refreshes 200 --latency 50]
 */
import { BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createGrantTable } from '../../lambdas/adapters/dynamodb/create-table';
import { DynamoDbGrantStore } from '../../lambdas/adapters/dynamodb/dynamodb-grant-store';
import { grantAttributes, grantKey } from '../../lambdas/adapters/dynamodb/items';
import { sealedTokenSchema } from '../../lambdas/domain/model';
import { mapWithConcurrency } from '../../lambdas/shared/concurrency';
import { argument, connectSandboxSeller, quietPowertools } from './bench-kit';
import { printTable } from './stats';

quietPowertools();

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Counts what DynamoDB reads for each request of this client (ScannedCount of Query and Scan). */
function countReads(client: DynamoDBDocumentClient) {
  const counter = { itemsRead: 0, requests: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const output = result.output as { ScannedCount?: number };
      counter.requests++;
      counter.itemsRead += output.ScannedCount ?? 0;
      return result;
    },
    { step: 'initialize', name: 'countReads' },
  );
  return counter;
}

async function seed(
  client: DynamoDBDocumentClient,
  tableName: string,
  from: number,
  to: number,
  due: (i: number) => boolean,
  now: number,
) {
  const sealed = sealedTokenSchema.parse('v1.a2V5.aXY.Ym9keQ');
  const items = (i: number) => ({
    ...grantKey(`seller-${i}`),
    ...grantAttributes({
      openId: `seller-${i}`,
      sellerName: `Seller ${i}`,
      baseRegion: 'GB',
      userType: 0,
      scopes: ['seller.authorization.info'],
      accountId: `account-${i}`,
      status: 'ACTIVE',
      accessToken: sealed,
      refreshToken: sealed,
      // Due grants expire within the 48-hour window; the rest in 3 to 7 days.
      accessTokenExpiresAt: new Date(now + (due(i) ? (i % 47) * HOUR + HOUR : 3 * DAY + (i % 96) * HOUR)),
      // Authorizations spread over a year: about a twelfth end within the reminder horizon.
      authorizationExpiresAt: new Date(now + 2 * DAY + (i % 365) * DAY),
      authorizedAt: new Date(now - 30 * DAY),
      refreshFailures: 0,
      remindersSent: [],
      outbox: [],
    }),
    version: 1,
  });
  const batches: number[][] = [];
  for (let start = from; start < to; start += 25)
    batches.push(Array.from({ length: Math.min(25, to - start) }, (_, k) => start + k));
  await mapWithConcurrency(batches, 8, async (batch) => {
    let requests = batch.map((i) => ({
      PutRequest: { Item: Object.fromEntries(Object.entries(items(i)).filter(([, v]) => v !== undefined)) },
    }));
    while (requests.length) {
      const { UnprocessedItems } = await client.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
      );
      requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  });
}

/** What a sweep without an index would read: the whole table. */
async function fullScanReads(client: DynamoDBDocumentClient, tableName: string, counter: { itemsRead: number }) {
  counter.itemsRead = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, Select: 'COUNT', ExclusiveStartKey: startKey }),
    );
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return counter.itemsRead;
}

async function sweepReads(
  store: DynamoDbGrantStore,
  counter: { itemsRead: number; requests: number },
  list: 'due' | 'ending',
  before: Date,
) {
  counter.itemsRead = 0;
  counter.requests = 0;
  let found = 0;
  let cursor: string | undefined;
  const started = performance.now();
  do {
    const page =
      list === 'due'
        ? await store.listDueForRefresh(before, cursor)
        : await store.listAuthorizationsEndingBefore(before, cursor);
    found += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  return { found, itemsRead: counter.itemsRead, requests: counter.requests, ms: performance.now() - started };
}

async function sweepCosts(stored: number, due: number) {
  const { startDynalite } = await import('../../local/embedded-dynamodb');
  const dynamo = await startDynalite();
  const tableName = 'bench-grants';
  try {
    await createGrantTable(dynamo.client, tableName);
    const counter = countReads(dynamo.documentClient);
    const store = new DynamoDbGrantStore({ client: dynamo.documentClient, tableName });
    const now = Date.now();
    // The first tenth holds every due grant; the rest only adds grants that are not due.
    const first = Math.floor(stored / 10);
    const every = Math.max(1, Math.floor(first / due));
    const isDue = (i: number) => i < first && i % every === 0;
    const rows: string[][] = [
      ['grants stored', 'sweep', 'grants found', 'items read', 'queries', 'time', 'one full Scan reads'],
    ];
    let seeded = 0;
    for (const size of [first, stored]) {
      const started = performance.now();
      await seed(dynamo.documentClient, tableName, seeded, size, isDue, now);
      seeded = size;
      console.log(
        `  seeded ${size.toLocaleString('en')} grants (${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
      const scanRead = await fullScanReads(dynamo.documentClient, tableName, counter);
      const refresh = await sweepReads(store, counter, 'due', new Date(now + 48 * HOUR));
      const reminders = await sweepReads(store, counter, 'ending', new Date(now + 31 * DAY));
      for (const [name, result] of [
        ['refresh', refresh],
        ['reminders', reminders],
      ] as const) {
        rows.push([
          size.toLocaleString('en'),
          name,
          result.found.toLocaleString('en'),
          result.itemsRead.toLocaleString('en'),
          String(result.requests),
          `${result.ms.toFixed(0)} ms`,
          scanRead.toLocaleString('en'),
        ]);
      }
    }
    console.log('\nSweep reads against grants stored (dynalite, the real query paths of the store):\n');
    printTable(rows);
  } finally {
    await dynamo.stop();
  }
}

async function refreshThroughput(count: number, latencyMs: number) {
  const { startLocalService } = await import('../../local/local-service');
  const { drainRefreshQueue } = await import('../../local/local-jobs');
  const { enqueueDueGrants } = await import('../../lambdas/domain/token-refresh');
  const { tokenRefreshSettings } = await import('../../lambdas/shared/config');
  let offset = 0;
  const clock = {
    now: () => new Date(Date.now() + offset),
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  };
  const service = await startLocalService({ port: 0, env: {}, clock, schedules: false });
  try {
    const [template] = service.sandbox.listSellers();
    const [shop] = template?.shops ?? [];
    if (!template || !shop) throw new Error('the sandbox has no seller with a shop');
    for (let i = 0; i < count; i++) {
      const openId = `bench-${i}`;
      service.sandbox.addSeller({
        ...template,
        openId,
        shops: [{ ...shop, id: `7496${String(i).padStart(15, '0')}` }],
      });
      await connectSandboxSeller(service, openId);
    }
    offset = 6 * DAY;
    service.sandbox.setLatency(latencyMs);
    const settings = tokenRefreshSettings(service.env);
    // The sweep and the worker timed apart: on AWS they are separate functions, and only the worker's refreshes are
    // held to TikTok's limit. The event loop's busy share says whether a run was bound by this machine's CPU (the
    // local DynamoDB and the sandbox share the thread) rather than by the limit.
    const started = performance.now();
    const sweep = await enqueueDueGrants({ ...service.dependencies, queue: service.queue }, settings);
    const swept = performance.now();
    const loop = performance.eventLoopUtilization();
    // The worker's TikTok calls as it sees them: how long each took (the sandbox's latency, plus HTTP on a loop it
    // shares with the local DynamoDB), and how many were in flight at once.
    const calls = { count: 0, totalMs: 0, inFlight: 0, mostInFlight: 0 };
    const tiktok = service.dependencies.tiktok;
    const timedTikTok = {
      ...tiktok,
      exchangeAuthCode: (code: string) => tiktok.exchangeAuthCode(code),
      getAuthorizedShops: (token: string) => tiktok.getAuthorizedShops(token),
      refreshTokens: async (refreshToken: string) => {
        const callStarted = performance.now();
        calls.mostInFlight = Math.max(calls.mostInFlight, ++calls.inFlight);
        try {
          return await tiktok.refreshTokens(refreshToken);
        } finally {
          calls.inFlight--;
          calls.count++;
          calls.totalMs += performance.now() - callStarted;
        }
      },
    };
    const outcomes = await drainRefreshQueue({ ...service.dependencies, tiktok: timedTikTok }, service.queue, settings);
    const finished = performance.now();
    const workerLoopBusy = performance.eventLoopUtilization(loop).utilization;
    const refreshed = outcomes.refreshed ?? 0;
    if (sweep.enqueued !== count || refreshed !== count) {
      throw new Error(`expected ${count} refreshes, enqueued ${sweep.enqueued} and refreshed ${refreshed}`);
    }
    const ideal = (refreshed * latencyMs) / settings.concurrency;
    const row = (part: string, elapsed: number, loopBusy?: number) => [
      part,
      `${elapsed.toFixed(0)} ms`,
      (refreshed / (elapsed / 1000)).toFixed(1),
      `${ideal.toFixed(0)} ms`,
      `${(elapsed / ideal).toFixed(2)}x`,
      `${((ideal / elapsed) * 100).toFixed(0)}%`,
      loopBusy === undefined ? '' : `${(loopBusy * 100).toFixed(0)}%`,
    ];
    console.log(
      `\nRefresh throughput against the sandbox at ${latencyMs} ms per TikTok call, ${refreshed} grants, concurrency ${settings.concurrency}:\n`,
    );
    printTable([
      [
        'part',
        'elapsed',
        'per second',
        'ideal (count x latency / concurrency)',
        'elapsed vs ideal',
        'of ideal',
        'event loop busy',
      ],
      row('sweep and worker', finished - started),
      row('worker only', finished - swept, workerLoopBusy),
    ]);
    const callMs = calls.totalMs / Math.max(1, calls.count);
    const callIdeal = (refreshed * callMs) / settings.concurrency;
    console.log(
      `\nTikTok calls as the worker saw them: ${calls.count}, ${callMs.toFixed(1)} ms each on average (the sandbox waits ${latencyMs} ms), at most ${calls.mostInFlight} at once; at that call time the ideal is ${callIdeal.toFixed(0)} ms, and the worker took ${((finished - swept) / callIdeal).toFixed(2)}x that.`,
    );
  } finally {
    await service.stop();
  }
}

async function main() {
  const stored = argument('stored', 100_000);
  const due = argument('due', 1_000);
  console.log(`Node ${process.version}, ${process.platform}/${process.arch}`);
  await sweepCosts(stored, due);
  await refreshThroughput(argument('refreshes', 200), argument('latency', 50));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
