import { randomBytes } from 'node:crypto';
import type { SecretGenerator } from '../ports';

/** One-time values from the operating system's CSPRNG: 256 bits, base64url. */
export const cryptoSecrets: SecretGenerator = { oneTimeValue: () => randomBytes(32).toString('base64url') };
