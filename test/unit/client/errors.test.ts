import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ERROR_CLASSES,
  ERROR_CODES,
  GRANT_STATUSES,
  MARKETS,
  ReauthRequiredError,
  SHOP_STATUSES,
  serviceError,
  TikTokShopAuthError,
  UnknownServiceError,
} from '../../../client';
import { MARKETS as SERVICE_MARKETS } from '../../../lambdas/domain/markets';
import {
  GRANT_STATUSES as SERVICE_GRANT_STATUSES,
  SHOP_STATUSES as SERVICE_SHOP_STATUSES,
} from '../../../lambdas/domain/model';

const root = join(__dirname, '..', '..', '..');
const source = (path: string) => readFileSync(join(root, path), 'utf8');
/** The machine codes a source file writes into error answers. */
const codesIn = (text: string) =>
  [...text.matchAll(/code: [^,}]*/g)].flatMap(([field]) =>
    [...field.matchAll(/'([A-Z][A-Z_]+)'/g)].map((match) => match[1] ?? ''),
  );

describe("the client's errors", () => {
  it.each(ERROR_CODES)('turns %s into its own class, carrying code, status and retry-after', (code) => {
    const error = serviceError({ code, status: 503, message: 'the message', retryAfterSeconds: 7 });

    expect(error).toBeInstanceOf(ERROR_CLASSES[code]);
    expect(error).toBeInstanceOf(TikTokShopAuthError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code, status: 503, message: 'the message', retryAfterSeconds: 7 });
    expect(error.name).toBe(ERROR_CLASSES[code].name);
  });

  it('gives a code it does not know to UnknownServiceError, keeping the code', () => {
    const error = serviceError({ code: 'HTTP_403', status: 403, message: 'Forbidden' });

    expect(error).toBeInstanceOf(UnknownServiceError);
    expect(error).not.toBeInstanceOf(ReauthRequiredError);
    expect(error).toMatchObject({ code: 'HTTP_403', status: 403, retryAfterSeconds: undefined });
  });

  it('has a class for every code the service answers with', () => {
    const served = new Set([
      ...codesIn(source('lambdas/shared/http.ts')),
      ...codesIn(source('lambdas/handlers/seller-api.ts')),
      ...codesIn(source('lambdas/handlers/tiktok-webhook.ts')),
    ]);

    expect([...served].filter((code) => !Object.hasOwn(ERROR_CLASSES, code))).toEqual([]);
    expect(served.size).toBeGreaterThanOrEqual(20);
  });

  it('knows the statuses and markets the service knows', () => {
    expect(GRANT_STATUSES).toEqual(SERVICE_GRANT_STATUSES);
    expect(SHOP_STATUSES).toEqual(SERVICE_SHOP_STATUSES);
    expect(MARKETS).toEqual(SERVICE_MARKETS);
  });
});

describe("the client's package", () => {
  /** The files `client/index.ts` reaches, and the packages they import. */
  function reachable(): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      for (const [, name = ''] of source(file).matchAll(/from '([^']+)'/g)) {
        if (name.startsWith('.')) visit(join(file, '..', `${name}.ts`).replace(/\/index\.ts\.ts$/, '/index.ts'));
        else packages.add(name);
      }
    };
    visit('client/index.ts');
    return { files, packages };
  }

  it('reaches nothing of the service, and no package but its runtime dependencies', () => {
    const { files, packages } = reachable();

    expect([...files].filter((file) => !file.startsWith('client/'))).toEqual([]);
    expect([...packages].sort()).toEqual(
      ['@aws-crypto/sha256-js', '@aws-sdk/credential-providers', '@smithy/signature-v4', 'zod'].sort(),
    );
    expect(files.size).toBeGreaterThanOrEqual(6);
  });
});
