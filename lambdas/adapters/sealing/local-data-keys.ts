import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { UnsealError } from '../../domain/errors';
import type { SealingContext } from '../../ports';
import { contextBytes, type DataKey, type DataKeyProvider } from './envelope-token-sealer';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/**
 * Data keys wrapped with a local 256-bit master key (AES-256-GCM, the context as additional data): the local
 * mode's stand-in for KMS, producing the same sealed format.
 */
export class LocalDataKeys implements DataKeyProvider {
  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== KEY_BYTES) throw new Error(`the local master key must be ${KEY_BYTES} bytes`);
  }

  async generate(context: SealingContext): Promise<DataKey> {
    const plaintext = randomBytes(KEY_BYTES);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv).setAAD(contextBytes(context));
    const wrapped = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { plaintext, wrapped };
  }

  async unwrap(wrapped: Buffer, context: SealingContext): Promise<Buffer> {
    if (wrapped.length !== IV_BYTES + KEY_BYTES + TAG_BYTES) throw new UnsealError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.masterKey, wrapped.subarray(0, IV_BYTES)).setAAD(
        contextBytes(context),
      );
      decipher.setAuthTag(wrapped.subarray(IV_BYTES + KEY_BYTES));
      return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES, IV_BYTES + KEY_BYTES)), decipher.final()]);
    } catch (cause) {
      throw new UnsealError({ cause });
    }
  }
}
