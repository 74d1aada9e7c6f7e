/**
 * Encrypts small secrets (webhook signing secrets, provider credentials). The context binds a
 * ciphertext to its owner: decrypting it under another org's context fails.
 */
export interface SecretCipher {
  encrypt(plaintext: string, context: Readonly<Record<string, string>>): Promise<string>;
  /** Rejects with `UndecryptableSecretError` when the ciphertext was not made under this context. */
  decrypt(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string>;
}

/** The ciphertext does not decrypt under the context given (made for another owner or server). */
export class UndecryptableSecretError extends Error {
  override readonly name = 'UndecryptableSecretError';
}
