import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import * as z from 'zod';
import { grantKey, shopKey, stateKey } from '../../lambdas/adapters/dynamodb/items';
import { SecretWatch } from '../support/local-journey';
import { logicalIdsOf, REGION } from './support/cloudformation';
import { CLAIM_URL, type DeliveredEvent, DeployedWorld, SUCCESS_URL } from './support/deployed-world';
import { roleReport } from './support/role-report';

/**
 * The deployed composition under test: every function's synthesized bundle, with the environment and the role its
 * CloudFormation template gives it, runs against moto (DynamoDB, KMS, Secrets Manager, EventBridge, SQS, SNS) and
 * the TikTok Shop sandbox through a seller's whole journey, while every AWS call it makes is checked against its
 * role by an IAM policy evaluator. What the unit and local tests cannot show is shown here: that the template wires
 * each function to the right resources, that each role allows exactly what its function does, and that the bundles
 * work on AWS's protocols rather than on local stand-ins.
 */

const GB = 'sbx-open-gb-0001';
const GB_SHOP = '7494000000000000101';
const US = 'sbx-open-us-0003';
const US_SHOP = '7494000000000000301';
const MULTI = 'sbx-open-multi-0002';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const world = new DeployedWorld();
/** Tokens, codes, link states and the app secret: none may reach a log line, an event or the table in clear. */
const secrets = new SecretWatch();
/** The states of renewal links: meant for the seller, so only in the reminder itself. */
const renewalStates = new SecretWatch();

beforeAll(() => world.start(), 240_000);
afterAll(async () => {
  // DEPLOYED_TEST_REPORT=1 prints how long the start took, and each role's checks: made, and granted but not made.
  if (process.env.DEPLOYED_TEST_REPORT) console.info(JSON.stringify(roleReport(world), null, 2));
  await world.stop();
}, 30_000);

const documents = () => DynamoDBDocumentClient.from(world.clients.dynamodb);
const tableName = () => {
  const [id] = logicalIdsOf(world.stack.template, 'AWS::DynamoDB::Table');
  if (!id) throw new Error('the template declares no table');
  return world.deployment.values.physicalOf(id).ref;
};
const sealingKeyArn = () => {
  const id = logicalIdsOf(world.stack.template, 'AWS::KMS::Key').find((key) => key.startsWith('TokenSealingKey'));
  if (!id) throw new Error('the template declares no sealing key');
  return world.deployment.values.resolveString({ 'Fn::GetAtt': [id, 'Arn'] });
};

async function readItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  const { Item } = await documents().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }));
  return Item;
}

async function grantOf(openId: string): Promise<Record<string, unknown>> {
  const item = await readItem(grantKey(openId));
  if (!item) throw new Error(`no grant for ${openId} in moto`);
  return item;
}

/** Changes a grant the way time would have: the functions read the system clock, so the item moves instead. */
async function setGrant(openId: string, values: Record<string, unknown>): Promise<void> {
  const names = Object.keys(values);
  await documents().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: grantKey(openId),
      UpdateExpression: `SET ${names.map((_, index) => `#n${index} = :v${index}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name, index) => [`#n${index}`, name])),
      ExpressionAttributeValues: Object.fromEntries(names.map((name, index) => [`:v${index}`, values[name]])),
    }),
  );
}

const api = (path: string, init: RequestInit = {}) => fetch(`${world.apiUrl}${path}`, { redirect: 'manual', ...init });
const postJson = (path: string, body: unknown) =>
  api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The events the bus delivered since the start, of one type and seller. */
async function eventsOf(type: string, openId: string): Promise<DeliveredEvent[]> {
  await world.observe();
  return world.events.filter((event) => event['detail-type'] === type && event.detail.openId === openId);
}

const linkAnswer = z.object({ url: z.string(), expiresAt: z.string() });

/** The seller approves as `openId` on the sandbox's authorize page; returns where TikTok sends the browser back. */
async function approveInSandbox(openId: string, state = ''): Promise<URL> {
  const decision = await fetch(`${world.sandboxUrl}/open/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ state, seller: openId, decision: 'approve' }),
  });
  expect(decision.status).toBe(302);
  const callback = new URL(decision.headers.get('location') ?? '');
  secrets.add(callback.searchParams.get('code'));
  expect(`${callback.origin}${callback.pathname}`).toBe(`${world.apiUrl}/oauth/callback`);
  return callback;
}

/**
 * The app asks the seller API for a link; the seller's browser opens it on the sandbox, approves as `openId`, and
 * follows TikTok's redirect to the API's callback. Returns where the callback sent the browser.
 */
async function authorize(openId: string, accountId: string, returnTo?: string) {
  const created = await postJson('/authorization-links', { accountId, ...(returnTo ? { returnTo } : {}) });
  expect(created.status).toBe(201);
  const link = linkAnswer.parse(await created.json());
  const state = new URL(link.url).searchParams.get('state') ?? '';
  secrets.add(state);
  const page = await fetch(link.url);
  expect(page.status).toBe(200);
  await page.text();
  const landing = await fetch(await approveInSandbox(openId, state), { redirect: 'manual' });
  return { link, state, landing };
}

describe('the deployed composition, on moto and the TikTok Shop sandbox', () => {
  it('runs every function of the template from its own bundle, each invoked by a route, its URL, a schedule or the queue', () => {
    const invoked = new Set([
      ...world.stack.routes.map((route) => route.functionLogicalId),
      ...world.stack.functionUrls.map((url) => url.functionLogicalId),
      ...world.stack.schedules.map((schedule) => schedule.functionLogicalId),
      ...world.stack.queueTriggers.map((trigger) => trigger.functionLogicalId),
    ]);

    expect(world.stack.functions.map((spec) => spec.name).sort()).toEqual([
      'OutboxSweep',
      'RemindersSweep',
      'SellerJourneyCredentials',
      'SellerJourneyOAuthCallback',
      'SellerJourneySellerApi',
      'TokenRefreshSweep',
      'TokenRefreshWorker',
      'Webhooks',
    ]);
    expect(world.stack.functions.filter((spec) => !invoked.has(spec.logicalId))).toEqual([]);
  });

  describe('a seller’s journey', () => {
    let unusedLinkState: string;
    let firstAccessToken: string;

    it('creates an authorization link (seller API) whose state is stored hashed, for one hour', async () => {
      const created = await postJson('/authorization-links', { accountId: 'acct-never-used' });
      expect(created.status).toBe(201);
      const link = linkAnswer.parse(await created.json());
      const url = new URL(link.url);
      const state = url.searchParams.get('state') ?? '';
      secrets.add(state);

      expect(`${url.origin}${url.pathname}`).toBe(`${world.sandboxUrl}/open/authorize`);
      expect(state).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      const stored = await readItem(stateKey(state));
      expect(stored).toMatchObject({ accountId: 'acct-never-used' });
      expect(JSON.stringify(stored)).not.toContain(state);
      expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);
      unusedLinkState = state;
    });

    it('exchanges the code at the callback, seals the tokens with KMS and stores the grant and its shop', async () => {
      const { landing, state } = await authorize(GB, 'acct-gb', '/settings/tiktok');

      expect(landing.status).toBe(302);
      const target = new URL(landing.headers.get('location') ?? '');
      expect(`${target.origin}${target.pathname}`).toBe(SUCCESS_URL);
      expect(Object.fromEntries(target.searchParams)).toEqual({
        openId: GB,
        accountId: 'acct-gb',
        returnTo: '/settings/tiktok',
      });
      const grant = await grantOf(GB);
      expect(grant).toMatchObject({ status: 'ACTIVE', accountId: 'acct-gb', sellerName: 'Sandbox Seller GB' });
      expect(grant.accessToken).toMatch(/^v1\./);
      expect(grant.refreshToken).toMatch(/^v1\./);
      expect(await readItem(shopKey(GB, GB_SHOP))).toMatchObject({ status: 'ACTIVE', shopId: GB_SHOP });
      expect(await readItem(stateKey(state))).toMatchObject({ consumedAt: expect.any(Number) });
      expect(await eventsOf('Seller Authorized', GB)).toMatchObject([{ detail: { openId: GB, accountId: 'acct-gb' } }]);
    });

    it('binds each sealed token’s data key to the seller and the app (KMS encryption context)', async () => {
      const grant = await grantOf(GB);
      const wrapped = Buffer.from(z.string().parse(grant.accessToken).split('.')[1] ?? '', 'base64url');
      const kms = world.clients.kms;
      const open = (context: Record<string, string>) =>
        kms.send(new DecryptCommand({ KeyId: sealingKeyArn(), CiphertextBlob: wrapped, EncryptionContext: context }));

      await expect(open({ openId: GB, appKey: world.app.app_key })).resolves.toMatchObject({
        Plaintext: expect.any(Uint8Array),
      });
      await expect(open({ openId: US, appKey: world.app.app_key })).rejects.toMatchObject({
        name: 'InvalidCiphertextException',
      });
    });

    it('shows the seller to the app without a token (seller API)', async () => {
      const response = await api(`/sellers/${GB}`);

      expect(response.status).toBe(200);
      const body = z.record(z.string(), z.unknown()).parse(await response.json());
      expect(body).toMatchObject({
        openId: GB,
        status: 'ACTIVE',
        accountId: 'acct-gb',
        shops: [{ id: GB_SHOP, status: 'ACTIVE', region: 'GB' }],
      });
      expect(body).not.toHaveProperty('accessToken');
      expect(body).not.toHaveProperty('refreshToken');
      const listing = await api('/sellers?status=ACTIVE');
      expect(listing.status).toBe(200);
      expect(await listing.json()).toMatchObject({ sellers: [{ openId: GB, status: 'ACTIVE' }] });
    });

    it('hands the app the shop’s credentials, opened with KMS (credentials function)', async () => {
      const response = await api(`/shops/${GB_SHOP}/credentials`);

      expect(response.status).toBe(200);
      const body = z
        .object({ shopId: z.string(), shopCipher: z.string(), openId: z.string(), accessToken: z.string() })
        .parse(await response.json());
      expect(body).toMatchObject({ shopId: GB_SHOP, openId: GB, shopCipher: 'GCP_sbx000101GB' });
      expect(world.sandbox.issuedSecrets()).toContain(body.accessToken);
      firstAccessToken = body.accessToken;
      secrets.add(body.accessToken);
    });

    it('verifies a signed type 1 webhook and forwards it to the bus (webhook function)', async () => {
      const delivery = await world.sandbox.sendWebhook({
        type: 1,
        shopId: GB_SHOP,
        data: { order_id: '576461413038785752', order_status: 'AWAITING_SHIPMENT' },
      });

      expect(delivery).toMatchObject({ status: 200 });
      expect(await eventsOf('TikTok Shop Webhook', GB)).toMatchObject([
        {
          source: 'tiktok-shop-auth',
          detail: { type: 1, shopId: GB_SHOP, openId: GB, data: { order_id: '576461413038785752' } },
        },
      ]);
    });

    it('takes webhooks at the function URL the WebhookUrl output names, not on the API, and refuses other requests', async () => {
      const get = await fetch(world.webhookUrl);
      const otherPath = await fetch(`${world.functionUrl}oauth/callback`, { method: 'POST', body: '{}' });
      const onTheApi = await fetch(`${world.apiUrl}/webhooks/tiktok`, { method: 'POST', body: '{}' });

      expect(world.webhookUrl).toBe(`${world.functionUrl}webhooks/tiktok`);
      expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
      expect(otherPath.status).toBe(404);
      // API Gateway's own answer to a route it does not have.
      expect([onTheApi.status, await onTheApi.text()]).toEqual([404, '{"message":"Not Found"}']);
    });

    it('releases a webhook’s receipt when the bus fails, so that TikTok’s retry is acted on', async () => {
      const webhooks = world.route('POST /webhooks/tiktok');
      // A type 7 changes a grant, so it claims a receipt; it names the end already stored, so nothing else changes.
      const { authorizationExpiresAt } = await grantOf(GB);
      const webhook = {
        type: 7,
        shopId: GB_SHOP,
        notificationId: '7300000000000000777',
        timestamp: Math.floor(Date.now() / 1000),
        data: { expiration_time: String(Math.floor(Number(authorizationExpiresAt) / 1000)) },
      };
      world.proxy.failNext(webhooks.name, 'PutEvents', 10);

      const failed = await world.sandbox.sendWebhook(webhook);
      world.proxy.clearFaults();
      // TikTok's retry, sent now: the functions run on the real clock, so the sandbox's own (2 minutes later) never
      // falls due here. Same body, same notification id, as TikTok resends it.
      const retried = await world.sandbox.sendWebhook(webhook);

      expect(failed).toMatchObject({ status: 500 });
      expect(retried).toMatchObject({ status: 200 });
      const releases = world.proxy.calls.filter(
        (call) => call.caller === webhooks.name && call.requests[0]?.action === 'dynamodb:DeleteItem',
      );
      expect(releases).toMatchObject([
        {
          outcome: 'forwarded',
          requests: [{ context: { 'dynamodb:LeadingKeys': [`WEBHOOK#${webhook.notificationId}`] } }],
        },
      ]);
      const forwarded = (await eventsOf('TikTok Shop Webhook', GB)).filter(
        (event) => event.detail.notificationId === webhook.notificationId,
      );
      expect(forwarded).toHaveLength(1);
    });

    it('refreshes a token close to expiry through SQS: the worker retries after TikTok’s 503, then refreshes', async () => {
      const before = await grantOf(GB);
      await setGrant(GB, { accessExpiresAt: Date.now() + HOUR });
      world.sandbox.startOutage('token/refresh', { status: 503 });

      const sweep = await world.runSchedule('TokenRefreshSweepFunction');
      const failed = await world.deliverQueue();
      world.sandbox.endOutage('token/refresh');

      expect(sweep).toMatchObject({ found: 1, enqueued: 1 });
      expect(failed).toMatchObject({ received: 1, failures: [expect.any(String)] });
      expect(await grantOf(GB)).toMatchObject({ refreshFailures: 1, accessToken: before.accessToken });
      expect(await eventsOf('Token Refresh Failed', GB)).toMatchObject([{ detail: { retrying: true, failures: 1 } }]);
      // The worker set the retry delay on the message itself (its role's sqs:ChangeMessageVisibility).
      const delays = world.proxy.calls.filter(
        (call) => call.caller === 'TokenRefreshWorker' && call.operation === 'ChangeMessageVisibility',
      );
      expect(delays).toMatchObject([{ outcome: 'forwarded' }]);

      await world.endRetryDelay(failed.failures[0] ?? '');
      const delivered = await world.deliverQueue();

      expect(delivered).toEqual({ received: 1, failures: [] });
      const after = await grantOf(GB);
      expect(after).toMatchObject({ refreshFailures: 0 });
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(z.number().parse(after.accessExpiresAt)).toBeGreaterThan(Date.now() + 6 * DAY);
      expect(await eventsOf('Tokens Refreshed', GB)).toHaveLength(1);
      const credentials = await api(`/shops/${GB_SHOP}/credentials`);
      const { accessToken } = z.object({ accessToken: z.string() }).parse(await credentials.json());
      secrets.add(accessToken);
      expect(accessToken).not.toBe(firstAccessToken);
      expect(world.sandbox.issuedSecrets()).toContain(accessToken);
    });

    it('refreshes first when the token expires within minutes, under the lease (credentials function)', async () => {
      const before = await grantOf(GB);
      const refreshes = world.sandbox.calls['token/refresh'];
      await setGrant(GB, { accessExpiresAt: Date.now() + 2 * 60_000 });

      const response = await api(`/shops/${GB_SHOP}/credentials`);

      expect(response.status).toBe(200);
      const { accessToken } = z.object({ accessToken: z.string() }).parse(await response.json());
      secrets.add(accessToken);
      expect(world.sandbox.calls['token/refresh']).toBe(refreshes + 1);
      const after = await grantOf(GB);
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(z.number().parse(after.accessExpiresAt)).toBeGreaterThan(Date.now() + 6 * DAY);
      expect(after).not.toHaveProperty('leaseHolder');
      expect(await eventsOf('Tokens Refreshed', GB)).toHaveLength(2);
    });

    it('reminds a seller whose authorization ends within 7 days, on the bus and the reminder topic', async () => {
      await setGrant(GB, { authorizationExpiresAt: Date.now() + 6 * DAY + 12 * HOUR });

      const summary = await world.runSchedule('RemindersSweepFunction');

      expect(summary).toEqual({ found: 1, reminded: 1, failed: 0 });
      const [reminder, ...more] = await eventsOf('Authorization Expiring', GB);
      expect(more).toEqual([]);
      expect(reminder?.detail).toMatchObject({ openId: GB, milestone: 7, accountId: 'acct-gb' });
      const renewal = new URL(z.string().parse(reminder?.detail.reauthorizeUrl));
      expect(`${renewal.origin}${renewal.pathname}`).toBe(`${world.sandboxUrl}/open/authorize`);
      const state = renewal.searchParams.get('state') ?? '';
      renewalStates.add(state);
      expect(await readItem(stateKey(state))).toMatchObject({ openId: GB, accountId: 'acct-gb' });
      expect(world.reminders.filter((message) => message.includes(renewal.toString()))).toHaveLength(1);
      // The 30-day milestone, already passed, is recorded with it: no late 30-day reminder follows.
      expect(await grantOf(GB)).toMatchObject({ remindersSent: [30, 7] });
    });

    it('records a new end from TikTok’s type 7 webhook and reminds at once (webhook function)', async () => {
      const endsAt = Math.floor((Date.now() + 20 * HOUR) / 1000);

      const delivery = await world.sandbox.sendWebhook({
        type: 7,
        shopId: GB_SHOP,
        data: { message: 'Authorization is expiring in 1 days.', expiration_time: String(endsAt) },
      });

      expect(delivery).toMatchObject({ status: 200 });
      expect(await grantOf(GB)).toMatchObject({ authorizationExpiresAt: endsAt * 1000 });
      const reminders = await eventsOf('Authorization Expiring', GB);
      expect(reminders.map((event) => event.detail.milestone)).toEqual([7, 1]);
      const renewal = new URL(z.string().parse(reminders[1]?.detail.reauthorizeUrl));
      renewalStates.add(renewal.searchParams.get('state'));
      expect(world.reminders.filter((message) => message.includes(renewal.toString()))).toHaveLength(1);
    });

    it('keeps what the bus and the topic refused on the grant, and the outbox sweep delivers it later', async () => {
      const callback = world.route('GET /oauth/callback');
      const reminders = world.scheduled('RemindersSweepFunction');
      world.proxy.failNext(callback.name, 'PutEvents', 10);
      const { landing } = await authorize(US, 'acct-us');
      await setGrant(US, { authorizationExpiresAt: Date.now() + 6 * DAY + 12 * HOUR });
      world.proxy.failNext(reminders.name, 'PutEvents', 10);
      world.proxy.failNext(reminders.name, 'Publish', 10);
      const reminded = await world.runSchedule('RemindersSweepFunction');
      world.proxy.clearFaults();

      expect(landing.status).toBe(302);
      expect(reminded).toMatchObject({ reminded: 1, failed: 0 });
      expect(await eventsOf('Seller Authorized', US)).toEqual([]);
      expect(await eventsOf('Authorization Expiring', US)).toEqual([]);
      const stored = z.array(z.record(z.string(), z.unknown())).parse((await grantOf(US)).outbox);
      expect(stored.map((entry) => entry.type ?? entry.kind)).toEqual([
        'Seller Authorized',
        'Authorization Expiring',
        'notification',
      ]);
      // Older than the sweep's 2-minute grace, as if the functions had died right after their writes.
      const long = Date.now() - 3 * 60_000;
      await setGrant(US, { outboxSince: long, outbox: stored.map((entry) => ({ ...entry, at: long })) });
      const remindersBefore = world.reminders.length;

      const summary = await world.runSchedule('OutboxSweepFunction');

      expect(summary).toEqual({ found: 1, delivered: 3, failed: 0 });
      expect(await eventsOf('Seller Authorized', US)).toMatchObject([
        { detail: { openId: US, accountId: 'acct-us', eventId: stored[0]?.id } },
      ]);
      const [expiring] = await eventsOf('Authorization Expiring', US);
      expect(expiring?.detail).toMatchObject({ openId: US, milestone: 7, eventId: stored[1]?.id });
      // The renewal link's state is made as the reminder is delivered (the outbox sweep's PutItem), never stored in clear.
      const renewal = new URL(z.string().parse(expiring?.detail.reauthorizeUrl));
      const state = renewal.searchParams.get('state') ?? '';
      renewalStates.add(state);
      expect(await readItem(stateKey(state))).toMatchObject({ openId: US, accountId: 'acct-us' });
      expect(JSON.stringify(stored)).not.toContain(state);
      expect(
        world.reminders.slice(remindersBefore).filter((message) => message.includes(renewal.toString())),
      ).toHaveLength(1);
      const after = await grantOf(US);
      expect(after.outbox).toEqual([]);
      expect(after).not.toHaveProperty('outboxShard');
    });

    it('stores an App Store install without a state and lets the app claim it (callback, seller API)', async () => {
      const landing = await fetch(await approveInSandbox(MULTI), { redirect: 'manual' });

      expect(landing.status).toBe(302);
      const target = new URL(landing.headers.get('location') ?? '');
      expect(`${target.origin}${target.pathname}`).toBe(CLAIM_URL);
      const ticket = target.searchParams.get('ticket') ?? '';
      secrets.add(ticket);
      expect(await eventsOf('Installation Pending Claim', MULTI)).toHaveLength(1);

      const claimed = await postJson('/installations/claim', { ticket, accountId: 'acct-multi' });

      expect(claimed.status).toBe(200);
      expect(await claimed.json()).toMatchObject({ openId: MULTI, shops: [{}, {}, {}] });
      expect(await grantOf(MULTI)).toMatchObject({ status: 'ACTIVE', accountId: 'acct-multi' });
      expect(await eventsOf('Installation Claimed', MULTI)).toMatchObject([{ detail: { accountId: 'acct-multi' } }]);
      expect((await postJson('/installations/claim', { ticket, accountId: 'acct-multi' })).status).toBe(410);
    });

    it('revokes the shop and the grant, deleting its tokens, on TikTok’s type 6 webhook', async () => {
      const tries = await world.sandbox.deauthorize(US);

      expect(tries).toMatchObject([{ status: 200 }]);
      const grant = await grantOf(US);
      expect(grant).toMatchObject({ status: 'REVOKED' });
      expect(grant).not.toHaveProperty('accessToken');
      expect(grant).not.toHaveProperty('refreshToken');
      expect(await readItem(shopKey(US, US_SHOP))).toMatchObject({ status: 'REVOKED' });
      expect(await eventsOf('Seller Deauthorized', US)).toHaveLength(1);
      expect(await eventsOf('TikTok Shop Webhook', US)).toMatchObject([{ detail: { type: 6, shopId: US_SHOP } }]);
    });

    it('disconnects a seller on the app’s request (seller API): tokens deleted, credentials refused', async () => {
      const response = await api(`/sellers/${GB}`, { method: 'DELETE' });

      expect(response.status).toBe(204);
      const grant = await grantOf(GB);
      expect(grant).toMatchObject({ status: 'REVOKED' });
      expect(grant).not.toHaveProperty('accessToken');
      expect(await eventsOf('Seller Disconnected', GB)).toHaveLength(1);
      expect((await api(`/shops/${GB_SHOP}/credentials`)).status).toBe(410);
    });

    it('lets each schedule’s role invoke its own sweep, and no other, and fill its dead-letter queue', async () => {
      const arn = (logicalId: string) => world.deployment.values.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] });
      const decisions: string[] = [];

      for (const schedule of world.stack.schedules) {
        const role = world.deployment.identityOfRole(schedule.roleLogicalId, schedule.roleLogicalId, 'scheduler');
        for (const target of world.stack.functions.filter((spec) => spec.name.endsWith('Sweep'))) {
          const { result } = await world.evaluator.evaluate(role, {
            action: 'lambda:InvokeFunction',
            resource: arn(target.logicalId),
            context: {},
          });
          if (result === 'Allowed') decisions.push(`${schedule.expression} invokes ${target.name}`);
        }
        const deadLetters = await world.evaluator.evaluate(role, {
          action: 'sqs:SendMessage',
          resource: arn(schedule.deadLetterQueueLogicalId ?? 'none'),
          context: {},
        });
        decisions.push(`${schedule.expression} dead letters ${deadLetters.result}`);
      }

      expect(decisions.sort()).toEqual([
        'rate(1 day) dead letters Allowed',
        'rate(1 day) invokes RemindersSweep',
        'rate(30 minutes) dead letters Allowed',
        'rate(30 minutes) invokes TokenRefreshSweep',
        'rate(5 minutes) dead letters Allowed',
        'rate(5 minutes) invokes OutboxSweep',
      ]);
    });

    it('made every AWS call within the calling function’s role, and every function made some', () => {
      const denied = world.proxy
        .deniedFunctionCalls()
        .map((call) => `${call.caller} ${call.service}:${call.operation}: ${call.reason ?? ''}`);
      const refusedByMoto = world.proxy.calls
        .filter((call) => call.error && call.error !== 'ConditionalCheckFailedException')
        .map((call) => `${call.caller} ${call.service}:${call.operation}: ${call.status} ${call.error}`);

      expect(denied).toEqual([]);
      // Only conditional writes that lost (a used ticket, a claim already made) were refused: nothing moto lacks.
      expect(refusedByMoto).toEqual([]);
      expect(Object.keys(world.proxy.checksByFunction()).sort()).toEqual(
        world.stack.functions.map((spec) => spec.name).sort(),
      );
    });

    it('leaves no token, code, state or app secret in any log line, event, reminder or item', async () => {
      secrets.add(world.app.app_secret, ...world.sandbox.issuedSecrets(), unusedLinkState);
      const { Items = [] } = await documents().send(new ScanCommand({ TableName: tableName() }));
      const outputs = world.functionOutputs();
      await world.observe();

      // Every function logged something: a broken capture would otherwise find nothing anywhere.
      expect(
        Object.entries(outputs)
          .filter(([, output]) => output.trim() === '')
          .map(([name]) => name),
      ).toEqual([]);
      expect(Object.keys(outputs)).toHaveLength(8);
      for (const [name, output] of Object.entries(outputs)) {
        expect({ name, found: [...secrets.found(output), ...renewalStates.found(output)] }).toEqual({
          name,
          found: [],
        });
      }
      expect(secrets.found(JSON.stringify(world.events))).toEqual([]);
      expect(secrets.found(JSON.stringify(world.reminders))).toEqual([]);
      expect([...secrets.found(JSON.stringify(Items)), ...renewalStates.found(JSON.stringify(Items))]).toEqual([]);
      expect(secrets.values.size).toBeGreaterThan(8);
    });
  });

  describe('the role check, which must be able to fail', () => {
    /** A client that signs as the probe of the function behind `routeKey`: its role, recorded apart. */
    const asRole = <T extends DynamoDBClient | KMSClient>(make: new (config: object) => T, routeKey: string) =>
      new make({
        endpoint: world.proxy.url,
        region: REGION,
        maxAttempts: 1,
        credentials: { accessKeyId: world.probeAccessKey(world.route(routeKey)), secretAccessKey: 'probe' },
      });
    /** What the proxy decided for the probes made since `since`. */
    const probesSince = (since: number) =>
      world.proxy.calls
        .slice(since)
        .filter((call) => call.kind === 'probe')
        .map((call) => `${call.caller} ${call.requests[0]?.action} ${call.outcome}`);

    it('refuses the webhook role a DeleteItem on a grant, and allows it on a webhook receipt', async () => {
      const since = world.proxy.calls.length;
      const dynamodb = asRole(DynamoDBClient, 'POST /webhooks/tiktok');
      const deleteItem = (pk: string, sk: string) =>
        dynamodb.send(new DeleteItemCommand({ TableName: tableName(), Key: { pk: { S: pk }, sk: { S: sk } } }));

      await expect(deleteItem(`SELLER#${GB}`, 'GRANT')).rejects.toMatchObject({ name: 'AccessDeniedException' });
      await expect(deleteItem('WEBHOOK#probe', 'RECEIPT')).resolves.toBeDefined();
      dynamodb.destroy();

      expect(await readItem(grantKey(GB))).toBeDefined();
      expect(probesSince(since)).toEqual([
        'Webhooks dynamodb:DeleteItem denied',
        'Webhooks dynamodb:DeleteItem forwarded',
      ]);
    });

    it('refuses KMS Decrypt to the seller API role, and to the callback role that seals but never opens', async () => {
      const since = world.proxy.calls.length;
      const context = { openId: US, appKey: world.app.app_key };
      const { CiphertextBlob } = await world.clients.kms.send(
        new GenerateDataKeyCommand({ KeyId: sealingKeyArn(), KeySpec: 'AES_256', EncryptionContext: context }),
      );

      for (const route of ['POST /authorization-links', 'GET /oauth/callback']) {
        const kms = asRole(KMSClient, route);
        await expect(
          kms.send(new DecryptCommand({ KeyId: sealingKeyArn(), CiphertextBlob, EncryptionContext: context })),
        ).rejects.toMatchObject({ name: 'AccessDeniedException' });
        kms.destroy();
      }

      expect(probesSince(since)).toEqual([
        'SellerJourneySellerApi kms:Decrypt denied',
        'SellerJourneyOAuthCallback kms:Decrypt denied',
      ]);
    });

    it('decides KMS encryption-context conditions itself, which iam-simulate 0.1.173 drops', async () => {
      const identity = world.deployment.identityOf(world.route('GET /shops/{shopId}/credentials'));
      const request = {
        action: 'kms:GenerateDataKey',
        resource: sealingKeyArn(),
        context: {
          'kms:EncryptionContextKeys': ['openId', 'appKey'],
          'kms:EncryptionContext:openId': US,
          'kms:EncryptionContext:appKey': world.app.app_key,
        },
      };

      const plain = await runSimulation(world.evaluator.simulationOf(identity, request), {});
      const decided = await world.evaluator.evaluate(identity, request);

      // When this fails, iam-simulate reads `kms:EncryptionContext:<key>`: the workaround in role-evaluator.ts can go.
      expect(plain).toMatchObject({
        overallResult: 'ImplicitlyDenied',
        result: { ignoredContextKeys: ['kms:EncryptionContext:openId', 'kms:EncryptionContext:appKey'] },
      });
      expect(decided).toMatchObject({ result: 'Allowed', evaluator: 'runUnsafeSimulation' });
    });

    it('refuses the credentials role a data key whose encryption context does not name the app', async () => {
      const since = world.proxy.calls.length;
      const kms = asRole(KMSClient, 'GET /shops/{shopId}/credentials');
      const generate = (context: Record<string, string>) =>
        kms.send(
          new GenerateDataKeyCommand({ KeyId: sealingKeyArn(), KeySpec: 'AES_256', EncryptionContext: context }),
        );

      await expect(generate({ openId: US })).rejects.toMatchObject({ name: 'AccessDeniedException' });
      await expect(generate({ openId: US, appKey: world.app.app_key })).resolves.toMatchObject({
        CiphertextBlob: expect.any(Uint8Array),
      });
      kms.destroy();

      expect(probesSince(since)).toEqual([
        'SellerJourneyCredentials kms:GenerateDataKey denied',
        'SellerJourneyCredentials kms:GenerateDataKey forwarded',
      ]);
    });
  });
});
