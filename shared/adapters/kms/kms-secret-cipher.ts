import type { KMSClient } from '@aws-sdk/client-kms';
import { DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { DependencyUnavailableError } from '../../errors';
import type { SecretCipher } from '../../ports/secret-cipher';
import { UndecryptableSecretError } from '../../ports/secret-cipher';

/**
 * Encrypts secrets directly under a customer-managed KMS key (they are far below KMS's 4 KiB
 * limit), with the owner as encryption context so a ciphertext cannot be replayed for another org.
 */
export class KmsSecretCipher implements SecretCipher {
  constructor(
    private readonly client: KMSClient,
    private readonly keyId: string,
  ) {}

  async encrypt(plaintext: string, context: Readonly<Record<string, string>>): Promise<string> {
    try {
      const out = await this.client.send(
        new EncryptCommand({
          KeyId: this.keyId,
          Plaintext: Buffer.from(plaintext, 'utf8'),
          EncryptionContext: { ...context },
        }),
      );
      if (!out.CiphertextBlob) throw new Error('KMS returned no ciphertext');
      return Buffer.from(out.CiphertextBlob).toString('base64');
    } catch (cause) {
      throw new DependencyUnavailableError('The key service could not encrypt the secret', { cause });
    }
  }

  async decrypt(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const out = await this.client
      .send(
        new DecryptCommand({
          KeyId: this.keyId,
          CiphertextBlob: Buffer.from(ciphertext, 'base64'),
          EncryptionContext: { ...context },
        }),
      )
      .catch((cause: unknown) => {
        // KMS's answer for a context (or key) the ciphertext was not made with: not an outage.
        const name = (cause as { name?: unknown } | null)?.name;
        if (name === 'InvalidCiphertextException' || name === 'IncorrectKeyException')
          throw new UndecryptableSecretError('The secret does not decrypt under this context', { cause });
        throw cause;
      });
    if (!out.Plaintext) throw new DependencyUnavailableError('The key service returned no plaintext');
    return Buffer.from(out.Plaintext).toString('utf8');
  }
}
