import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { type LocalService, startLocalService } from '../../../local/local-service';
import { type CliIo, EXIT, runCli } from '../../../ops/cli';
import { stackTarget } from '../../../ops/targets';
import { authorizeInSandbox, browse, TestClock } from '../../support/local-journey';

const MULTI = 'sbx-open-multi-0002';

describe('the operator CLI against local mode', () => {
  const clock = new TestClock();
  let service: LocalService;

  beforeAll(async () => {
    // One seller a page, so that listings take several.
    service = await startLocalService({ port: 0, env: {}, clock, schedules: false, pageSize: 1 });
    const { callbackUrl } = await authorizeInSandbox(service, { openId: MULTI, accountId: 'acc-multi' });
    await browse(callbackUrl);
  });
  afterAll(() => service.stop());

  /** Runs the CLI in this process, as `npx tiktok-shop-auth ...` would, on a terminal or not. */
  const run = async (argv: string[], io: Partial<CliIo> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const progress: string[] = [];
    const code = await runCli(argv, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      progress: (text) => progress.push(text),
      env: {},
      ...io,
    });
    return { code, out: out.join('\n'), err: err.join('\n'), progress };
  };
  const ops = (...argv: string[]) => run(['--local', service.url, ...argv]);

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
    expect(result.err).toContain('Usage: tiktok-shop-auth');
    expect(result.out).toBe('');
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

  describe('to convention', () => {
    it.each([[['--help']], [['-h']], [['help']], [[]]])(
      'prints its usage on stdout for %j, exit code 0',
      async (argv) => {
        const result = await run(argv);

        expect(result).toMatchObject({ code: EXIT.ok, err: '' });
        expect(result.out).toMatch(/^Usage: tiktok-shop-auth \[target\] \[--json\] <command> \[arguments\]\n/);
        expect(result.out).toContain('Exit codes: 0 done, 1 the service refused');
      },
    );

    it.each([[['help', 'link']], [['link', '--help']], [['link', '-h']], [['-h', 'link']]])(
      'prints a command’s own help for %j, exit code 0, without calling the service',
      async (argv) => {
        const result = await run(['--local', 'http://127.0.0.1:9', ...argv]);

        expect(result).toMatchObject({ code: EXIT.ok, err: '' });
        expect(result.out.split('\n')[0]).toBe(
          'Usage: tiktok-shop-auth [target] [--json] link <accountId> [--return-to <path>] [--seller <openId>] [--market ROW|US]',
        );
        expect(result.out).toContain('--return-to <path>  where the seller lands in the app afterwards');
      },
    );

    it.each([
      [['help', 'bogus'], 'unknown command bogus'],
      [['--bogus', 'sellers'], 'unknown option --bogus'],
      [['-x', 'sellers'], 'unknown option -x'],
      [['--json=yes', 'sellers'], '--json takes no value'],
      [['seller', 'a', 'b'], 'unexpected argument b'],
      [['seller', 'a', '--status', 'ACTIVE'], 'seller takes no --status'],
    ])('refuses %j with its usage on stderr and exit code 2', async (argv, message) => {
      const result = await ops(...argv);

      expect(result).toMatchObject({ code: EXIT.usage, out: '' });
      expect(result.err.split('\n')[0]).toBe(message);
      expect(result.err).toMatch(/\n\nUsage: tiktok-shop-auth /);
    });

    it('takes --name=value as well as --name value', async () => {
      const separate = await ops('link', 'acc', '--market', 'US', '--return-to', '/a');
      const joined = await run([`--local=${service.url}`, 'link', 'acc', '--market=US', '--return-to=/a']);

      expect(joined.code).toBe(EXIT.ok);
      expect(joined.out).toMatch(/\/sandbox\/us\/open\/authorize\?/);
      expect(separate.out).toMatch(/\/sandbox\/us\/open\/authorize\?/);
    });

    it('still reads a bare --local as local mode’s default address', async () => {
      const result = await run(['--local', 'sellers'], { env: { OPS_LOCAL_URL: service.url } });

      expect(result.code).toBe(EXIT.ok);
      expect(result.out).toContain(MULTI);
    });

    it('prints a refusal as JSON on stdout under --json, exit code 1', async () => {
      const result = await ops('--json', 'seller', 'nobody');

      expect(result).toMatchObject({ code: EXIT.refused, err: '' });
      expect(JSON.parse(result.out)).toEqual({
        error: { code: 'SELLER_NOT_FOUND', message: 'no such seller', status: 404 },
      });
    });

    it('prints wrong usage as JSON on stdout under --json, with the usage on stderr, exit code 2', async () => {
      const result = await ops('--json', 'bogus');

      expect(result.code).toBe(EXIT.usage);
      expect(JSON.parse(result.out)).toEqual({ error: { code: 'USAGE', message: 'unknown command bogus' } });
      expect(result.err).toContain('Usage: tiktok-shop-auth');
    });

    it('prints an unreachable target as JSON on stdout under --json, exit code 3', async () => {
      const result = await run(['--json', '--local', 'http://127.0.0.1:9', 'seller', 'x']);

      expect(result.code).toBe(EXIT.unreachable);
      expect(JSON.parse(result.out)).toEqual({
        error: {
          code: 'UNREACHABLE',
          message: expect.stringMatching(/^local mode at http:\/\/127\.0\.0\.1:9 did not answer \(/),
        },
      });
    });

    it('colours statuses on a terminal, and never with NO_COLOR or into a pipe', async () => {
      const argv = ['--local', service.url, 'seller', MULTI];

      const terminal = await run(argv, { stdoutIsTty: true });
      const noColor = await run(argv, { stdoutIsTty: true, env: { NO_COLOR: '1' } });
      const pipe = await run(argv, { stdoutIsTty: false });
      const json = await run([...argv, '--json'], { stdoutIsTty: true });

      expect(terminal.out).toContain('\u001b[32mACTIVE\u001b[39m');
      const shopLine = terminal.out.split('\n').find((line) => line.startsWith('7494000000000000201'));
      expect(shopLine).toMatch(/^7494000000000000201\s+Sandbox Shop DE\s+DE\s+LOCAL\s+\S+\s+/);
      expect(shopLine?.endsWith('\u001b[32mACTIVE\u001b[39m')).toBe(true);
      for (const plain of [noColor.out, pipe.out, json.out]) expect(plain).not.toContain('\u001b[');
      expect(JSON.parse(json.out)).toMatchObject({ openId: MULTI });
    });

    it('colours a refusal on a terminal’s stderr only', async () => {
      const terminal = await run(['--local', service.url, 'seller', 'nobody'], { stderrIsTty: true });
      const noColor = await run(['--local', service.url, 'seller', 'nobody'], {
        stderrIsTty: true,
        env: { NO_COLOR: 'x' },
      });

      expect(terminal.err).toBe('\u001b[31merror\u001b[39m SELLER_NOT_FOUND (HTTP 404): no such seller');
      expect(noColor.err).toBe('error SELLER_NOT_FOUND (HTTP 404): no such seller');
    });

    it('shows the sellers listing’s progress on stderr when it is a terminal, page by page, then clears it', async () => {
      const { callbackUrl } = await authorizeInSandbox(service, { openId: 'sbx-open-gb-0001', accountId: 'acc-gb' });
      await browse(callbackUrl);

      const terminal = await run(['--local', service.url, 'sellers'], { stderrIsTty: true });
      const pipe = await run(['--local', service.url, 'sellers'], { stderrIsTty: false });

      expect(terminal.code).toBe(EXIT.ok);
      expect(terminal.progress.at(-1)).toBe('\r\u001b[2K');
      expect(terminal.progress.at(-2)).toMatch(/^\rsellers: \d+$/);
      expect(terminal.progress.length).toBeGreaterThanOrEqual(3);
      expect(terminal.progress[0]).toBe('\rsellers: 1…');
      expect(terminal.out).toBe(pipe.out);
      expect(pipe.progress).toEqual([]);
    });
  });
});

describe('the operator CLI against a deployed stack', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: {}, schedules: false });
  });
  afterAll(() => service.stop());
  const saved = { ...process.env };
  beforeEach(() => {
    cloudFormation.reset();
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('says, as JSON with exit code 3, that it found no AWS credentials to sign with', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'TikTokShopAuth',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'InternalApiUrl', OutputValue: `${service.url}/` }],
        },
      ],
    });
    // Nothing for the SDK's default chain to find, and no instance metadata to wait for.
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) {
      delete process.env[name];
    }
    Object.assign(process.env, {
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const out: string[] = [];

    const code = await runCli(['--json', '--stack', 'TikTokShopAuth', 'sellers'], {
      out: (line) => out.push(line),
      err: () => {},
      env: {},
      resolveStack: (name) =>
        stackTarget(name, { region: 'eu-west-1', cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }) }),
    });

    expect(code).toBe(EXIT.unreachable);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      error: { code: 'NO_CREDENTIALS', message: expect.stringContaining('no AWS credentials') },
    });
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
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(seen[0]?.get('x-amz-date')).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('says clearly when the stack is not a tiktok-shop-auth stack', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'Other', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }],
    });
    const err: string[] = [];

    const code = await runCli(['--stack=Other', 'sellers'], {
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

describe('the CLI as a process', () => {
  const run = promisify(execFile);
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: {}, schedules: false });
  });
  afterAll(() => service.stop());

  it('runs from its bin entry and exits with the CLI’s code', async () => {
    const bin = JSON.parse(readFileSync('package.json', 'utf8')).bin['tiktok-shop-auth'];

    const ok = await run('node', [bin, '--local', service.url, 'sellers'], { env: process.env });
    const refused = await run('node', [bin, '--local', service.url, 'seller', 'nobody'], {
      env: process.env,
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    const help = await run('node', [bin, '--help'], { env: process.env });

    expect(bin).toBe('bin/tiktok-shop-auth.mjs');
    expect(ok.stdout).toBe('no sellers\n');
    expect(refused).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error SELLER_NOT_FOUND (HTTP 404): no such seller\n',
    });
    expect(help.stdout).toMatch(/^Usage: tiktok-shop-auth /);
  }, 60_000);

  it('keeps stdout to the JSON alone through npm run --silent ops, for | jq', async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'ops', '--', '--json', '--local', service.url, 'sellers'], {
      env: { ...process.env, NO_COLOR: '1' },
    });

    expect(JSON.parse(stdout)).toEqual([]);
  }, 60_000);
});
