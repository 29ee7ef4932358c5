import * as fc from 'fast-check';
import * as z from 'zod';
import { createAuthorizationLink } from '../../../lambdas/domain/authorization-links';
import { completeAuthorization } from '../../../lambdas/domain/authorize-seller';
import { getShopCredentials } from '../../../lambdas/domain/credentials';
import type { Dependencies } from '../../../lambdas/domain/dependencies';
import { EventPublishError, NoAuthorizedShopsError } from '../../../lambdas/domain/errors';
import type { OutgoingEvent } from '../../../lambdas/domain/events';
import type { GrantStatus } from '../../../lambdas/domain/model';
import { deliverPendingEvents } from '../../../lambdas/domain/outbox';
import { remindEndingAuthorizations } from '../../../lambdas/domain/reminders';
import { claimInstallation, disconnectSeller } from '../../../lambdas/domain/sellers';
import { refreshQueuedGrant } from '../../../lambdas/domain/token-refresh';
import { receiveWebhook, type WebhookDependencies } from '../../../lambdas/domain/webhooks';
import type { EventPublisher } from '../../../lambdas/ports';
import { mapError } from '../../../lambdas/shared/http';
import { type LocalDynamoDb, startDynalite } from '../../../local/embedded-dynamodb';
import { createDomainHarness, type DomainHarness, REMINDERS, WEBHOOKS } from '../../support/domain-harness';
import { authorizedShop } from '../../support/tiktok-world';

/**
 * A model-based test of a seller's whole lifecycle. fast-check draws sequences of what TikTok, sellers, the app and
 * the schedules do (authorize and re-authorize, App Store installs and claims, cancelling at TikTok, type 6 and 7
 * webhooks delivered late, twice or never, refreshes that succeed, are refused or fail, disconnections, the
 * reminder job, time passing); each runs through the real use cases on a real store (dynalite), and after each the
 * store and the events are compared with a small reference model. The invariants it exists for:
 * - a seller whose authorization is valid at TikTok, and whom the app did not disconnect, is ACTIVE in the store;
 * - a revoked seller never gets credentials, and the credentials handed out are the ones TikTok accepts;
 * - no reminder names an end other than the current one, and none is sent twice;
 * - no event describes a superseded fact (each step's events are exactly the model's).
 */

/** CI's budget: about 40 seconds. A longer search: MODEL_RUNS=5000 MODEL_SECONDS=1800 npx jest seller-lifecycle */
const RUNS = Number(process.env.MODEL_RUNS ?? 120);
const SECONDS = Number(process.env.MODEL_SECONDS ?? 45);

const SECOND = 1_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ACCESS_TOKEN_MS = 7 * DAY;
const TICKET_MS = 30 * 60_000;
const REFRESH = { refreshAheadMs: 2 * DAY, leaseMs: 60_000 };
const CREDENTIALS = { refreshWithinMs: 5 * 60_000, leaseMs: 30_000, waitMs: 0 };
const CALLBACK = { ticketTtlMs: TICKET_MS };
const OUTBOX = { graceMs: 2 * 60_000, link: REMINDERS.link };

/** Shop A starts with seller 1 and may move, once, to seller 3 (a shop authorized again under another open_id). */
const [A, B, C] = ['7494000000000000001', '7494000000000000002', '7494000000000000003'];
const SELLERS = ['seller-1', 'seller-2', 'seller-3'] as const;
type SellerId = (typeof SELLERS)[number];
const INITIAL_SHOPS: Record<SellerId, string[]> = { 'seller-1': [A], 'seller-2': [B, C], 'seller-3': [] };
const SHOPS = [A, B, C];
const ACCOUNTS = ['acc-1', 'acc-2'] as const;

interface ShopModel {
  status: 'ACTIVE' | 'REVOKED';
  authorizedAt: number;
}
interface StoredModel {
  status: GrantStatus;
  end: number;
  authorizedAt: number;
  accessExpiresAt: number;
  accountId?: string;
  shops: Map<string, ShopModel>;
}
interface SellerModel {
  /** TikTok's truth. */
  holds: string[];
  valid: boolean;
  end?: number;
  /** What the service should hold. */
  stored?: StoredModel;
  disconnected: boolean;
}
interface SentWebhook {
  readonly id: string;
  readonly type: 6 | 7;
  readonly shopId: string;
  readonly timestamp: number;
  readonly end?: number;
  done: boolean;
}
interface Ticket {
  readonly ticket: string;
  readonly openId: SellerId;
  readonly authorizedAt: number;
  used: boolean;
}
interface Model {
  now: number;
  sellers: Record<SellerId, SellerModel>;
  webhooks: SentWebhook[];
  tickets: Ticket[];
  transferred: boolean;
  /** The events the current step must publish, as `type:openId[:details]`. */
  expected: string[];
  /** Events stored with their change but not delivered (the bus was down): the outbox's recovery owes them. */
  owed: string[];
  busDown: boolean;
  /** Whether the current step is the outbox's recovery. */
  recovering: boolean;
  /** Every reminder so far, as `openId:end:milestone`. */
  reminders: Set<string>;
}
interface Real {
  readonly h: DomainHarness;
  readonly bus: FlakyBus;
  readonly deps: Dependencies;
  readonly webhookDeps: WebhookDependencies;
  holders: number;
}

/**
 * The bus, which can be down for lifecycle events (the outbox's deliveries). Forwarded webhooks still pass: a
 * failure there fails TikTok's delivery, and TikTok's retries, not the outbox, bring it back.
 */
class FlakyBus implements EventPublisher {
  down = false;
  constructor(private readonly bus: EventPublisher) {}
  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    if (this.down && events.some((event) => event.type !== 'TikTok Shop Webhook')) {
      throw new EventPublishError('the bus is down (asked for)', events.length);
    }
    await this.bus.publish(events);
  }
}

const wholeSeconds = (ms: number) => Math.floor(ms / SECOND) * SECOND;
const validAtTikTok = (seller: SellerModel, now: number) => seller.valid && (seller.end ?? 0) > now;

/** The store's rule, restated: the active copy of a shop, else the latest authorization, else the lower open id. */
function modelOwner(m: Model, shopId: string): { openId: SellerId; stored: StoredModel; shop: ShopModel } | undefined {
  const copies = SELLERS.flatMap((openId) => {
    const stored = m.sellers[openId].stored;
    const shop = stored?.shops.get(shopId);
    return stored && shop ? [{ openId, stored, shop }] : [];
  });
  return copies.sort(
    (a, b) =>
      Number(b.shop.status === 'ACTIVE') - Number(a.shop.status === 'ACTIVE') ||
      b.shop.authorizedAt - a.shop.authorizedAt ||
      a.openId.localeCompare(b.openId),
  )[0];
}

/** Every step takes a second, so that no two facts share TikTok's whole-second timestamps. */
function tick(m: Model, r: Real): void {
  m.now += SECOND;
  r.h.clock.advance(SECOND);
  m.expected = [];
  m.recovering = false;
}

/** What a refresh through the shared path should do to the model; returns the worker's outcome. */
function modelRefresh(m: Model, openId: SellerId, freshForMs: number, transientFailure: boolean): string {
  const seller = m.sellers[openId];
  const stored = seller.stored;
  if (!stored) return 'unknown-seller';
  if (stored.status !== 'ACTIVE') return stored.status === 'REVOKED' ? 'revoked' : 'reauthorization-required';
  if (stored.accessExpiresAt - m.now > freshForMs) return 'fresh-already';
  if (stored.end <= m.now || (!transientFailure && !validAtTikTok(seller, m.now))) {
    stored.status = 'REAUTH_REQUIRED';
    m.expected.push(`Reauthorization Required:${openId}`);
    return 'reauthorization-required';
  }
  if (transientFailure) {
    m.expected.push(`Token Refresh Failed:${openId}`);
    return 'retry';
  }
  stored.accessExpiresAt = wholeSeconds(Math.min(m.now + ACCESS_TOKEN_MS, seller.end ?? 0));
  stored.end = seller.end ?? stored.end;
  m.expected.push(`Tokens Refreshed:${openId}`);
  return 'refreshed';
}

/** A step of the lifecycle: it acts on the model and the real service, then the two are compared. */
abstract class Step implements fc.AsyncCommand<Model, Real, false> {
  abstract check(m: Readonly<Model>): boolean;
  protected abstract act(m: Model, r: Real): Promise<void>;
  abstract toString(): string;

  async run(m: Model, r: Real): Promise<void> {
    const before = r.h.events.list().length;
    tick(m, r);
    await this.act(m, r);
    await compare(m, r, before);
  }
}

class Authorize extends Step {
  constructor(
    readonly openId: SellerId,
    readonly via: 'link' | 'app-store',
    readonly accountId: string,
    readonly days: number,
  ) {
    super();
  }
  check(_m?: Readonly<Model>): boolean {
    return true;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const seller = m.sellers[this.openId];
    const code = r.h.world.authorize(this.openId, this.days);
    const state =
      this.via === 'link'
        ? (new URL(
            (await createAuthorizationLink({ accountId: this.accountId }, r.deps, REMINDERS.link)).url,
          ).searchParams.get('state') ?? undefined)
        : undefined;
    if (seller.holds.length === 0) {
      await expect(completeAuthorization({ code, state }, r.deps, CALLBACK)).rejects.toBeInstanceOf(
        NoAuthorizedShopsError,
      );
      // Nothing is stored, and TikTok retired the tokens the service holds with this authorization. The event is
      // published directly (there is no grant to keep it in): lost, by design, while the bus is down.
      seller.valid = false;
      if (!m.busDown) m.expected.push(`Authorization Rejected:${this.openId}`);
      return;
    }
    const outcome = await completeAuthorization({ code, state }, r.deps, CALLBACK);

    seller.valid = true;
    seller.end = wholeSeconds(m.now + this.days * DAY);
    seller.disconnected = false;
    const previous = seller.stored;
    const shops = new Map<string, ShopModel>();
    for (const [shopId, shop] of previous?.shops ?? []) shops.set(shopId, { ...shop, status: 'REVOKED' });
    for (const shopId of seller.holds) {
      shops.set(shopId, { status: 'ACTIVE', authorizedAt: m.now });
      // The shop moved here: other sellers' copies of it are revoked.
      for (const other of SELLERS) {
        const copy = other === this.openId ? undefined : m.sellers[other].stored?.shops.get(shopId);
        if (copy) copy.status = 'REVOKED';
      }
    }
    seller.stored = {
      status: 'ACTIVE',
      end: seller.end,
      authorizedAt: m.now,
      accessExpiresAt: wholeSeconds(Math.min(m.now + ACCESS_TOKEN_MS, seller.end)),
      accountId: this.via === 'link' ? this.accountId : previous?.accountId,
      shops,
    };
    if (outcome.kind === 'pending-claim') {
      m.tickets.push({ ticket: outcome.ticket, openId: this.openId, authorizedAt: m.now, used: false });
      m.expected.push(`Installation Pending Claim:${this.openId}`);
    } else {
      const moved = previous?.accountId && previous.accountId !== this.accountId ? previous.accountId : '';
      m.expected.push(`Seller Authorized:${this.openId}:${this.accountId}:${moved}`);
    }
    expect(outcome.kind).toBe(this.via === 'link' ? 'authorized' : 'pending-claim');
  }
  toString(): string {
    return `Authorize(${this.openId}, ${this.via}, ${this.accountId}, ${this.days} days)`;
  }
}

class Claim extends Step {
  constructor(
    readonly pick: number,
    readonly accountId: string,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.tickets.length > 0;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const ticket = m.tickets[this.pick % m.tickets.length];
    if (!ticket) throw new Error('no ticket');
    const stored = m.sellers[ticket.openId].stored;
    let expected = 'claimed';
    if (ticket.used) expected = 'TICKET_USED';
    else if (m.now >= ticket.authorizedAt + TICKET_MS) expected = 'TICKET_EXPIRED';
    else {
      ticket.used = true;
      if (stored?.status !== 'ACTIVE') expected = 'SELLER_NOT_ACTIVE';
      else if (stored.authorizedAt !== ticket.authorizedAt) expected = 'TICKET_SUPERSEDED';
    }
    if (expected === 'claimed' && stored) {
      const moved = stored.accountId && stored.accountId !== this.accountId ? stored.accountId : '';
      m.expected.push(`Installation Claimed:${ticket.openId}:${this.accountId}:${moved}`);
      stored.accountId = this.accountId;
    }

    const actual = await claimInstallation({ ticket: ticket.ticket, accountId: this.accountId }, r.deps).then(
      () => 'claimed',
      (error: unknown) => mapError(error).code,
    );
    expect(actual).toBe(expected);
  }
  toString(): string {
    return `Claim(ticket #${this.pick}, ${this.accountId})`;
  }
}

class CancelAtTikTok extends Step {
  constructor(readonly openId: SellerId) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.sellers[this.openId].valid;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    r.h.world.cancel(this.openId);
    const seller = m.sellers[this.openId];
    seller.valid = false;
    for (const shopId of seller.holds) {
      m.webhooks.push({
        id: `n${m.webhooks.length}`,
        type: 6,
        shopId,
        timestamp: Math.floor(m.now / SECOND),
        done: false,
      });
    }
  }
  toString(): string {
    return `CancelAtTikTok(${this.openId})`;
  }
}

class TikTokWarnsOfExpiration extends Step {
  constructor(readonly openId: SellerId) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    const seller = m.sellers[this.openId];
    return validAtTikTok(seller, m.now) && (seller.end ?? 0) - m.now <= 30 * DAY && seller.holds.length > 0;
  }
  protected async act(m: Model, _r: Real): Promise<void> {
    const seller = m.sellers[this.openId];
    for (const shopId of seller.holds) {
      const id = `n${m.webhooks.length}`;
      m.webhooks.push({ id, type: 7, shopId, timestamp: Math.floor(m.now / SECOND), end: seller.end, done: false });
    }
  }
  toString(): string {
    return `TikTokWarnsOfExpiration(${this.openId})`;
  }
}

/** Shop A is authorized again under seller 3's open_id: it leaves seller 1 at TikTok, once. */
class MoveShopToSeller3 extends Authorize {
  constructor(via: 'link' | 'app-store') {
    super('seller-3', via, 'acc-3', 365);
  }
  override check(m: Readonly<Model>): boolean {
    return !m.transferred;
  }
  protected override async act(m: Model, r: Real): Promise<void> {
    m.transferred = true;
    m.sellers['seller-1'].holds = [];
    m.sellers['seller-3'].holds = [A];
    r.h.world.setShops('seller-1', []);
    r.h.world.setShops('seller-3', [authorizedShop(A)]);
    await super.act(m, r);
  }
  override toString(): string {
    return `MoveShopToSeller3(${this.via})`;
  }
}

/** TikTok delivers one webhook sent earlier: for the first time, again, or long after. */
class Deliver extends Step {
  constructor(readonly pick: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.webhooks.length > 0;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const webhook = m.webhooks[this.pick % m.webhooks.length];
    if (!webhook) throw new Error('no webhook');
    const expected = this.apply(m, webhook);

    const outcome = await receiveWebhook(
      {
        type: webhook.type,
        tts_notification_id: webhook.id,
        shop_id: webhook.shopId,
        timestamp: webhook.timestamp,
        data: webhook.end === undefined ? { message: 'deauthorized' } : { expiration_time: String(webhook.end / 1000) },
      },
      webhook.id,
      r.webhookDeps,
      WEBHOOKS,
    );
    expect(outcome).toBe(expected);
  }
  private apply(m: Model, webhook: SentWebhook): string {
    if (webhook.timestamp * SECOND < m.now - WEBHOOKS.keepReceiptsMs) return 'stale';
    if (webhook.done) return 'duplicate';
    webhook.done = true;
    const owner = modelOwner(m, webhook.shopId);
    if (owner && webhook.type === 6) {
      const notAfter = webhook.timestamp * SECOND + 999;
      if (owner.shop.authorizedAt > notAfter || owner.stored.authorizedAt > notAfter) return 'stale';
      owner.shop.status = 'REVOKED';
      const stillActive = [...owner.stored.shops.values()].some((shop) => shop.status === 'ACTIVE');
      if (!stillActive) owner.stored.status = 'REVOKED';
      m.expected.push(`Seller Deauthorized:${owner.openId}`);
    }
    if (owner && webhook.type === 7) {
      if (owner.stored.authorizedAt >= webhook.timestamp * SECOND) return 'stale';
      owner.stored.end = webhook.end ?? owner.stored.end;
    }
    m.expected.push(`TikTok Shop Webhook:${owner?.openId ?? '-'}`);
    return 'processed';
  }
  toString(): string {
    return `Deliver(webhook #${this.pick})`;
  }
}

class RefreshWorker extends Step {
  constructor(
    readonly openId: SellerId,
    readonly tiktokFails: boolean,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.sellers[this.openId].stored !== undefined;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const expected = modelRefresh(m, this.openId, REFRESH.refreshAheadMs, this.tiktokFails);
    if (this.tiktokFails) r.h.world.failNext(1);

    const outcome = await refreshQueuedGrant(this.openId, `worker-${++r.holders}`, r.deps, REFRESH).finally(() =>
      r.h.world.stopFailing(),
    );
    expect(outcome).toBe(expected);
  }
  toString(): string {
    return `RefreshWorker(${this.openId}${this.tiktokFails ? ', TikTok answers 503' : ''})`;
  }
}

class Credentials extends Step {
  constructor(readonly shopId: string) {
    super();
  }
  check(): boolean {
    return true;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const owner = modelOwner(m, this.shopId);
    let expected: string = owner?.openId ?? 'SHOP_NOT_FOUND';
    if (owner?.shop.status === 'REVOKED') expected = 'SHOP_REVOKED';
    else if (owner?.stored.status === 'REVOKED') expected = 'SELLER_REVOKED';
    else if (owner?.stored.status === 'REAUTH_REQUIRED') expected = 'REAUTH_REQUIRED';
    else if (owner && owner.stored.accessExpiresAt - m.now <= CREDENTIALS.refreshWithinMs) {
      const refreshed = modelRefresh(m, owner.openId, CREDENTIALS.refreshWithinMs, false);
      if (refreshed === 'reauthorization-required') expected = 'REAUTH_REQUIRED';
    }

    const actual = await getShopCredentials(this.shopId, r.deps, CREDENTIALS).then(
      (credentials) => {
        // Handed out while TikTok still honours the seller: it must be the token TikTok accepts now.
        if (r.h.world.isAuthorized(credentials.openId)) {
          expect(r.h.world.acceptsAccessToken(credentials.openId, credentials.accessToken)).toBe(true);
        }
        return credentials.openId;
      },
      (error: unknown) => mapError(error).code,
    );
    expect(actual).toBe(expected);
  }
  toString(): string {
    return `Credentials(${this.shopId})`;
  }
}

class Disconnect extends Step {
  constructor(readonly openId: SellerId) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.sellers[this.openId].stored !== undefined;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const seller = m.sellers[this.openId];
    const stored = seller.stored;
    if (!stored) throw new Error('nothing stored');
    if (stored.status !== 'REVOKED') m.expected.push(`Seller Disconnected:${this.openId}`);
    stored.status = 'REVOKED';
    for (const shop of stored.shops.values()) if (shop.authorizedAt <= stored.authorizedAt) shop.status = 'REVOKED';
    seller.disconnected = true;

    await disconnectSeller(this.openId, r.deps);
  }
  toString(): string {
    return `Disconnect(${this.openId})`;
  }
}

class ReminderJob extends Step {
  check(): boolean {
    return true;
  }
  protected async act(_m: Model, r: Real): Promise<void> {
    await remindEndingAuthorizations(r.deps, REMINDERS);
  }
  toString(): string {
    return 'ReminderJob()';
  }
}

class BusGoesDown extends Step {
  check(m: Readonly<Model>): boolean {
    return !m.busDown;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    m.busDown = true;
    r.bus.down = true;
  }
  toString(): string {
    return 'BusGoesDown()';
  }
}

class BusComesBack extends Step {
  check(m: Readonly<Model>): boolean {
    return m.busDown;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    m.busDown = false;
    r.bus.down = false;
  }
  toString(): string {
    return 'BusComesBack()';
  }
}

/** The outbox's schedule: once the grace period is over, whatever was not delivered goes out (if the bus is up). */
class OutboxRecovery extends Step {
  check(): boolean {
    return true;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    m.now += OUTBOX.graceMs;
    r.h.clock.advance(OUTBOX.graceMs);
    m.recovering = true;
    await deliverPendingEvents(r.deps, OUTBOX);
  }
  toString(): string {
    return 'OutboxRecovery()';
  }
}

class TimePasses extends Step {
  constructor(readonly ms: number) {
    super();
  }
  check(): boolean {
    return true;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    m.now += this.ms;
    r.h.clock.advance(this.ms);
  }
  toString(): string {
    return `TimePasses(${this.ms >= DAY ? `${this.ms / DAY} days` : `${this.ms / HOUR} hours`})`;
  }
}

const seller = fc.constantFrom(...SELLERS);
const account = fc.constantFrom(...ACCOUNTS);
const COMMANDS = [
  fc
    .tuple(seller, fc.constantFrom('link' as const, 'app-store' as const), account, fc.constantFrom(20, 45, 365))
    .map(([openId, via, accountId, days]) => new Authorize(openId, via, accountId, days)),
  fc.tuple(fc.nat(), account).map(([pick, accountId]) => new Claim(pick, accountId)),
  seller.map((openId) => new CancelAtTikTok(openId)),
  seller.map((openId) => new TikTokWarnsOfExpiration(openId)),
  fc.constantFrom('link' as const, 'app-store' as const).map((via) => new MoveShopToSeller3(via)),
  fc.nat().map((pick) => new Deliver(pick)),
  fc.nat().map((pick) => new Deliver(pick)),
  fc.tuple(seller, fc.boolean()).map(([openId, fails]) => new RefreshWorker(openId, fails)),
  fc.constantFrom(...SHOPS).map((shopId) => new Credentials(shopId)),
  seller.map((openId) => new Disconnect(openId)),
  fc.constant(new ReminderJob()),
  fc.constantFrom(HOUR, DAY, 3 * DAY, 10 * DAY, 30 * DAY).map((ms) => new TimePasses(ms)),
  fc.constant(new BusGoesDown()),
  fc.constant(new BusComesBack()),
  fc.constant(new OutboxRecovery()),
];

const reminderDetail = z.object({ openId: z.string(), expiresAt: z.string(), milestone: z.number() });
const eventDetail = z.object({
  openId: z.string().optional(),
  accountId: z.string().optional(),
  previousAccountId: z.string().optional(),
});

/** After every step: the store and this step's events are what the model says, and the invariants hold. */
async function compare(m: Model, r: Real, eventsBefore: number): Promise<void> {
  const events = r.h.events.list().slice(eventsBefore);
  const described = events
    .filter((event) => event['detail-type'] !== 'Authorization Expiring')
    .map((event) => {
      const detail = eventDetail.parse(event.detail);
      const type = event['detail-type'];
      const key = `${type}:${detail.openId ?? '-'}`;
      return type === 'Seller Authorized' || type === 'Installation Claimed'
        ? `${key}:${detail.accountId}:${detail.previousAccountId ?? ''}`
        : key;
    });
  // Lose nothing: an event that could not go out is owed, and goes out, once, when the outbox recovers.
  const forwarded = m.expected.filter((key) => key.startsWith('TikTok Shop Webhook'));
  if (m.busDown) m.owed.push(...m.expected.filter((key) => !key.startsWith('TikTok Shop Webhook')));
  const published = m.busDown ? forwarded : m.recovering ? [...m.owed, ...m.expected] : m.expected;
  expect(described.sort()).toEqual([...published].sort());
  if (m.recovering && !m.busDown) m.owed = [];

  for (const event of events.filter((each) => each['detail-type'] === 'Authorization Expiring')) {
    const reminder = reminderDetail.parse(event.detail);
    const seller = m.sellers[reminder.openId as SellerId];
    // Names the end of the authorization TikTok holds now, and is the first for that milestone and end.
    expect(reminder.expiresAt).toBe(new Date(seller.end ?? 0).toISOString());
    const key = `${reminder.openId}:${reminder.expiresAt}:${reminder.milestone}`;
    expect(m.reminders.has(key)).toBe(false);
    m.reminders.add(key);
  }

  for (const openId of SELLERS) {
    const seller = m.sellers[openId];
    const grant = await r.h.deps.store.getGrant(openId);
    if (validAtTikTok(seller, m.now) && !seller.disconnected) expect(grant?.status).toBe('ACTIVE');
    const stored = seller.stored;
    if (!stored) {
      expect(grant).toBeUndefined();
      continue;
    }
    expect({
      status: grant?.status,
      end: grant?.authorizationExpiresAt.getTime(),
      authorizedAt: grant?.authorizedAt.getTime(),
      accessExpiresAt: grant?.accessTokenExpiresAt.getTime(),
      accountId: grant?.accountId,
      hasTokens: grant?.accessToken !== undefined && grant.refreshToken !== undefined,
    }).toEqual({
      status: stored.status,
      end: stored.end,
      authorizedAt: stored.authorizedAt,
      accessExpiresAt: stored.accessExpiresAt,
      accountId: stored.accountId,
      hasTokens: stored.status !== 'REVOKED',
    });
    const shops = await r.h.deps.store.listShops(openId);
    expect(Object.fromEntries(shops.map((shop) => [shop.shopId, [shop.status, shop.authorizedAt.getTime()]]))).toEqual(
      Object.fromEntries([...stored.shops].map(([shopId, shop]) => [shopId, [shop.status, shop.authorizedAt]])),
    );
  }
}

describe('a seller’s lifecycle against a reference model (fast-check commands, real store)', () => {
  let dynamo: LocalDynamoDb;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());

  it(
    'keeps the store and the events as the model says, whatever the order of messages',
    async () => {
      const start = new Date('2026-03-01T00:00:00.000Z');
      await fc.assert(
        fc.asyncProperty(fc.commands(COMMANDS, { maxCommands: 60, size: 'large' }), async (commands) => {
          const h = await createDomainHarness(
            dynamo,
            SELLERS.map((openId) => ({ openId, name: openId, shops: INITIAL_SHOPS[openId].map(authorizedShop) })),
            start,
          );
          const model: Model = {
            now: start.getTime(),
            sellers: Object.fromEntries(
              SELLERS.map((openId) => [
                openId,
                { holds: [...INITIAL_SHOPS[openId]], valid: false, disconnected: false },
              ]),
            ) as Record<SellerId, SellerModel>,
            webhooks: [],
            tickets: [],
            transferred: false,
            expected: [],
            owed: [],
            busDown: false,
            recovering: false,
            reminders: new Set(),
          };
          const bus = new FlakyBus(h.events);
          const real: Real = {
            h,
            bus,
            deps: { ...h.deps, events: bus },
            webhookDeps: { ...h.webhookDeps, events: bus },
            holders: 0,
          };
          await fc.asyncModelRun(() => ({ model, real }), commands);
          // The last word: with the bus up, the outbox's recovery leaves nothing undelivered, anywhere.
          bus.down = false;
          h.clock.advance(OUTBOX.graceMs + SECOND);
          await deliverPendingEvents(real.deps, OUTBOX);
          for (const openId of SELLERS) expect((await h.deps.store.getGrant(openId))?.outbox ?? []).toEqual([]);
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: SECONDS * 1000 },
      );
    },
    SECONDS * 2000,
  );
});
