/**
 * What this stack costs a month on AWS, for 1,000, 100,000 and 1,000,000 sellers, from its actual resources and
 * what the code does per operation. Every assumption is a named input; every price a dated constant.
 *
 *   npm run cost [-- --shopsPerSeller 1.5 --webhooksPerShopPerDay 30 --callerProcesses 4 ...]
 *   npm run cost -- --uncached [--credentialReadsPerShopPerDay 24]   callers that ask on every request
 */

/**
 * Prices of us-east-1, read 2026-11 from the AWS pricing pages of each service (API Gateway, Lambda, DynamoDB,
 * KMS, Secrets Manager, EventBridge, SQS, SNS, CloudWatch, X-Ray). Free tiers are left out: this is the bill of a
 * production account.
 */
export const PRICES_2026_11 = {
  httpApiPerMillion: 1.0, // first 300 million a month; 0.90 after
  httpApiPerMillionAbove300M: 0.9,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoWriteUnitPerMillion: 0.625, // on-demand
  dynamoReadUnitPerMillion: 0.125,
  dynamoStoragePerGbMonth: 0.25,
  dynamoPitrPerGbMonth: 0.2,
  kmsKeyPerMonth: 1.0,
  kmsPer10kRequests: 0.03,
  secretPerMonth: 0.4,
  secretsPer10kCalls: 0.05,
  eventBridgePerMillionEvents: 1.0, // custom events, 64 KB chunks
  eventBridgeArchivePerGb: 0.1,
  sqsPerMillionRequests: 0.4,
  schedulerPerMillion: 1.0,
  snsPerMillionPublishes: 0.5,
  logsIngestionPerGb: 0.5,
  logsStoragePerGbMonth: 0.03,
  customMetricPerMonth: 0.3,
  alarmPerMonth: 0.1,
  dashboardPerMonth: 3.0,
  xrayPerMillionTraces: 5.0,
} as const;

export interface Assumptions {
  readonly shopsPerSeller: number;
  readonly webhooksPerShopPerDay: number;
  /**
   * Whether the app's services read credentials through the client (`tiktok-shop-auth/client`), which keeps each
   * shop's until the service is due to refresh it, or ask the service on every request of theirs.
   */
  readonly caller: 'client' | 'uncached';
  /** Uncached callers only: how often they ask for a shop's credentials. */
  readonly credentialReadsPerShopPerDay: number;
  /** Client callers: the processes (containers, instances) that each need a given shop's credentials. */
  readonly callerProcesses: number;
  /** Client callers: how often a day each such process starts afresh with an empty cache (deploys, scaling, recycling). */
  readonly callerStartsPerDay: number;
  /**
   * Client callers: past the service's refresh point, the client keeps a token this long, then asks again, until the
   * refresh sweep (every `refreshSweepMinutes`) has replaced it.
   */
  readonly callerPastRefreshKeepMinutes: number;
  /** How often the refresh sweep runs. */
  readonly refreshSweepMinutes: number;
  /** Access tokens last 7 days and are refreshed 48 hours ahead: about every 5 days. */
  readonly refreshEveryDays: number;
  /** Authorizations (callbacks) per seller per year: the yearly renewal and a few re-authorizations. */
  readonly authorizationsPerSellerPerYear: number;
  /** X-Ray's share of requests traced (Lambda active tracing: 1 a second, then 5% by default). */
  readonly tracedShare: number;
  /** Time a warm container keeps its cached data keys and app secret before asking again. */
  readonly cacheMinutes: number;
  /**
   * Webhooks a shop gets a year that may change its grant (types 6 and 7): TikTok sends type 7 daily through the last
   * 30 days of an authorization, and a type 6 when the seller cancels.
   */
  readonly grantWebhooksPerShopPerYear: number;
  /** CloudWatch Logs bills stored logs by their compressed size: JSON log lines compress to about this share. */
  readonly logCompressedShare: number;
}

type FunctionName = 'webhook' | 'credentials' | 'callback' | 'refreshWorker' | 'sweeps' | 'sellerApi';

/** What a function costs per invocation, as the stack configures it. */
export interface FunctionProfile {
  readonly memoryMb: number;
  readonly durationMs: number;
  /** Log bytes per invocation: ours and the metrics (npm run bench:logs), plus Lambda's lines when kept. */
  readonly logBytes: number;
  /** Active X-Ray tracing. */
  readonly traced: boolean;
}

/** The HTTP API's access log line per request (its JSON format in ServiceApi: route, status, latencies, caller). */
const ACCESS_LOG_BYTES = 350;

/** Lambda's START and REPORT lines in JSON format, per invocation, unless the system log level drops them. */
const PLATFORM_LOG_BYTES = 600;

/** How the stack is built, as far as the bill goes. */
export interface StackProfile {
  /**
   * Durations: compute measured in local mode (npm run bench:webhooks, bench:load), plus an allowance for each AWS
   * call on the path (DynamoDB 6 ms, EventBridge 20 ms, KMS 10 ms, TikTok 250 ms), since local mode has none.
   */
  readonly functions: Record<FunctionName, FunctionProfile>;
  /** Where TikTok's webhooks arrive: a route of the HTTP API (charged per request) or the function's own URL (not). */
  readonly webhookEdge: 'http-api' | 'function-url';
  /** Which webhooks claim a receipt and complete it (two write units): every one, or those that may change a grant. */
  readonly webhookReceipts: 'every webhook' | 'grant-changing';
  /** How long log groups keep what they are sent. */
  readonly logRetentionMonths: number;
}

/** The functions as they are now: the hot paths log only their metrics and are not traced. */
const FUNCTIONS: StackProfile['functions'] = {
  // A webhook that changes no grant: the shop looked up, the event put.
  webhook: { memoryMb: 512, durationMs: 4 + 6 + 20, logBytes: 258, traced: false },
  credentials: { memoryMb: 256, durationMs: 3 + 2 * 6 + 10, logBytes: 0, traced: false },
  callback: {
    memoryMb: 256,
    durationMs: 15 + 8 * 6 + 2 * 250 + 10 + 20,
    logBytes: 1900 + PLATFORM_LOG_BYTES,
    traced: true,
  },
  refreshWorker: {
    memoryMb: 256,
    durationMs: 10 * (4 + 3 * 6 + 250 + 2 * 10 + 20),
    logBytes: 3000 + PLATFORM_LOG_BYTES,
    traced: true,
  },
  sweeps: { memoryMb: 256, durationMs: 500, logBytes: 1400 + PLATFORM_LOG_BYTES, traced: true },
  sellerApi: { memoryMb: 256, durationMs: 3 + 2 * 6, logBytes: 500 + PLATFORM_LOG_BYTES, traced: true },
};

/** The stack as it is now. */
export const STACK: StackProfile = {
  functions: FUNCTIONS,
  webhookEdge: 'function-url',
  webhookReceipts: 'grant-changing',
  logRetentionMonths: 12,
};

/**
 * The changes that took the bill down, each on top of the ones before it, from the stack before any of them: what
 * `npm run cost` prices one by one, and the README's table shows.
 */
export const SAVINGS: ReadonlyArray<{ readonly change: string; readonly stack: StackProfile }> = (() => {
  const start: StackProfile = {
    ...STACK,
    functions: {
      ...FUNCTIONS,
      webhook: { memoryMb: 512, durationMs: 4 + 3 * 6 + 20, logBytes: 703 + PLATFORM_LOG_BYTES, traced: true },
      credentials: { ...FUNCTIONS.credentials, logBytes: 420 + PLATFORM_LOG_BYTES, traced: true },
    },
    webhookEdge: 'http-api',
    webhookReceipts: 'every webhook',
    logRetentionMonths: 1,
  };
  const logCuts: StackProfile = {
    ...start,
    functions: {
      ...start.functions,
      webhook: { ...start.functions.webhook, logBytes: FUNCTIONS.webhook.logBytes, traced: false },
      credentials: FUNCTIONS.credentials,
    },
  };
  const yearOfLogs: StackProfile = { ...logCuts, logRetentionMonths: STACK.logRetentionMonths };
  const functionUrl: StackProfile = { ...yearOfLogs, webhookEdge: 'function-url' };
  return [
    { change: 'before the cuts (logs, traces, webhooks)', stack: start },
    { change: 'hot paths log only their metrics, untraced', stack: logCuts },
    { change: 'logs kept a year, not a month (Control Tower): more', stack: yearOfLogs },
    { change: "webhooks on the function's URL, not the HTTP API", stack: functionUrl },
    { change: 'receipts only for webhooks that may change a grant', stack: STACK },
  ];
})();

/** The stack before the log and tracing cuts. */
export const STACK_BEFORE_CUTS: StackProfile = SAVINGS[0]?.stack ?? STACK;

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  shopsPerSeller: 1.5,
  webhooksPerShopPerDay: 30,
  caller: 'client',
  credentialReadsPerShopPerDay: 24,
  callerProcesses: 4,
  callerStartsPerDay: 1,
  callerPastRefreshKeepMinutes: 5,
  refreshSweepMinutes: 30,
  refreshEveryDays: 5,
  authorizationsPerSellerPerYear: 1.5,
  tracedShare: 0.05,
  cacheMinutes: 5,
  grantWebhooksPerShopPerYear: 31,
  logCompressedShare: 0.15,
};

/**
 * What the transactional outbox adds per lifecycle event (a refresh, an authorization, a reminder, a claim, a
 * disconnection): the event rides in the write of its change (the item grows by about 0.4 KB and stays within the
 * same write units), enters the sparse ByPendingEvents index (1 WRU), and is taken off the item once delivered (an
 * UpdateItem of the grant, 2 WRU, and 1 WRU leaving the index). Forwarded webhooks do not use it: TikTok's retries
 * are their outbox. The recovery sweep runs every 5 minutes and queries 8 shards of an index that is empty unless
 * something failed.
 */
export const OUTBOX = { writeUnitsPerEvent: 4, sweepsPerMonth: 12 * 24 * 30.4, readUnitsPerSweep: 8 * 0.5 };
const NO_OUTBOX = { writeUnitsPerEvent: 0, sweepsPerMonth: 0, readUnitsPerSweep: 0 };

const DAYS_PER_MONTH = 30.4;

/**
 * The credential reads that reach the service, per shop and day. Uncached callers: as many as they make. Callers
 * through the client: each process asks once per token it keeps, and once more each time it starts afresh.
 *
 * How long a process keeps a token: until the service is due to refresh it (48 hours before its end), so each
 * process asks once per refresh, every `refreshEveryDays`. Past that point it asks every
 * `callerPastRefreshKeepMinutes` until the sweep has refreshed the token: half a sweep interval on average.
 */
export function credentialReadsPerShopPerDay(a: Assumptions): number {
  if (a.caller === 'uncached') return a.credentialReadsPerShopPerDay;
  const readsPerRefresh = 1 + a.refreshSweepMinutes / 2 / a.callerPastRefreshKeepMinutes;
  return a.callerProcesses * (readsPerRefresh / a.refreshEveryDays + a.callerStartsPerDay);
}
const SECONDS_PER_MONTH = DAYS_PER_MONTH * 86_400;

export interface Line {
  readonly service: string;
  readonly what: string;
  readonly dollars: number;
}

/**
 * The month's bill, line by line. Per operation, what the code does:
 * - webhook: 1 invocation through the function's URL (an API request when it was a route of the HTTP API); the shop
 *   looked up on its index (0.5 RRU); 1 event forwarded; the app secret cached. One that may change a grant (types
 *   6 and 7) also claims a receipt (PutItem, 1 WRU), completes it (UpdateItem, 1 WRU) and writes the grant (2 WRU);
 *   before, every webhook claimed and completed one.
 * - credentials read: 1 API request, 1 invocation; the shop on its index (0.5 RRU), the grant read strongly
 *   consistent (1 RRU); 1 KMS Decrypt unless the container opened this seller's data key within the cache time.
 * - refresh (per seller, every refreshEveryDays): a message sent, received and deleted (0.3 SQS requests with
 *   batching); a tenth of a worker invocation (batches of 10); the lease (UpdateItem, 1 WRU), the write of the new
 *   tokens (2 WRU for a 1.5 KB item, plus 2 WRU in the refresh index whose key moves, plus 1 in the status index);
 *   the sweep's mark that the grant is queued (UpdateItem, 2 WRU for the 1.5 KB item); the circuit breaker's item
 *   read (1 RRU, strongly consistent); KMS Decrypt of the refresh token and GenerateDataKey for the new ones (2);
 *   1 event.
 * - callback (authorizationsPerSellerPerYear): 1 request and invocation; about 10 WRU and 3 RRU; 1 KMS call; 1 event.
 * - reminders: three a year per seller (1 event, 1 SNS publish, a link's state written: 2 WRU).
 * - storage: a grant (1.5 KB), its shops (0.5 KB each), index copies (0.6 KB), and webhook receipts for 14 days
 *   (0.2 KB each); point-in-time recovery on all of it.
 */
export function monthlyBill(
  sellers: number,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
  stack: StackProfile = STACK,
  prices = PRICES_2026_11,
  outbox: typeof OUTBOX = OUTBOX,
): Line[] {
  const FUNCTIONS = stack.functions;
  const shops = sellers * a.shopsPerSeller;
  const webhooks = shops * a.webhooksPerShopPerDay * DAYS_PER_MONTH;
  const readsPerShopPerDay = credentialReadsPerShopPerDay(a);
  const credentialReads = shops * readsPerShopPerDay * DAYS_PER_MONTH;
  const refreshes = (sellers * DAYS_PER_MONTH) / a.refreshEveryDays;
  const callbacks = (sellers * a.authorizationsPerSellerPerYear) / 12;
  const reminders = (sellers * 3) / 12;
  const sweeps = 30 * 24 * 2 + 30 + outbox.sweepsPerMonth;
  const outboxEvents = refreshes + callbacks + reminders;

  const invocations: Record<FunctionName, number> = {
    webhook: webhooks,
    credentials: credentialReads,
    callback: callbacks,
    refreshWorker: refreshes / 10,
    sweeps,
    sellerApi: callbacks * 2,
  };
  const apiRequests = (stack.webhookEdge === 'http-api' ? webhooks : 0) + credentialReads + callbacks * 3;
  // A receipt's claim and completion (2 write units); a grant-changing webhook also updates the grant (2).
  const grantWebhooks = Math.min(webhooks, (shops * a.grantWebhooksPerShopPerYear) / 12);
  const receipted = stack.webhookReceipts === 'every webhook' ? webhooks : grantWebhooks;

  // A container serves a given seller again within the cache time only if that seller's reads are that frequent
  // and land on it: the share of reads finding their data key cached.
  const readsPerShopPerCacheWindow = (readsPerShopPerDay * a.cacheMinutes) / (24 * 60);
  const warmContainers = Math.max(
    1,
    (credentialReads / SECONDS_PER_MONTH) * (FUNCTIONS.credentials.durationMs / 1000) * 3,
  );
  const cacheHitShare = Math.min(1, readsPerShopPerCacheWindow / warmContainers);
  const kmsRequests = credentialReads * (1 - cacheHitShare) + refreshes * 2 + callbacks;
  const concurrentContainers = (Object.keys(FUNCTIONS) as FunctionName[]).reduce(
    (total, name) =>
      total + Math.max(1, (invocations[name] / SECONDS_PER_MONTH) * (FUNCTIONS[name].durationMs / 1000) * 3),
    0,
  );
  const secretCalls = concurrentContainers * ((60 / a.cacheMinutes) * 24 * DAYS_PER_MONTH);

  const writeUnits =
    receipted * 2 +
    grantWebhooks * 2 +
    refreshes * (1 + 2 + 2 + 1 + 2) +
    callbacks * 10 +
    reminders * 2 +
    outboxEvents * outbox.writeUnitsPerEvent;
  const readUnits =
    webhooks * 0.5 +
    credentialReads * 1.5 +
    refreshes * 2 +
    callbacks * 3 +
    sellers * 0.02 +
    outbox.sweepsPerMonth * outbox.readUnitsPerSweep;
  const receiptsKept = (receipted / DAYS_PER_MONTH) * 14;
  const storageGb = (sellers * (1.5 + 0.6) + shops * 0.5 + receiptsKept * 0.2) / 1024 / 1024;
  const events = webhooks + refreshes + callbacks + reminders;
  const names = Object.keys(FUNCTIONS) as FunctionName[];
  const logGb =
    (names.reduce((total, name) => total + invocations[name] * FUNCTIONS[name].logBytes, 0) +
      apiRequests * ACCESS_LOG_BYTES) /
    1024 ** 3;
  // At a steady state, the log groups hold as many months of logs as they keep.
  const logStoredGb = logGb * stack.logRetentionMonths * a.logCompressedShare;
  const traces = names.reduce(
    (total, name) => total + (FUNCTIONS[name].traced ? invocations[name] * a.tracedShare : 0),
    0,
  );
  const gbSeconds = (Object.keys(FUNCTIONS) as FunctionName[]).reduce(
    (total, name) =>
      total + invocations[name] * (FUNCTIONS[name].durationMs / 1000) * (FUNCTIONS[name].memoryMb / 1024),
    0,
  );
  const allInvocations = Object.values(invocations).reduce((total, count) => total + count, 0);
  const httpApi =
    (Math.min(apiRequests, 300e6) * prices.httpApiPerMillion) / 1e6 +
    (Math.max(0, apiRequests - 300e6) * prices.httpApiPerMillionAbove300M) / 1e6;

  return [
    { service: 'API Gateway', what: `${fmt(apiRequests)} HTTP API requests`, dollars: httpApi },
    {
      service: 'Lambda',
      what: `${fmt(allInvocations)} invocations`,
      dollars: (allInvocations / 1e6) * prices.lambdaPerMillionRequests,
    },
    {
      service: 'Lambda',
      what: `${fmt(gbSeconds)} GB-seconds on ARM`,
      dollars: gbSeconds * prices.lambdaArmPerGbSecond,
    },
    {
      service: 'DynamoDB',
      what: `${fmt(writeUnits)} write units`,
      dollars: (writeUnits / 1e6) * prices.dynamoWriteUnitPerMillion,
    },
    {
      service: 'DynamoDB',
      what: `${fmt(readUnits)} read units`,
      dollars: (readUnits / 1e6) * prices.dynamoReadUnitPerMillion,
    },
    {
      service: 'DynamoDB',
      what: `${storageGb.toFixed(1)} GB stored, with point-in-time recovery`,
      dollars: storageGb * (prices.dynamoStoragePerGbMonth + prices.dynamoPitrPerGbMonth),
    },
    {
      service: 'KMS',
      what: `4 keys, ${fmt(kmsRequests)} requests (${(cacheHitShare * 100).toFixed(0)}% of credential reads cached)`,
      dollars: 4 * prices.kmsKeyPerMonth + (kmsRequests / 1e4) * prices.kmsPer10kRequests,
    },
    {
      service: 'Secrets Manager',
      what: `1 secret, ${fmt(secretCalls)} reads after caching`,
      dollars: prices.secretPerMonth + (secretCalls / 1e4) * prices.secretsPer10kCalls,
    },
    {
      service: 'EventBridge',
      what: `${fmt(events)} events, archived`,
      dollars:
        (events / 1e6) * prices.eventBridgePerMillionEvents +
        ((events * 0.6) / 1024 / 1024) * prices.eventBridgeArchivePerGb,
    },
    {
      service: 'SQS and Scheduler',
      what: `${fmt(refreshes * 0.3)} SQS requests, ${fmt(sweeps)} schedules`,
      dollars: ((refreshes * 0.3) / 1e6) * prices.sqsPerMillionRequests + (sweeps / 1e6) * prices.schedulerPerMillion,
    },
    {
      service: 'SNS',
      what: `${fmt(reminders)} reminders for people`,
      dollars: (reminders / 1e6) * prices.snsPerMillionPublishes,
    },
    {
      service: 'CloudWatch Logs',
      what: `${logGb.toFixed(1)} GB ingested a month, ${logStoredGb.toFixed(0)} GB stored (${stack.logRetentionMonths} months, compressed)`,
      dollars: logGb * prices.logsIngestionPerGb + logStoredGb * prices.logsStoragePerGbMonth,
    },
    {
      service: 'CloudWatch',
      what: '51 custom metrics, 22 alarms, 1 dashboard',
      dollars: 51 * prices.customMetricPerMonth + 22 * prices.alarmPerMonth + prices.dashboardPerMonth,
    },
    { service: 'X-Ray', what: `${fmt(traces)} traces`, dollars: (traces / 1e6) * prices.xrayPerMillionTraces },
  ];
}

function fmt(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)} billion`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} million`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} thousand`;
  return value.toFixed(0);
}

const money = (dollars: number) =>
  `$${dollars.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function parseAssumptions(argv: readonly string[]): Assumptions {
  const assumptions: Record<string, unknown> = { ...DEFAULT_ASSUMPTIONS };
  const numeric = argv.filter((arg) => arg !== '--uncached');
  if (numeric.length < argv.length) assumptions.caller = 'uncached';
  for (let i = 0; i < numeric.length; i += 2) {
    const key = numeric[i]?.replace(/^--/, '') ?? '';
    const value = Number(numeric[i + 1]);
    if (!(key in DEFAULT_ASSUMPTIONS) || typeof assumptions[key] !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(
        `unknown or invalid assumption --${key}; the numeric ones are: ${Object.entries(DEFAULT_ASSUMPTIONS)
          .filter(([, v]) => typeof v === 'number')
          .map(([k]) => k)
          .join(', ')}; and --uncached`,
      );
    }
    assumptions[key] = value;
  }
  return assumptions as unknown as Assumptions;
}

const total = (lines: readonly Line[]) => lines.reduce((sum, line) => sum + line.dollars, 0);
const perSellerMonth = (dollars: number, sellers: number) => `$${(dollars / sellers).toFixed(4)}`;

function main() {
  const assumptions = parseAssumptions(process.argv.slice(2));
  console.log('Monthly AWS bill of one tiktok-shop-auth stack (us-east-1 prices of 2026-11, no free tier)\n');
  console.log('Assumptions:', JSON.stringify(assumptions));
  console.log('Stack:', JSON.stringify(STACK));
  const other: Assumptions = { ...assumptions, caller: assumptions.caller === 'client' ? 'uncached' : 'client' };
  const reads = (a: Assumptions) =>
    `${a.caller === 'client' ? 'callers through the client' : 'callers asking on every request (--uncached)'}: ${credentialReadsPerShopPerDay(a).toFixed(2)} credential reads a shop a day`;
  console.log(`Credentials: ${reads(assumptions)} (else, ${reads(other)})\n`);
  for (const sellers of [1_000, 100_000, 1_000_000]) {
    const lines = monthlyBill(sellers, assumptions);
    const bill = total(lines);
    const withoutOutbox = monthlyBill(sellers, assumptions, STACK, PRICES_2026_11, NO_OUTBOX);
    const writes = (bill: Line[]) => bill.find((line) => line.what.endsWith('write units'));
    const biggest = [...lines].sort((a, b) => b.dollars - a.dollars)[0];
    console.log(
      `${sellers.toLocaleString('en-US')} sellers: ${money(bill)} a month, ${perSellerMonth(bill, sellers)} a seller-month, ${money((1000 * bill) / sellers)} per 1,000 sellers`,
    );
    console.log(
      `  with ${other.caller === 'client' ? 'callers through the client' : 'uncached callers'}: ${money(total(monthlyBill(sellers, other)))}`,
    );
    console.log(
      `  the outbox: DynamoDB ${writes(withoutOutbox)?.what} -> ${writes(lines)?.what}; the bill ${money(total(withoutOutbox))} without it`,
    );
    for (const line of lines)
      console.log(`  ${line.service.padEnd(18)} ${money(line.dollars).padStart(12)}  ${line.what}`);
    console.log(
      `  biggest line: ${biggest?.service} (${biggest?.what}), ${((100 * (biggest?.dollars ?? 0)) / bill).toFixed(0)}% of the bill\n`,
    );
  }
  const sellers = 1_000_000;
  const busy: Assumptions = { ...assumptions, webhooksPerShopPerDay: 100 };
  console.log(`What each change bought, at a million sellers, each on top of those above it (a seller-month):`);
  console.log(
    `  ${'change'.padEnd(54)} ${`${assumptions.webhooksPerShopPerDay} webhooks a shop a day`.padStart(28)} ${'100 webhooks a shop a day'.padStart(28)}`,
  );
  for (const { change, stack } of SAVINGS) {
    const [usual, many] = [monthlyBill(sellers, assumptions, stack), monthlyBill(sellers, busy, stack)].map(total);
    const cell = (dollars = 0) => `${money(dollars)} ${perSellerMonth(dollars, sellers)}`.padStart(28);
    console.log(`  ${change.padEnd(54)} ${cell(usual)} ${cell(many)}`);
  }
}

if (process.argv[1]?.endsWith('cost-model.ts')) main();
