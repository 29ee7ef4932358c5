import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { type LocalService, startLocalService } from '../../../local/local-service';
import { EXIT, runCli } from '../../../ops/cli';
import { stackTarget } from '../../../ops/targets';
import { authorizeInSandbox, browse, TestClock } from '../../support/local-journey';

const MULTI = 'sbx-open-multi-0002';

describe('the operator CLI against local mode', () => {
  const clock = new TestClock();
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: {}, clock, schedules: false });
    const { callbackUrl } = await authorizeInSandbox(service, { openId: MULTI, accountId: 'acc-multi' });
    await browse(callbackUrl);
  });
  afterAll(() => service.stop());

  /** Runs the CLI in this process, as `npm run ops -- ...` would. */
  const ops = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['--local', service.url, ...argv], {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: {},
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('lists sellers, by status too', async () => {
    const all = await ops('sellers');
    const revoked = await ops('sellers', '--status', 'REVOKED');

    expect(all.code).toBe(EXIT.ok);
    expect(all.out).toMatch(/^OPEN ID\s+SELLER\s+STATUS/);
    expect(all.out).toContain('sbx-open-multi-0002  Sandbox Multi-market Seller  ACTIVE  acc-multi');
    expect(revoked.out).toBe('no sellers');
  });

  it('shows one seller and its shops, as JSON on request, never a token', async () => {
    const shown = await ops('seller', MULTI);
    const json = await ops('--json', 'seller', MULTI);

    expect(shown.out).toContain('Sandbox Multi-market Seller (sbx-open-multi-0002): ACTIVE');
    expect(shown.out).toMatch(/7494000000000000203\s+Sandbox Shop ES\s+ES\s+CROSS_BORDER/);
    expect(JSON.parse(json.out)).toMatchObject({ openId: MULTI, accountId: 'acc-multi', shops: expect.any(Array) });
    expect(json.out).not.toMatch(/ROW_|accessToken"/);
  });

  it('refreshes a seller now, even a fresh one', async () => {
    const before = service.sandbox.calls['token/refresh'];
    clock.advance(1000);

    const result = await ops('refresh', MULTI);

    expect(result.code).toBe(EXIT.ok);
    expect(result.out).toMatch(/^refreshed sbx-open-multi-0002: the access token now expires 20\d\d-/);
    expect(service.sandbox.calls['token/refresh']).toBe(before + 1);
  });

  it('creates an authorization link for an account', async () => {
    const result = await ops('link', 'acc-new', '--return-to', '/settings');

    expect(result.code).toBe(EXIT.ok);
    expect(result.out).toMatch(
      /sandbox\/open\/authorize\?service_id=sandbox-service-id&state=[A-Za-z0-9_-]{43}\nvalid once, until /,
    );
  });

  it('makes a renewal link on the seller’s market’s authorize page, and a new one on the market asked for', async () => {
    const { callbackUrl } = await authorizeInSandbox(service, { openId: 'sbx-open-us-0003', accountId: 'acc-us' });
    await browse(callbackUrl);

    const renewal = await ops('link', 'acc-us', '--seller', 'sbx-open-us-0003');
    const europe = await ops('link', 'acc-multi', '--seller', MULTI);
    const newUs = await ops('link', 'acc-new', '--market', 'US');

    expect(renewal.out).toMatch(/\/sandbox\/us\/open\/authorize\?service_id=sandbox-service-id&state=/);
    expect(europe.out).toMatch(/\/sandbox\/open\/authorize\?service_id=sandbox-service-id&state=/);
    expect(newUs.out).toMatch(/\/sandbox\/us\/open\/authorize\?service_id=sandbox-service-id&state=/);
  });

  it('exchanges a development shop’s auth code by hand and binds it to the account', async () => {
    const code = new URL(service.sandbox.approve('sbx-open-gb-0001')).searchParams.get('code') ?? '';

    const result = await ops('exchange', code, '--account', 'acc-dev');
    const again = await ops('exchange', code, '--account', 'acc-dev');

    expect(result).toMatchObject({ code: EXIT.ok, out: 'connected sbx-open-gb-0001 to account acc-dev' });
    expect((await service.dependencies.store.getGrant('sbx-open-gb-0001'))?.accountId).toBe('acc-dev');
    expect(again.code).toBe(EXIT.refused);
    expect(again.err).toBe(
      'error CODE_REFUSED (HTTP 422): TikTok refused the authorization code (expired, used, or of another app)',
    );
  });

  it('refuses to exchange a creator’s code', async () => {
    const code = new URL(service.sandbox.approve('sbx-open-creator-0004')).searchParams.get('code') ?? '';

    const result = await ops('exchange', code, '--account', 'acc-c');

    expect(result).toMatchObject({
      code: EXIT.refused,
      err: 'error NOT_A_SELLER (HTTP 422): only seller accounts can be connected',
    });
  });

  it('disconnects a seller, and says so when it cannot refresh it any more', async () => {
    const disconnected = await ops('disconnect', 'sbx-open-gb-0001');
    const refresh = await ops('refresh', 'sbx-open-gb-0001');

    expect(disconnected).toMatchObject({ code: EXIT.ok, out: 'disconnected sbx-open-gb-0001: its tokens are deleted' });
    expect(refresh).toMatchObject({
      code: EXIT.refused,
      err: 'error SELLER_REVOKED (HTTP 410): the seller is no longer authorized',
    });
  });

  it('says which seller it cannot find, with exit code 1', async () => {
    expect(await ops('seller', 'nobody')).toMatchObject({
      code: EXIT.refused,
      err: 'error SELLER_NOT_FOUND (HTTP 404): no such seller',
    });
    expect(await ops('disconnect', 'nobody')).toMatchObject({ code: EXIT.refused });
  });

  it('says what reauthorization is needed, with exit code 1', async () => {
    const { callbackUrl } = await authorizeInSandbox(service, { openId: 'sbx-open-us-0003', accountId: 'acc-us' });
    await browse(callbackUrl);
    service.sandbox.injectFault('token/refresh', { code: 36004001, message: 'rt has expired' });

    const result = await ops('refresh', 'sbx-open-us-0003');

    expect(result).toMatchObject({
      code: EXIT.refused,
      err: 'error REAUTH_REQUIRED (HTTP 409): the seller must authorize the app again',
    });
  });

  it.each([
    [['bogus'], 'unknown command bogus'],
    [['seller'], 'seller needs <openId>'],
    [['exchange', 'code-1'], 'exchange needs --account <accountId>'],
    [['sellers', '--status', 'SLEEPING'], '--status must be one of ACTIVE, REAUTH_REQUIRED, REVOKED'],
    [['sellers', '--verbose'], 'unknown option --verbose'],
    [['link', 'acc', '--return-to'], '--return-to needs a value'],
    [['link', 'acc', '--market', 'EU'], '--market is ROW or US'],
  ])('explains wrong usage %j with exit code 2', async (argv, message) => {
    const result = await ops(...argv);

    expect(result.code).toBe(EXIT.usage);
    expect(result.err.split('\n')[0]).toBe(message);
    expect(result.err).toContain('Usage: npm run ops --');
  });

  it('passes on a validation error of the service with exit code 1', async () => {
    const result = await ops('link', 'acc', '--return-to', '//evil.example');

    expect(result).toMatchObject({
      code: EXIT.refused,
      err: expect.stringContaining('error INVALID_REQUEST (HTTP 400): returnTo:'),
    });
  });

  it('says when the target does not answer, with exit code 3', async () => {
    const out: string[] = [];
    const err: string[] = [];

    const code = await runCli(['--local', 'http://127.0.0.1:9', 'sellers'], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: {},
    });

    expect(code).toBe(EXIT.unreachable);
    expect(err.join('\n')).toMatch(/^local mode at http:\/\/127\.0\.0\.1:9 did not answer/);
  });

  it('prints its usage on help', async () => {
    expect((await ops('help')).out).toContain('exchange <authCode> --account <accountId>');
  });
});

describe('the operator CLI against a deployed stack', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: {}, schedules: false });
  });
  afterAll(() => service.stop());
  beforeEach(() => {
    cloudFormation.reset();
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  });

  it('finds the internal API in the stack’s outputs and signs each request with SigV4', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'TikTokShopAuth' }).resolves({
      Stacks: [
        {
          StackName: 'TikTokShopAuth',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'InternalApiUrl', OutputValue: `${service.url}/` }],
        },
      ],
    });
    const seen: Headers[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      seen.push(new Headers(init?.headers));
      return fetch(input, init);
    };

    const out: string[] = [];
    const code = await runCli(['--stack', 'TikTokShopAuth', 'sellers'], {
      out: (line) => out.push(line),
      err: () => {},
      env: {},
      fetch: recordingFetch,
      resolveStack: (name) =>
        stackTarget(name, { region: 'eu-west-1', cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }) }),
    });

    expect(code).toBe(EXIT.ok);
    expect(out).toEqual(['no sellers']);
    expect(seen[0]?.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(seen[0]?.get('x-amz-date')).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('says clearly when the stack is not a tiktok-shop-auth stack', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'Other', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }],
    });
    const err: string[] = [];

    const code = await runCli(['--stack', 'Other', 'sellers'], {
      out: () => {},
      err: (line) => err.push(line),
      env: {},
      resolveStack: (name) =>
        stackTarget(name, { region: 'eu-west-1', cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }) }),
    });

    expect(code).toBe(EXIT.unreachable);
    expect(err).toEqual(['the stack Other has no InternalApiUrl output: is it a tiktok-shop-auth stack?']);
  });
});

describe('npm run ops, as a process', () => {
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: {}, schedules: false });
  });
  afterAll(() => service.stop());

  it('runs from the command line and exits with the CLI’s code', async () => {
    const run = promisify(execFile);

    const ok = await run('npx', ['tsx', 'ops/main.ts', '--local', service.url, 'sellers'], { env: process.env });
    const refused = await run('npx', ['tsx', 'ops/main.ts', '--local', service.url, 'seller', 'nobody'], {
      env: process.env,
    }).catch((error: { code: number; stderr: string }) => error);

    expect(ok.stdout.trim()).toBe('no sellers');
    expect(refused).toMatchObject({ code: 1, stderr: 'error SELLER_NOT_FOUND (HTTP 404): no such seller\n' });
  }, 60_000);
});
