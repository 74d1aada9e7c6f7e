/**
 * Encrypts small secrets (webhook signing secrets, provider credentials). The context binds a
 * ciphertext to its owner: decrypting it under another org's context fails.
 */
export interface SecretCipher {
  encrypt(plaintext: string, context: Readonly<Record<string, string>>): Promise<string>;
  decrypt(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string>;
}
