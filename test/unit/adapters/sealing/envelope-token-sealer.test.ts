import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  KMSInvalidStateException,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { type DataKeyProvider, EnvelopeTokenSealer } from '../../../../lambdas/adapters/sealing/envelope-token-sealer';
import { KmsDataKeys } from '../../../../lambdas/adapters/sealing/kms-data-keys';
import { LocalDataKeys } from '../../../../lambdas/adapters/sealing/local-data-keys';
import { UnsealError } from '../../../../lambdas/domain/errors';
import { sealedTokenSchema } from '../../../../lambdas/domain/model';
import type { SealingContext } from '../../../../lambdas/ports';

const TOKEN = 'ROW_access_token_value_0123456789';
const SELLER_A: SealingContext = { openId: 'open-a', appKey: 'app-1' };
const SELLER_B: SealingContext = { openId: 'open-b', appKey: 'app-1' };

/** Counts what the sealer asks of its key provider. */
class CountingKeys implements DataKeyProvider {
  generated = 0;
  unwrapped = 0;
  constructor(private readonly inner: DataKeyProvider) {}
  generate(context: SealingContext) {
    this.generated++;
    return this.inner.generate(context);
  }
  unwrap(wrapped: Buffer, context: SealingContext) {
    this.unwrapped++;
    return this.inner.unwrap(wrapped, context);
  }
}

describe('EnvelopeTokenSealer with local data keys', () => {
  const keys = () => new CountingKeys(new LocalDataKeys(randomBytes(32)));

  it('opens what it sealed, for the same seller', async () => {
    const sealer = new EnvelopeTokenSealer(keys());

    const sealed = await sealer.seal(TOKEN, SELLER_A);

    expect(await sealer.unseal(sealed, SELLER_A)).toBe(TOKEN);
    expect(sealed).not.toContain(TOKEN);
    expect(sealed).not.toContain(Buffer.from(TOKEN).toString('base64url'));
  });

  it('seals the same token differently each time', async () => {
    const sealer = new EnvelopeTokenSealer(keys());

    expect(await sealer.seal(TOKEN, SELLER_A)).not.toBe(await sealer.seal(TOKEN, SELLER_A));
  });

  it('does not open a token copied onto another seller’s item', async () => {
    const sealer = new EnvelopeTokenSealer(keys());
    const sealed = await sealer.seal(TOKEN, SELLER_A);

    await expect(sealer.unseal(sealed, SELLER_B)).rejects.toBeInstanceOf(UnsealError);
    await expect(sealer.unseal(sealed, { ...SELLER_A, appKey: 'app-2' })).rejects.toBeInstanceOf(UnsealError);
  });

  it('does not open a copied token even when the seller’s data key is cached', async () => {
    const sealer = new EnvelopeTokenSealer(keys());
    const sealed = await sealer.seal(TOKEN, SELLER_A);
    await sealer.unseal(sealed, SELLER_A);

    await expect(sealer.unseal(sealed, SELLER_B)).rejects.toBeInstanceOf(UnsealError);
  });

  it('does not open a token sealed under another master key', async () => {
    const sealed = await new EnvelopeTokenSealer(keys()).seal(TOKEN, SELLER_A);

    await expect(new EnvelopeTokenSealer(keys()).unseal(sealed, SELLER_A)).rejects.toBeInstanceOf(UnsealError);
  });

  it('refuses a tampered or malformed sealed token', async () => {
    const sealer = new EnvelopeTokenSealer(keys());
    const [version, wrapped, iv, body] = (await sealer.seal(TOKEN, SELLER_A)).split('.');
    const flipped = Buffer.from(body ?? '', 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;

    const tampered = sealedTokenSchema.parse([version, wrapped, iv, flipped.toString('base64url')].join('.'));
    const shortIv = sealedTokenSchema.parse([version, wrapped, 'AAAA', body].join('.'));
    const otherKey = sealedTokenSchema.parse([version, 'AAAA', iv, body].join('.'));

    await expect(sealer.unseal(tampered, SELLER_A)).rejects.toBeInstanceOf(UnsealError);
    await expect(sealer.unseal(shortIv, SELLER_A)).rejects.toBeInstanceOf(UnsealError);
    await expect(sealer.unseal(otherKey, SELLER_A)).rejects.toBeInstanceOf(UnsealError);
  });

  it('asks for one data key per seller while the cache holds it', async () => {
    const counting = keys();
    const sealer = new EnvelopeTokenSealer(counting);

    await sealer.seal('access', SELLER_A);
    await sealer.seal('refresh', SELLER_A);
    await sealer.seal('access', SELLER_B);

    expect(counting.generated).toBe(2);
  });

  it('asks for a new data key once the cached one is too old or used up', async () => {
    let now = 0;
    const counting = keys();
    const sealer = new EnvelopeTokenSealer(counting, { maxAgeMs: 1000, maxUses: 2, maxEntries: 10 }, () => now);

    await sealer.seal('1', SELLER_A);
    await sealer.seal('2', SELLER_A);
    await sealer.seal('3', SELLER_A);
    now = 5000;
    await sealer.seal('4', SELLER_A);

    expect(counting.generated).toBe(3);
  });

  it('unwraps a data key once while the cache holds it, and holds no more than its limit', async () => {
    const counting = keys();
    const sealer = new EnvelopeTokenSealer(counting, { maxAgeMs: 60_000, maxUses: 100, maxEntries: 1 });
    const a = await sealer.seal(TOKEN, SELLER_A);
    const b = await sealer.seal(TOKEN, SELLER_B);

    await sealer.unseal(a, SELLER_A);
    await sealer.unseal(a, SELLER_A);
    await sealer.unseal(b, SELLER_B);
    await sealer.unseal(a, SELLER_A);

    expect(counting.unwrapped).toBe(3);
  });
});

describe('KmsDataKeys', () => {
  const kms = mockClient(KMSClient);
  const masterKey = randomBytes(32);
  const KEY_ID = 'arn:aws:kms:eu-west-1:111122223333:key/sealing';

  /** Plays KMS: wraps data keys under a key of its own, bound to the encryption context as KMS binds it. */
  const contextOf = (input: { EncryptionContext?: Record<string, string> }) =>
    JSON.stringify(Object.entries(input.EncryptionContext ?? {}).sort());

  beforeEach(() => {
    kms.reset();
    kms.on(GenerateDataKeyCommand).callsFake((input) => {
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', masterKey, iv).setAAD(Buffer.from(contextOf(input)));
      const blob = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return { Plaintext: plaintext, CiphertextBlob: blob, KeyId: KEY_ID };
    });
    kms.on(DecryptCommand).callsFake((input) => {
      const blob = Buffer.from(input.CiphertextBlob);
      try {
        const decipher = createDecipheriv('aes-256-gcm', masterKey, blob.subarray(0, 12)).setAAD(
          Buffer.from(contextOf(input)),
        );
        decipher.setAuthTag(blob.subarray(44));
        return { Plaintext: Buffer.concat([decipher.update(blob.subarray(12, 44)), decipher.final()]), KeyId: KEY_ID };
      } catch {
        throw new InvalidCiphertextException({ message: 'invalid ciphertext', $metadata: {} });
      }
    });
  });

  const sealer = () => new EnvelopeTokenSealer(new KmsDataKeys(new KMSClient({ region: 'eu-west-1' }), KEY_ID));

  it('asks KMS for an AES-256 data key under the seller’s encryption context', async () => {
    const sealed = await sealer().seal(TOKEN, SELLER_A);

    expect(kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input).toEqual({
      KeyId: KEY_ID,
      KeySpec: 'AES_256',
      EncryptionContext: { openId: 'open-a', appKey: 'app-1' },
    });
    expect(await sealer().unseal(sealed, SELLER_A)).toBe(TOKEN);
    expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input.EncryptionContext).toEqual({
      openId: 'open-a',
      appKey: 'app-1',
    });
  });

  it('turns KMS refusing another seller’s context into UnsealError', async () => {
    const sealed = await sealer().seal(TOKEN, SELLER_A);

    await expect(sealer().unseal(sealed, SELLER_B)).rejects.toBeInstanceOf(UnsealError);
  });

  it('lets other KMS failures through as they are, to be retried', async () => {
    const sealed = await sealer().seal(TOKEN, SELLER_A);
    kms.on(DecryptCommand).rejects(new KMSInvalidStateException({ message: 'key disabled', $metadata: {} }));

    await expect(sealer().unseal(sealed, SELLER_A)).rejects.toBeInstanceOf(KMSInvalidStateException);
  });
});
