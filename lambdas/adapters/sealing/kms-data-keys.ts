import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { UnsealError } from '../../domain/errors';
import type { SealingContext } from '../../ports';
import type { DataKey, DataKeyProvider } from './envelope-token-sealer';

const encryptionContext = (context: SealingContext) => ({ openId: context.openId, appKey: context.appKey });

/** Data keys from a KMS key, under the encryption context `{ openId, appKey }`. */
export class KmsDataKeys implements DataKeyProvider {
  constructor(
    private readonly client: KMSClient,
    private readonly keyId: string,
  ) {}

  async generate(context: SealingContext): Promise<DataKey> {
    const { Plaintext, CiphertextBlob } = await this.client.send(
      new GenerateDataKeyCommand({
        KeyId: this.keyId,
        KeySpec: 'AES_256',
        EncryptionContext: encryptionContext(context),
      }),
    );
    if (!Plaintext || !CiphertextBlob) throw new Error('KMS returned no data key');
    return { plaintext: Buffer.from(Plaintext), wrapped: Buffer.from(CiphertextBlob) };
  }

  async unwrap(wrapped: Buffer, context: SealingContext): Promise<Buffer> {
    try {
      const { Plaintext } = await this.client.send(
        new DecryptCommand({
          KeyId: this.keyId,
          CiphertextBlob: wrapped,
          EncryptionContext: encryptionContext(context),
        }),
      );
      if (!Plaintext) throw new Error('KMS returned no plaintext');
      return Buffer.from(Plaintext);
    } catch (error) {
      // KMS answers a context that does not match, or a blob it did not make, with InvalidCiphertextException.
      if (error instanceof InvalidCiphertextException) throw new UnsealError({ cause: error });
      throw error;
    }
  }
}
