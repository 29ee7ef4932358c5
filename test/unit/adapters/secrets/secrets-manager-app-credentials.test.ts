import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AppSecretInvalidError,
  INVALID_SECRET_RECHECK_MS,
  SecretsManagerAppCredentials,
} from '../../../../lambdas/adapters/secrets/secrets-manager-app-credentials';
import { StaticAppCredentials } from '../../../../lambdas/adapters/secrets/static-app-credentials';

const SECRET_ID = 'tiktok-shop-auth/app';
const secretsManager = mockClient(SecretsManagerClient);
const answer = (value: unknown) => ({ SecretString: typeof value === 'string' ? value : JSON.stringify(value) });

describe('SecretsManagerAppCredentials', () => {
  const credentials = (maxAge?: number) =>
    new SecretsManagerAppCredentials(new SecretsManagerClient({ region: 'eu-west-1' }), SECRET_ID, maxAge);

  beforeEach(() => secretsManager.reset());

  it('reads the key and secret from the JSON secret', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ID })
      .resolves(answer({ app_key: 'k1', app_secret: 's1' }));

    expect(await credentials().get()).toEqual({ appKey: 'k1', appSecret: 's1' });
  });

  it('serves repeated reads from its cache', async () => {
    secretsManager.on(GetSecretValueCommand).resolves(answer({ app_key: 'k1', app_secret: 's1' }));
    const cached = credentials();

    await cached.get();
    await cached.get();

    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('reads past the cache on reload and keeps the new value', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(answer({ app_key: 'k1', app_secret: 'old' }))
      .resolves(answer({ app_key: 'k1', app_secret: 'new' }));
    const cached = credentials();
    await cached.get();

    const reloaded = await cached.reload();

    expect(reloaded.appSecret).toBe('new');
    expect((await cached.get()).appSecret).toBe('new');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it.each([
    ['still the empty placeholder', { app_key: '', app_secret: '' }],
    ['missing the secret', { app_key: 'k1' }],
    ['not JSON', 'app_key=k1&app_secret=hunter2-secret-value'],
  ])('says clearly when the secret is %s, without quoting it', async (_, value) => {
    secretsManager.on(GetSecretValueCommand).resolves(answer(value));

    const error = await credentials()
      .get()
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AppSecretInvalidError);
    expect(String(error)).toContain(`the secret ${SECRET_ID} must hold JSON`);
    expect(JSON.stringify(error) + String(error)).not.toContain('hunter2');
  });

  it('reads a secret that failed validation again at once, not from its cache, at most every 5 seconds', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(answer({ app_key: '', app_secret: '' }))
      .resolves(answer({ app_key: 'k1', app_secret: 'filled-in' }));
    let now = 1_000_000;
    const cached = new SecretsManagerAppCredentials(
      new SecretsManagerClient({ region: 'eu-west-1' }),
      SECRET_ID,
      300,
      () => now,
    );
    await expect(cached.get()).rejects.toBeInstanceOf(AppSecretInvalidError);

    now += INVALID_SECRET_RECHECK_MS - 1;
    await expect(cached.get()).rejects.toBeInstanceOf(AppSecretInvalidError);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    now += 1;
    expect(await cached.get()).toEqual({ appKey: 'k1', appSecret: 'filled-in' });
    expect(await cached.get()).toEqual({ appKey: 'k1', appSecret: 'filled-in' });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads past the cache on reload at most every 5 seconds, however many refusals ask', async () => {
    secretsManager.on(GetSecretValueCommand).resolves(answer({ app_key: 'k1', app_secret: 's1' }));
    let now = 1_000_000;
    const cached = new SecretsManagerAppCredentials(
      new SecretsManagerClient({ region: 'eu-west-1' }),
      SECRET_ID,
      300,
      () => now,
    );

    await cached.reload();
    await cached.reload();
    await cached.reload();
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    now += INVALID_SECRET_RECHECK_MS;
    await cached.reload();
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('lets a missing secret fail as it is', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: 'no such secret', $metadata: {} }));

    await expect(credentials().get()).rejects.toThrow();
  });
});

describe('StaticAppCredentials', () => {
  it('answers the same credentials on get and reload', async () => {
    const credentials = new StaticAppCredentials({ appKey: 'k', appSecret: 's' });

    expect(await credentials.get()).toEqual({ appKey: 'k', appSecret: 's' });
    expect(await credentials.reload()).toEqual({ appKey: 'k', appSecret: 's' });
  });
});
