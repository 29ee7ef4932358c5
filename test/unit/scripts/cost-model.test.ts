import {
  credentialReadsPerShopPerDay,
  DEFAULT_ASSUMPTIONS,
  type Line,
  monthlyBill,
  OUTBOX,
  PRICES_2026_11,
  parseAssumptions,
  SAVINGS,
  STACK,
  STACK_BEFORE_CUTS,
} from '../../../scripts/cost-model';

const total = (lines: Line[]) => lines.reduce((sum, line) => sum + line.dollars, 0);
const line = (lines: Line[], service: string, what: RegExp) =>
  lines.find((candidate) => candidate.service === service && what.test(candidate.what))?.dollars ?? Number.NaN;

describe('the cost model', () => {
  it('grows with the sellers, but less than in proportion (fixed costs are shared)', () => {
    const [small, large] = [monthlyBill(1_000), monthlyBill(1_000_000)];

    expect(total(large)).toBeGreaterThan(total(small) * 100);
    expect(total(large) / 1_000_000).toBeLessThan(total(small) / 1_000);
  });

  it('prices a webhook that changes no grant as one event and a shop lookup: no write, no API request', () => {
    const few = { ...DEFAULT_ASSUMPTIONS, webhooksPerShopPerDay: 1 };
    const more = { ...DEFAULT_ASSUMPTIONS, webhooksPerShopPerDay: 2 };
    const [one, two] = [monthlyBill(100_000, few), monthlyBill(100_000, more)];
    const webhooks = 100_000 * DEFAULT_ASSUMPTIONS.shopsPerSeller * 30.4;

    expect(line(two, 'DynamoDB', /write units/)).toBeCloseTo(line(one, 'DynamoDB', /write units/), 6);
    expect(line(two, 'DynamoDB', /read units/) - line(one, 'DynamoDB', /read units/)).toBeCloseTo(
      (webhooks * 0.5 * 0.125) / 1e6,
      6,
    );
    expect(line(two, 'EventBridge', /events/) - line(one, 'EventBridge', /events/)).toBeGreaterThan(webhooks / 1e6);
    expect(line(two, 'API Gateway', /requests/)).toBeCloseTo(line(one, 'API Gateway', /requests/), 6);
  });

  it('prices a webhook that may change a grant as a receipt claimed and completed and a grant written', () => {
    const none = monthlyBill(100_000, { ...DEFAULT_ASSUMPTIONS, grantWebhooksPerShopPerYear: 0 });
    const some = monthlyBill(100_000, { ...DEFAULT_ASSUMPTIONS, grantWebhooksPerShopPerYear: 12 });
    const grantWebhooks = 100_000 * DEFAULT_ASSUMPTIONS.shopsPerSeller;

    expect(line(some, 'DynamoDB', /write units/) - line(none, 'DynamoDB', /write units/)).toBeCloseTo(
      (grantWebhooks * 4 * 0.625) / 1e6,
      6,
    );
  });

  it('prices the stack before its webhook changes with an API request and two writes for every webhook', () => {
    const [before] = SAVINGS.filter(({ stack }) => stack.webhookEdge === 'http-api');
    const stack = before?.stack ?? STACK;
    const few = monthlyBill(100_000, { ...DEFAULT_ASSUMPTIONS, webhooksPerShopPerDay: 1 }, stack);
    const more = monthlyBill(100_000, { ...DEFAULT_ASSUMPTIONS, webhooksPerShopPerDay: 2 }, stack);
    const webhooks = 100_000 * DEFAULT_ASSUMPTIONS.shopsPerSeller * 30.4;

    expect(line(more, 'DynamoDB', /write units/) - line(few, 'DynamoDB', /write units/)).toBeCloseTo(
      (webhooks * 2 * 0.625) / 1e6,
      6,
    );
    expect(line(more, 'API Gateway', /requests/) - line(few, 'API Gateway', /requests/)).toBeCloseTo(webhooks / 1e6, 6);
  });

  it("meets issue 15's targets with the defaults: under $0.004 a seller-month at a million sellers, $0.01 at 100 webhooks a shop a day", () => {
    const sellerMonth = (assumptions: typeof DEFAULT_ASSUMPTIONS) => total(monthlyBill(1_000_000, assumptions)) / 1e6;

    expect(sellerMonth(DEFAULT_ASSUMPTIONS)).toBeLessThan(0.004);
    expect(sellerMonth({ ...DEFAULT_ASSUMPTIONS, webhooksPerShopPerDay: 100 })).toBeLessThan(0.01);
    const totals = SAVINGS.map(({ stack }) => total(monthlyBill(1_000_000, DEFAULT_ASSUMPTIONS, stack)));
    // Every change lowers the bill but keeping logs a year, which Control Tower asks for.
    const changed = totals.slice(1).map((after, i) => (after < (totals[i] ?? 0) ? 'less' : 'more'));
    expect(changed).toEqual(['less', 'more', 'less', 'less']);
    expect(SAVINGS.at(-1)?.stack).toBe(STACK);
  });

  it('keeps a year of logs, stored compressed', () => {
    const month = monthlyBill(100_000, DEFAULT_ASSUMPTIONS, { ...STACK, logRetentionMonths: 1 });
    const year = monthlyBill(100_000, DEFAULT_ASSUMPTIONS, STACK);

    expect(line(year, 'CloudWatch Logs', /GB/)).toBeGreaterThan(line(month, 'CloudWatch Logs', /GB/));
    expect(STACK.logRetentionMonths).toBe(12);
  });

  it('prices the outbox as four write units per lifecycle event (refreshes, authorizations, reminders)', () => {
    const none = { writeUnitsPerEvent: 0, sweepsPerMonth: OUTBOX.sweepsPerMonth, readUnitsPerSweep: 0 };
    const sellers = 100_000;
    const events = (sellers * 30.4) / DEFAULT_ASSUMPTIONS.refreshEveryDays + (sellers * 1.5) / 12 + (sellers * 3) / 12;

    const withOutbox = monthlyBill(sellers, DEFAULT_ASSUMPTIONS, STACK, PRICES_2026_11, OUTBOX);
    const without = monthlyBill(sellers, DEFAULT_ASSUMPTIONS, STACK, PRICES_2026_11, { ...OUTBOX, ...none });

    expect(line(withOutbox, 'DynamoDB', /write units/) - line(without, 'DynamoDB', /write units/)).toBeCloseTo(
      (events * 4 * 0.625) / 1e6,
      6,
    );
  });

  it('shows the log and tracing cuts of the hot paths as a smaller bill', () => {
    const now = monthlyBill(1_000_000, DEFAULT_ASSUMPTIONS, STACK);
    const before = monthlyBill(1_000_000, DEFAULT_ASSUMPTIONS, STACK_BEFORE_CUTS);

    expect(line(now, 'CloudWatch Logs', /GB/)).toBeLessThan(line(before, 'CloudWatch Logs', /GB/) / 5);
    expect(line(now, 'X-Ray', /traces/)).toBeLessThan(line(before, 'X-Ray', /traces/) / 100);
  });

  it('makes KMS follow the credential reads the app makes', () => {
    const uncached = { ...DEFAULT_ASSUMPTIONS, caller: 'uncached' } as const;
    const hourly = monthlyBill(1_000_000, { ...uncached, credentialReadsPerShopPerDay: 24 });
    const cached = monthlyBill(1_000_000, { ...uncached, credentialReadsPerShopPerDay: 2 });

    expect(line(cached, 'KMS', /requests/)).toBeLessThan(line(hourly, 'KMS', /requests/) / 5);
  });

  it('has callers read through the client by default: per process, once per refresh, the re-reads until the sweep has refreshed, and once per start', () => {
    // Past the refresh point the client asks every 5 minutes; the sweep (every 30) refreshes 15 minutes in on average.
    const perRefresh = 1 + 15 / 5;

    expect(DEFAULT_ASSUMPTIONS.caller).toBe('client');
    expect(credentialReadsPerShopPerDay(DEFAULT_ASSUMPTIONS)).toBeCloseTo(4 * (perRefresh / 5 + 1), 10);
    expect(credentialReadsPerShopPerDay({ ...DEFAULT_ASSUMPTIONS, callerProcesses: 1, callerStartsPerDay: 0 })).toBe(
      perRefresh / 5,
    );
  });

  it('reads less past the refresh point when the sweep runs more often', () => {
    const often = { ...DEFAULT_ASSUMPTIONS, callerProcesses: 1, callerStartsPerDay: 0, refreshSweepMinutes: 10 };

    expect(credentialReadsPerShopPerDay(often)).toBeCloseTo((1 + 1) / 5, 12);
  });

  it('prices each credential read the client lets through as one API request', () => {
    const none = monthlyBill(100_000, { ...DEFAULT_ASSUMPTIONS, callerProcesses: 0 });
    const one = monthlyBill(100_000, { ...DEFAULT_ASSUMPTIONS, callerProcesses: 1 });
    const reads = 100_000 * DEFAULT_ASSUMPTIONS.shopsPerSeller * (4 / 5 + 1) * 30.4;

    expect(line(one, 'API Gateway', /requests/) - line(none, 'API Gateway', /requests/)).toBeCloseTo(reads / 1e6, 6);
  });

  it('keeps the per-request caller as an option, at 24 reads a shop a day, and it costs more', () => {
    const uncached = parseAssumptions(['--uncached']);

    expect(uncached).toEqual({ ...DEFAULT_ASSUMPTIONS, caller: 'uncached' });
    expect(credentialReadsPerShopPerDay(uncached)).toBe(24);
    expect(total(monthlyBill(1_000_000, uncached))).toBeGreaterThan(total(monthlyBill(1_000_000)) * 1.4);
  });

  it('reads numeric assumptions from the command line and refuses unknown ones', () => {
    expect(parseAssumptions(['--callerProcesses', '2', '--uncached', '--callerStartsPerDay', '0.5'])).toEqual({
      ...DEFAULT_ASSUMPTIONS,
      caller: 'uncached',
      callerProcesses: 2,
      callerStartsPerDay: 0.5,
    });
    expect(() => parseAssumptions(['--caller', 'client'])).toThrow(/unknown or invalid assumption --caller/);
  });
});
