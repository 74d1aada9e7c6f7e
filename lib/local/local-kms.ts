import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VERSION = 1;

/** Thrown for a ciphertext that does not decrypt under this key and context, as KMS does. */
export class InvalidCiphertextError extends Error {
  override readonly name = 'InvalidCiphertextException';
}

/**
 * KMS's Encrypt and Decrypt on one machine: AES-256-GCM under a master key kept in the data dir
 * (mode 0600), with the encryption context as additional authenticated data, so a ciphertext
 * decrypts only under the context it was made with, as in KMS.
 */
export class LocalKms {
  private readonly key: Buffer;

  constructor(dataDir: string) {
    const file = join(dataDir, 'local-kms-master-key');
    if (!existsSync(file)) writeFileSync(file, randomBytes(32), { mode: 0o600 });
    this.key = readFileSync(file);
  }

  encrypt(plaintext: Buffer, context: Record<string, string> = {}): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  decrypt(blob: Buffer, context: Record<string, string> = {}): Buffer {
    if (blob.length < 29 || blob[0] !== VERSION)
      throw new InvalidCiphertextError('Not a ciphertext of this key');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, blob.subarray(1, 13));
      decipher.setAAD(aad(context));
      decipher.setAuthTag(blob.subarray(13, 29));
      return Buffer.concat([decipher.update(blob.subarray(29)), decipher.final()]);
    } catch (cause) {
      throw new InvalidCiphertextError('The ciphertext or its encryption context does not match', { cause });
    }
  }
}

function aad(context: Record<string, string>): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify(sorted));
}
