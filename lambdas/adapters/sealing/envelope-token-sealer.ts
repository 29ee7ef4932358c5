import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { UnsealError } from '../../domain/errors';
import { type SealedToken, sealedTokenSchema } from '../../domain/model';
import type { SealingContext, TokenSealer } from '../../ports';

/** A 256-bit data key, in the clear and wrapped by a master key under the sealing context. */
export interface DataKey {
  readonly plaintext: Buffer;
  readonly wrapped: Buffer;
}

/** Where data keys come from: KMS in AWS, a local master key on a laptop. */
export interface DataKeyProvider {
  generate(context: SealingContext): Promise<DataKey>;
  /** Fails with `UnsealError` when `wrapped` was not made under this context. */
  unwrap(wrapped: Buffer, context: SealingContext): Promise<Buffer>;
}

export interface DataKeyCachePolicy {
  /** How long a data key is reused. */
  readonly maxAgeMs: number;
  /** How many tokens one generated data key seals at most. */
  readonly maxUses: number;
  /** How many keys are held at most (least recently used go first). */
  readonly maxEntries: number;
}

export const DEFAULT_DATA_KEY_CACHE: DataKeyCachePolicy = { maxAgeMs: 5 * 60_000, maxUses: 1000, maxEntries: 1000 };

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The additional authenticated data: binds each sealed token to its seller and app. */
export function contextBytes(context: SealingContext): Buffer {
  return Buffer.from(JSON.stringify([context.appKey, context.openId]), 'utf8');
}

interface CachedKey {
  readonly key: DataKey;
  readonly expiresAt: number;
  uses: number;
}

/**
 * Envelope encryption: each token is sealed with AES-256-GCM under a data key, and the data key travels wrapped
 * beside it. Both layers are bound to the seller and the app, so a sealed token copied onto another seller's item
 * does not open. Data keys are cached briefly, so a busy function does not ask KMS for every token.
 */
export class EnvelopeTokenSealer implements TokenSealer {
  private readonly sealingKeys = new Map<string, CachedKey>();
  private readonly openingKeys = new Map<string, CachedKey>();

  constructor(
    private readonly keys: DataKeyProvider,
    private readonly cache: DataKeyCachePolicy = DEFAULT_DATA_KEY_CACHE,
    private readonly now: () => number = Date.now,
  ) {}

  async seal(token: string, context: SealingContext): Promise<SealedToken> {
    const key = await this.sealingKey(context);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.plaintext, iv).setAAD(contextBytes(context));
    const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return sealedTokenSchema.parse(
      [VERSION, key.wrapped.toString('base64url'), iv.toString('base64url'), body.toString('base64url')].join('.'),
    );
  }

  async unseal(sealed: SealedToken, context: SealingContext): Promise<string> {
    const [version, wrapped, iv, body] = sealed.split('.');
    if (version !== VERSION || !wrapped || !iv || !body) throw new UnsealError();
    const ivBytes = Buffer.from(iv, 'base64url');
    const bodyBytes = Buffer.from(body, 'base64url');
    if (ivBytes.length !== IV_BYTES || bodyBytes.length < TAG_BYTES) throw new UnsealError();
    const dataKey = await this.openingKey(Buffer.from(wrapped, 'base64url'), context);
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, ivBytes).setAAD(contextBytes(context));
      decipher.setAuthTag(bodyBytes.subarray(bodyBytes.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(bodyBytes.subarray(0, bodyBytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch (cause) {
      throw new UnsealError({ cause });
    }
  }

  private async sealingKey(context: SealingContext): Promise<DataKey> {
    const cacheKey = contextBytes(context).toString('base64url');
    const cached = this.take(this.sealingKeys, cacheKey);
    if (cached && cached.uses < this.cache.maxUses) {
      cached.uses++;
      return cached.key;
    }
    const key = await this.keys.generate(context);
    this.remember(this.sealingKeys, cacheKey, key);
    return key;
  }

  private async openingKey(wrapped: Buffer, context: SealingContext): Promise<Buffer> {
    // The context is part of the cache key: a key opened for one seller is never handed out for another.
    const cacheKey = `${contextBytes(context).toString('base64url')}.${wrapped.toString('base64url')}`;
    const cached = this.take(this.openingKeys, cacheKey);
    if (cached) return cached.key.plaintext;
    const plaintext = await this.keys.unwrap(wrapped, context);
    this.remember(this.openingKeys, cacheKey, { plaintext, wrapped });
    return plaintext;
  }

  /** The live entry under `key`, moved to the most recently used end; expired ones are dropped. */
  private take(cache: Map<string, CachedKey>, key: string): CachedKey | undefined {
    const entry = cache.get(key);
    if (!entry) return undefined;
    cache.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    cache.set(key, entry);
    return entry;
  }

  private remember(cache: Map<string, CachedKey>, key: string, dataKey: DataKey): void {
    cache.set(key, { key: dataKey, expiresAt: this.now() + this.cache.maxAgeMs, uses: 1 });
    while (cache.size > this.cache.maxEntries) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  }
}
